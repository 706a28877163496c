// One rule for every expiry the sandbox accepts (keys, system keys, workspace grants).

import { unprocessable } from '../errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO 8601 date-time with a zone, strictly in the future, stored as ISO 8601 UTC so that
 * comparisons as text are comparisons in time. `loc` is where a refusal points (422).
 */
export function normalizeExpiry(
  value: string | null | undefined,
  now: Date,
  loc: Array<string | number> = ['body', 'expires_at'],
): string | null {
  if (value == null) return null;
  const t = Date.parse(value);
  if (!ISO.test(value) || Number.isNaN(t)) {
    throw unprocessable(
      loc,
      'expires_at must be an ISO 8601 date-time with a time zone, e.g. 2027-01-31T00:00:00Z',
    );
  }
  if (t <= now.getTime()) throw unprocessable(loc, `expires_at ${value} is in the past`);
  return new Date(t).toISOString();
}
