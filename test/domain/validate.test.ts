import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emailProblem,
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  nameProblem,
  normalizeEmail,
  parseDuration,
} from '../../src/domain/validate.js';
import { RUNS } from './arbitraries.js';

/** Case flips of ASCII and Latin-1/Latin Extended letters whose upper and lower forms round-trip. */
const LETTERS = 'abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïñòóôõöøùúûüýþāăąćčďēęěğīįłńňōőœřśşšťūůűųźżž';
const letter = fc.constantFrom(...LETTERS);
const caseFlipped = fc
  .array(fc.tuple(letter, fc.boolean()), { minLength: 1, maxLength: 20 })
  .map(
    (cs) => [cs.map(([c]) => c).join(''), cs.map(([c, up]) => (up ? c.toUpperCase() : c)).join('')] as const,
  );

const CONTROL_CHARS = [...Array(0x20).keys(), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)].map((c) =>
  String.fromCharCode(c),
);
const control = fc.constantFrom(...CONTROL_CHARS);

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const localPart = fc.stringMatching(
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+){0,3}$/,
);
/** Typical addresses: local@label(.label)+ */
const typicalEmail = fc
  .tuple(
    localPart,
    fc.array(label, { minLength: 1, maxLength: 3 }),
    fc.constantFrom('com', 'io', 'ai', 'co.uk', 'de'),
  )
  .map(([l, ls, tld]) => `${l}@${ls.join('.')}.${tld}`)
  .filter((e) => e.length <= MAX_EMAIL_LENGTH);

describe('normalizeEmail', () => {
  it('composed and decomposed forms of the same address compare equal (NFC first)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        expect(normalizeEmail(s.normalize('NFD'))).toBe(normalizeEmail(s.normalize('NFC')));
        expect(normalizeEmail(s)).toBe(normalizeEmail(s.normalize('NFD')));
      }),
      RUNS,
    );
  });

  it('is case-insensitive', () => {
    fc.assert(
      fc.property(caseFlipped, typicalEmail, ([lower, mixed], email) => {
        expect(normalizeEmail(mixed)).toBe(normalizeEmail(lower));
        expect(normalizeEmail(`${mixed}@Example.COM`)).toBe(`${lower}@example.com`);
        expect(normalizeEmail(email.toUpperCase())).toBe(normalizeEmail(email));
        expect(normalizeEmail(email.normalize('NFD').toUpperCase())).toBe(normalizeEmail(email));
      }),
      RUNS,
    );
  });

  it('is idempotent and yields NFC for Latin text', () => {
    fc.assert(
      fc.property(caseFlipped, ([, mixed]) => {
        const once = normalizeEmail(mixed.normalize('NFD'));
        expect(normalizeEmail(once)).toBe(once);
        expect(once.normalize('NFC')).toBe(once);
      }),
      RUNS,
    );
  });

  it('examples: É composed vs decomposed, any case', () => {
    const composed = '\u00C9lodie@Acme.io';
    const decomposed = 'E\u0301lodie@Acme.io';
    expect(composed).not.toBe(decomposed);
    expect(normalizeEmail(composed)).toBe('\u00E9lodie@acme.io');
    expect(normalizeEmail(decomposed)).toBe('\u00E9lodie@acme.io');
    expect(normalizeEmail('\u00E9LODIE@ACME.IO')).toBe(normalizeEmail(decomposed));
    expect(normalizeEmail('Ana@Acme.IO')).toBe('ana@acme.io');
  });

  it('lowercasing after NFC still yields an NFC result (J + caron)', () => {
    const upper = 'J\u030C@x.io';
    const lower = '\u01F0@x.io';
    expect('\u01F0'.toUpperCase()).toBe('J\u030C'); // same letter, different case
    const n = normalizeEmail(upper);
    expect(n.normalize('NFC')).toBe(n);
    expect(normalizeEmail(n)).toBe(n);
    expect(normalizeEmail(upper)).toBe(normalizeEmail(lower));
  });
});

describe('emailProblem', () => {
  it('accepts typical addresses', () => {
    fc.assert(
      fc.property(typicalEmail, (e) => {
        expect(emailProblem(e)).toBeUndefined();
      }),
      RUNS,
    );
    for (const e of [
      'ana@acme.io',
      'first.last+tag@mail.example.co.uk',
      'o\u2019brien@acme.io',
      'élodie@exämple.de',
    ]) {
      expect(emailProblem(e)).toBeUndefined();
    }
  });

  it('rejects a control character anywhere', () => {
    fc.assert(
      fc.property(typicalEmail, control, fc.nat(), (e, c, at) => {
        const i = at % (e.length + 1);
        expect(emailProblem(e.slice(0, i) + c + e.slice(i))).toBe('must not contain control characters');
      }),
      RUNS,
    );
  });

  it('rejects spaces anywhere (inside, leading, trailing)', () => {
    fc.assert(
      fc.property(typicalEmail, fc.constantFrom(' ', '\u00A0', '\u2003', '\u3000'), fc.nat(), (e, sp, at) => {
        const i = at % (e.length + 1);
        expect(emailProblem(e.slice(0, i) + sp + e.slice(i))).toBeDefined();
      }),
      RUNS,
    );
  });

  it('rejects an address without @, with two @, or without a dot in the domain', () => {
    fc.assert(
      fc.property(typicalEmail, label, (e, l) => {
        const [local, domain] = e.split('@') as [string, string];
        expect(emailProblem(local + domain)).toBeDefined();
        expect(emailProblem(`${local}@${l}`)).toBeDefined();
        expect(emailProblem(`${local}@${l}@${domain}`)).toBeDefined();
        expect(emailProblem(`${local}@${domain}.`)).toBeDefined();
        expect(emailProblem(`${local}@.${domain}`)).toBeDefined();
        expect(emailProblem(`@${domain}`)).toBeDefined();
      }),
      RUNS,
    );
  });

  it('rejects over-long addresses and accepts the maximum length', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_EMAIL_LENGTH + 1, max: 2000 }), (len) => {
        const e = `${'a'.repeat(len - '@acme.io'.length)}@acme.io`;
        expect(e.length).toBe(len);
        expect(emailProblem(e)).toBe(`must be at most ${MAX_EMAIL_LENGTH} characters`);
      }),
      RUNS,
    );
    expect(emailProblem(`${'a'.repeat(MAX_EMAIL_LENGTH - '@acme.io'.length)}@acme.io`)).toBeUndefined();
  });

  it('examples', () => {
    expect(emailProblem('')).toBe('must not be empty');
    expect(emailProblem(undefined)).toBe('must be a string');
    expect(emailProblem(42)).toBe('must be a string');
    expect(emailProblem(' ana@acme.io')).toBe('must not start or end with spaces');
    expect(emailProblem('ana @acme.io')).toBe('"ana @acme.io" is not a valid email address');
    expect(emailProblem('ana@acme\u0000.io')).toBe('must not contain control characters');
    expect(emailProblem('ana.acme.io')).toBeDefined();
    expect(emailProblem('ana@localhost')).toBeDefined();
    expect(emailProblem('ana@acme..io')).toBeDefined();
  });
});

/** Written out from the decision (D9), independently of the implementation's patterns. */
const BIDI_CHARS = [
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200e',
  '\u200f',
  '\u061c',
];
const ZERO_WIDTH_CHARS = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
const BIDI = new RegExp(`[${BIDI_CHARS.join('')}]`);
const ZERO_WIDTH = new RegExp(`[${ZERO_WIDTH_CHARS.join('')}]`);

describe('nameProblem', () => {
  const printable = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: MAX_NAME_LENGTH })
    .filter(
      (s) =>
        [...s].length <= MAX_NAME_LENGTH &&
        s.trim().length > 0 &&
        !/[\u0000-\u001f\u007f-\u009f]/.test(s) &&
        !BIDI.test(s) &&
        !ZERO_WIDTH.test(s),
    );

  it('accepts non-blank names of at most the maximum length (in code points) without control characters', () => {
    fc.assert(
      fc.property(printable, (s) => {
        expect(nameProblem(s)).toBeUndefined();
      }),
      RUNS,
    );
    expect(nameProblem('😀'.repeat(MAX_NAME_LENGTH))).toBeUndefined();
    expect(nameProblem('Ana Lima')).toBeUndefined();
  });

  it('rejects blank names', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(' ', '\t', '\n', '\u00A0', '\u2003'), { maxLength: 10 }), (ws) => {
        expect(nameProblem(ws.join(''))).toBe('must not be empty');
      }),
      RUNS,
    );
  });

  it('rejects names longer than the maximum, and honours a custom maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 60 }), (len, max) => {
        const s = 'x'.repeat(len);
        expect(nameProblem(s, max)).toBe(len > max ? `must be at most ${max} characters` : undefined);
      }),
      RUNS,
    );
    expect(nameProblem('a'.repeat(MAX_NAME_LENGTH + 1))).toBe(
      `must be at most ${MAX_NAME_LENGTH} characters`,
    );
  });

  it('rejects a control character anywhere in an otherwise good name', () => {
    fc.assert(
      fc.property(printable, control, fc.nat(), (s, c, at) => {
        const i = at % (s.length + 1);
        const name = `x${s.slice(0, i)}${c}${s.slice(i)}`;
        fc.pre([...name].length <= MAX_NAME_LENGTH);
        expect(nameProblem(name)).toBe('must not contain control characters');
      }),
      RUNS,
    );
    expect(nameProblem('Ana\u0007')).toBe('must not contain control characters');
    expect(nameProblem(null)).toBe('must be a string');
  });

  it('rejects every bidirectional control and zero-width character anywhere in a name (D9)', () => {
    fc.assert(
      fc.property(printable, fc.constantFrom(...BIDI_CHARS), fc.nat(), (s, c, at) => {
        const i = at % (s.length + 1);
        const name = `x${s.slice(0, i)}${c}${s.slice(i)}`;
        fc.pre([...name].length <= MAX_NAME_LENGTH);
        expect(nameProblem(name)).toBe('must not contain bidirectional control characters');
      }),
      RUNS,
    );
    for (const c of ZERO_WIDTH_CHARS)
      expect(nameProblem(`Ana${c}Lima`)).toBe('must not contain zero-width characters');
    // Joiners inside emoji sequences are zero-width too: a name is text, not pictures.
    expect(nameProblem('\u{1F469}\u200d\u{1F4BB}')).toBe('must not contain zero-width characters');
    expect(nameProblem('Ana \u202eLima')).toBe('must not contain bidirectional control characters');
  });
});

describe('parseDuration', () => {
  const UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
  const unit = fc.constantFrom(...(Object.keys(UNITS) as Array<keyof typeof UNITS>));

  it('parses N{s,m,h,d,w} into milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), unit, (n, u) => {
        expect(parseDuration(`${n}${u}`)).toBe(n * UNITS[u]);
        expect(parseDuration(` ${n}${u} `)).toBe(n * UNITS[u]);
      }),
      RUNS,
    );
  });

  it('rejects zero, negative, fractional, unknown units and junk', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        unit,
        fc.constantFrom('x', 'y', 'ms', 'D', 'H', ''),
        (n, u, bad) => {
          expect(parseDuration(`0${u}`)).toBeUndefined();
          expect(parseDuration(`-${n}${u}`)).toBeUndefined();
          expect(parseDuration(`${n}.5${u}`)).toBeUndefined();
          expect(parseDuration(`${n}${bad}`)).toBeUndefined();
          expect(parseDuration(u)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });

  it('examples', () => {
    expect(parseDuration('1s')).toBe(1_000);
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['0d', '-1d', '10x', '', '   ', 'd', '1d2h', '99999999999999999999w']) {
      expect(parseDuration(bad)).toBeUndefined();
    }
  });
});
