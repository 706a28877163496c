import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeMatches } from '../../src/domain/match.js';
import { ORG_PERMISSIONS, WORKSPACE_PERMISSIONS } from '../../src/domain/permissions.js';
import { BUILTIN_ROLES } from '../../src/domain/roles.js';
import { RUNS } from './arbitraries.js';

const ROLE_NAMES = BUILTIN_ROLES.map((r) => r.name);
const CANDIDATE_SETS = [ROLE_NAMES, [...WORKSPACE_PERMISSIONS], [...ORG_PERMISSIONS]];

/** A candidate with one typo: a character deleted, replaced, or two neighbours swapped. */
const typo = fc
  .tuple(fc.constantFrom(...CANDIDATE_SETS), fc.nat(), fc.nat(), fc.constantFrom('delete', 'replace', 'swap'))
  .map(([cands, pick, at, kind]) => {
    const target = cands[pick % cands.length] as string;
    const i = at % (target.length - 1);
    const typed =
      kind === 'delete'
        ? target.slice(0, i) + target.slice(i + 1)
        : kind === 'replace'
          ? `${target.slice(0, i)}#${target.slice(i + 1)}`
          : target.slice(0, i) + target.charAt(i + 1) + target.charAt(i) + target.slice(i + 2);
    return { cands, target, typed };
  });

describe('closeMatches', () => {
  it('examples: editr ⇒ Editor; nothing for something unrelated', () => {
    expect(closeMatches('editr', ROLE_NAMES)).toEqual(['Editor']);
    expect(closeMatches('EDITR', ROLE_NAMES)).toEqual(['Editor']);
    expect(closeMatches('flows_rn', WORKSPACE_PERMISSIONS)).toContain('flows_run');
    expect(closeMatches('billing', ROLE_NAMES)).toEqual([]);
    expect(closeMatches('kubernetes', ROLE_NAMES)).toEqual([]);
  });

  it('a single typo of a candidate still suggests that candidate (case-insensitively)', () => {
    fc.assert(
      fc.property(typo, fc.boolean(), ({ cands, target, typed }, upper) => {
        const input = upper ? typed.toUpperCase() : typed;
        expect(closeMatches(input, cands, cands.length)).toContain(target);
      }),
      RUNS,
    );
  });

  it('suggests only candidates, without duplicates, at most `limit` of them', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 12 }),
        fc.array(
          fc.oneof(fc.constantFrom(...ROLE_NAMES, ...WORKSPACE_PERMISSIONS), fc.string({ maxLength: 12 })),
        ),
        fc.integer({ min: 0, max: 6 }),
        (input, cands, limit) => {
          const got = closeMatches(input, cands, limit);
          expect(got.length).toBeLessThanOrEqual(limit);
          expect(new Set(got).size).toBe(got.length);
          for (const g of got) expect(cands).toContain(g);
        },
      ),
      RUNS,
    );
  });

  it('an exact (case-insensitive) hit is suggested, behind at most equal substring hits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROLE_NAMES), fc.boolean(), (name, upper) => {
        const input = upper ? name.toUpperCase() : name.toLowerCase();
        const got = closeMatches(input, ROLE_NAMES, ROLE_NAMES.length);
        expect(got).toContain(name);
        // anything ranked before it is an equally good substring hit (contains, or is contained in, the input)
        const needle = input.toLowerCase();
        for (const g of got.slice(0, got.indexOf(name))) {
          const hay = g.toLowerCase();
          expect(hay.includes(needle) || needle.includes(hay)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('digits-only input of 3+ characters matches no role or permission name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{3,20}$/), fc.constantFrom(...CANDIDATE_SETS), (input, cands) => {
        expect(closeMatches(input, cands)).toEqual([]);
      }),
      RUNS,
    );
  });
});
