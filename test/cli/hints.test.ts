// The CLI words what to run next from the reasons api/ gives (api/ names no command).
import { describe, expect, it } from 'vitest';
import { hintOf } from '../../src/cli/hints.js';

describe('hintOf', () => {
  it('a 401 with a profile names the login command for that profile', () => {
    expect(
      hintOf({ reason: { kind: 'unauthorized', keySent: true, profileName: 'work', keySource: 'keychain' } }),
    ).toBe(
      'the key of profile work no longer works; run: noxus auth login --profile work (or set NOXUS_API_KEY)',
    );
  });

  it('a 401 without a profile says to log in', () => {
    expect(hintOf({ reason: { kind: 'unauthorized', keySent: false } })).toBe(
      'run: noxus auth login (or set NOXUS_API_KEY)',
    );
  });

  it('a 401 with a key from NOXUS_API_KEY points at the variable, not at a login', () => {
    expect(
      hintOf({ reason: { kind: 'unauthorized', keySent: true, keySource: 'env', profileName: 'p' } }),
    ).toBe('the key comes from NOXUS_API_KEY: set it to a valid key, or unset it to use a stored login');
  });

  it('a missing extension endpoint adds the sandbox line after the console step', () => {
    const sandbox =
      'this needs the extended admin API, which the Noxus sandbox implements (noxus sandbox); the public Noxus API has no such endpoint';
    expect(hintOf({ hint: 'in the Noxus web console: X', reason: { kind: 'not_extended' } })).toBe(
      `in the Noxus web console: X\n${sandbox}`,
    );
    expect(hintOf({ reason: { kind: 'not_extended' } })).toBe(sandbox);
  });

  it('a gateway 403 and an unexpected body point at noxus doctor', () => {
    expect(
      hintOf({ hint: 'missing: a\na gateway may be refusing it', reason: { kind: 'gateway_refused' } }),
    ).toBe('missing: a\na gateway may be refusing it; run noxus doctor');
    expect(hintOf({ hint: 'check the server URL', reason: { kind: 'unexpected_response' } })).toBe(
      'check the server URL (noxus doctor)',
    );
  });

  it('a call still in progress and a status filter the server cannot answer name the flags to use', () => {
    expect(hintOf({ reason: { kind: 'still_in_progress' } })).toBe(
      'run the same command again (with --resume for a bulk run) to get its result without repeating it',
    );
    expect(hintOf({ reason: { kind: 'status_filter_unsupported' } })).toBe(
      'use --status active or --status inactive',
    );
  });

  it('an error without a reason keeps its own hint', () => {
    expect(hintOf({ hint: 'try again later' })).toBe('try again later');
    expect(hintOf({})).toBeUndefined();
  });
});
