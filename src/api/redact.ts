// Redaction for --debug output and anything else that may print server traffic. Keys have no fixed
// prefix (noxus_, sk_user_, sk-, or anything a self-hosted install issues), so callers that know
// the actual secret should pass it in `secrets` as well.

const MASK = '***';
const TRACE_BODY_LIMIT = 2048;

const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const SECRET_FIELD = /key|secret|token|password|value|authorization/i;
// The lookbehind keeps words like "task_scheduler_1" intact while still catching a key in any text.
const KEY_LIKE = /(?<![A-Za-z0-9])(noxus_[A-Za-z0-9]{8,}|sk[-_][A-Za-z0-9_]{8,})/g;
// For JSON that cannot be parsed (truncated, or cut at the trace limit): mask by field name in the text.
const SECRET_FIELD_IN_TEXT =
  /("[^"\\]*(?:key|secret|token|password|value|authorization)[^"\\]*"\s*:\s*)("(?:[^"\\]|\\.)*"?|-?[0-9][0-9.eE+-]*|true|false)/gi;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Masks anything that looks like an API key, and every occurrence of the given secrets. */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "secrets" would mask ordinary words; real keys are long.
    if (secret && secret.length >= 6) out = out.replace(new RegExp(escapeRegExp(secret), 'g'), MASK);
  }
  return out.replace(KEY_LIKE, MASK);
}

/** Returns a copy of the headers with credentials replaced by `***` and key-like values masked. */
export function redactHeaders(
  headers: Record<string, unknown>,
  secrets: readonly (string | undefined)[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (SECRET_HEADERS.has(name.toLowerCase())) out[name] = MASK;
    else if (Array.isArray(value)) out[name] = value.map((v) => redactText(String(v), secrets));
    else out[name] = redactText(String(value), secrets);
  }
  return out;
}

function redactValue(value: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) ? MASK : redactValue(v, secrets);
    }
    return out;
  }
  return value;
}

function truncate(text: string, limit: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= limit) return text;
  const cut = Buffer.from(text)
    .subarray(0, limit)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}… (${bytes - Buffer.byteLength(cut)} more bytes)`;
}

/**
 * Renders a request or response body for a log line: JSON fields whose name looks secret become
 * `***`, key-like strings are masked, and the result is cut to `limit` bytes (after masking, so a
 * cut never exposes part of a secret that masking would have hidden).
 */
export function redactBody(
  body: unknown,
  secrets: readonly (string | undefined)[] = [],
  limit: number = TRACE_BODY_LIMIT,
): string {
  if (body === undefined) return '';
  let text: string;
  if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) {
    const raw = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    let parsed: unknown;
    let isJson = false;
    try {
      parsed = JSON.parse(raw);
      isJson = true;
    } catch {
      isJson = false;
    }
    text = isJson
      ? JSON.stringify(redactValue(parsed, secrets))
      : redactText(raw.replace(SECRET_FIELD_IN_TEXT, `$1"${MASK}"`), secrets);
  } else {
    text = JSON.stringify(redactValue(body, secrets)) ?? String(body);
  }
  return truncate(text, limit);
}
