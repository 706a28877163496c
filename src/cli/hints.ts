// What to run next, worded here because only the CLI knows its commands: api/ raises errors with a
// reason (src/api/reasons.ts) and src/main.ts prints the hint this returns.
import type { ApiReason } from '../api/reasons.js';
import type { NoxusError } from '../errors.js';

const EXTENDED_API =
  'this needs the extended admin API, which the Noxus sandbox implements (noxus sandbox); the public Noxus API has no such endpoint';

function unauthorized(r: Extract<ApiReason, { kind: 'unauthorized' }>): string {
  if (r.keySource === 'env')
    return 'the key comes from NOXUS_API_KEY: set it to a valid key, or unset it to use a stored login';
  if (r.profileName)
    return `the key of profile ${r.profileName} no longer works; run: noxus auth login --profile ${r.profileName} (or set NOXUS_API_KEY)`;
  return 'run: noxus auth login (or set NOXUS_API_KEY)';
}

/** The error's hint with the CLI's next step added for the reasons api/ reports. */
export function hintOf(err: Pick<NoxusError, 'hint' | 'reason'>): string | undefined {
  const r = err.reason as ApiReason | undefined;
  switch (r?.kind) {
    case 'unauthorized':
      return unauthorized(r);
    case 'not_extended':
      return err.hint ? `${err.hint}\n${EXTENDED_API}` : EXTENDED_API;
    case 'gateway_refused':
      return `${err.hint}; run noxus doctor`;
    case 'unexpected_response':
      return `${err.hint} (noxus doctor)`;
    case 'still_in_progress':
      return 'run the same command again (with --resume for a bulk run) to get its result without repeating it';
    case 'status_filter_unsupported':
      return 'use --status active or --status inactive';
    default:
      return err.hint;
  }
}
