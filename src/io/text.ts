// Anything a server returned is untrusted: escape terminal control sequences before printing, and
// the invisible characters that make text read differently from what it is: bidi controls (a name
// that displays reversed, "Trojan Source") and zero-width or blank characters (two names that look
// the same, hidden text). They are shown as `\u202e`, `\u{e0041}` so a reader sees them.
const INVISIBLE =
  '\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\u3164\\ufeff\\uffa0\\ufff0-\\ufffb\\u{e0000}-\\u{e0fff}';
const CONTROL = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${INVISIBLE}]`, 'gu');

function escapeChar(c: string): string {
  const code = c.codePointAt(0) as number;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export function escapeControl(s: string): string {
  return s.replace(CONTROL, escapeChar);
}

// JSON.stringify escapes C0 controls but leaves DEL, the C1 range (U+0080-U+009F, e.g. the 8-bit
// CSI U+009B) and the invisible characters raw; they can only occur inside strings, so escaping
// them as JSON \u escapes (surrogate pairs above U+FFFF) keeps the same value.
const JSON_RAW_CONTROL = new RegExp(`[\\u007f-\\u009f${INVISIBLE}]`, 'gu');

/** JSON text safe to print to a terminal; parses to the same value as JSON.stringify's. */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_RAW_CONTROL, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(
      '',
    ),
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
