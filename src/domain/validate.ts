// Validation shared by the sandbox (422 details) and the CLI (checks before any request).

export const MAX_NAME_LENGTH = 200;
export const MAX_EMAIL_LENGTH = 254;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidirectional controls reorder what a terminal shows (a name can display as another); zero-width
// characters make two different names look the same. Neither has a place in a name.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/;
// Deliberately conservative: local@domain.tld with no spaces, one @, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;

/** Emails compare case-insensitively after NFC; they are stored as given. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').toLowerCase().normalize('NFC');
}

/** Returns an error message, or undefined when the email is acceptable. */
export function emailProblem(email: unknown): string | undefined {
  if (typeof email !== 'string') return 'must be a string';
  if (email.length === 0) return 'must not be empty';
  if (email.length > MAX_EMAIL_LENGTH) return `must be at most ${MAX_EMAIL_LENGTH} characters`;
  if (CONTROL.test(email)) return 'must not contain control characters';
  if (!isWellFormed(email)) return 'must be valid Unicode';
  if (email !== email.trim()) return 'must not start or end with spaces';
  if (!EMAIL.test(email)) return `"${email}" is not a valid email address`;
  return undefined;
}

/** Names: non-empty after trimming, bounded, no control characters. */
export function nameProblem(name: unknown, max = MAX_NAME_LENGTH): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.trim().length === 0) return 'must not be empty';
  if ([...name].length > max) return `must be at most ${max} characters`;
  if (CONTROL.test(name)) return 'must not contain control characters';
  if (BIDI.test(name)) return 'must not contain bidirectional control characters';
  if (ZERO_WIDTH.test(name)) return 'must not contain zero-width characters';
  if (!isWellFormed(name)) return 'must be valid Unicode (it contains a lone surrogate)';
  return undefined;
}

/** No lone UTF-16 surrogates (they cannot be stored as UTF-8 unchanged). */
function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `90d`, `12h`, `30m`, `1s`, `2w` into milliseconds; undefined when malformed or zero. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
