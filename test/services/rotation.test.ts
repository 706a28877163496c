// The rules a rotation follows whatever the server: the new key's expiry, the outgoing key's name.
import { describe, expect, it } from 'vitest';
import { rotatedName } from '../../src/sandbox/model/keys.js';
import { rotatedExpiry, sameRestriction } from '../../src/services/keys.js';

const now = new Date('2026-11-29T12:00:00.000Z');

describe('rotatedExpiry', () => {
  it('is the asked expiry when one is given', () => {
    const old = { created_at: '2026-11-01T00:00:00.000Z', expires_at: '2026-12-01T00:00:00.000Z' };
    expect(rotatedExpiry({ expiresIn: '7d' }, old, now)).toBe('2026-12-06T12:00:00.000Z');
    expect(rotatedExpiry({ expiresAt: '2027-01-31T00:00:00Z' }, old, now)).toBe('2027-01-31T00:00:00.000Z');
  });
  it("else the old key's lifetime counted from now", () => {
    const old = { created_at: '2026-11-01T00:00:00.000Z', expires_at: '2026-12-01T00:00:00.000Z' };
    expect(rotatedExpiry({}, old, now)).toBe('2026-12-29T12:00:00.000Z');
  });
  it('else none, when the old key never expired', () => {
    expect(rotatedExpiry({}, { created_at: '2026-11-01T00:00:00.000Z', expires_at: null }, now)).toBeNull();
  });
});

describe('rotatedName', () => {
  it('marks the outgoing key with the time of the rotation, to the second', () => {
    expect(rotatedName('deploy', '2026-11-29T18:45:30.123Z')).toBe('deploy (rotated 2026-11-29T18:45:30Z)');
  });
  it('stays within the 100 characters a key name may have', () => {
    const n = rotatedName('x'.repeat(100), '2026-11-29T18:45:30.123Z');
    expect([...n].length).toBe(100);
    expect(n.endsWith('x (rotated 2026-11-29T18:45:30Z)')).toBe(true);
  });
});

describe('sameRestriction', () => {
  it('compares as sets; unrestricted only equals unrestricted', () => {
    expect(sameRestriction(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameRestriction(['a'], ['a', 'b'])).toBe(false);
    expect(sameRestriction(null, null)).toBe(true);
    expect(sameRestriction(null, ['a'])).toBe(false);
  });
});
