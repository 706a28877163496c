// Anything a server returned is untrusted: escape terminal control sequences before printing.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// JSON.stringify escapes C0 controls but leaves DEL and the C1 range (U+0080-U+009F, e.g. the 8-bit
// CSI U+009B) raw; they can only occur inside strings, so escaping them keeps the same value.
const JSON_RAW_CONTROL = /[\u007f-\u009f]/g;

/** JSON text safe to print to a terminal; parses to the same value as JSON.stringify's. */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    JSON_RAW_CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** For one table cell or TSV field: no control characters, no tabs or newlines. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(cell).join(',');
  if (typeof v === 'object') return escapeControl(JSON.stringify(v));
  return escapeControl(String(v)).replace(/[\t\n]/g, ' ');
}

export function relativeTime(iso: string | null | undefined, now: Date): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return cell(iso);
  const s = Math.round((now.getTime() - t) / 1000);
  const abs = Math.abs(s);
  const fmt = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  let text: string;
  if (abs < 60) text = fmt(abs, 'second');
  else if (abs < 3600) text = fmt(Math.floor(abs / 60), 'minute');
  else if (abs < 86400) text = fmt(Math.floor(abs / 3600), 'hour');
  else text = fmt(Math.floor(abs / 86400), 'day');
  return s >= 0 ? `${text} ago` : `in ${text}`;
}
