// Terminal safety of server text: control characters, bidi controls and zero-width characters are
// shown as visible escapes; JSON keeps the same value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cell, escapeControl, safeJson } from '../../src/io/text.js';

const BIDI = [
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
const ZERO_WIDTH = [
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u180e',
  '\u{e0041}',
  '\u{e007f}',
];
const RAW =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\u{e0000}-\u{e0fff}]/u;

const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...BIDI, ...ZERO_WIDTH, '\u001b', '\u009b', '\n', '\t', '\u2028'),
    fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
  ),
  maxLength: 40,
});

describe('escapeControl', () => {
  it('shows bidi controls and zero-width characters as \\u escapes', () => {
    expect(escapeControl('admin\u202egnp.exe')).toBe('admin\\u202egnp.exe');
    expect(escapeControl('a\u2066b\u2069c\u200ed\u200ff\u061c')).toBe(
      'a\\u2066b\\u2069c\\u200ed\\u200ff\\u061c',
    );
    expect(escapeControl('ad\u200bmin\u200c\u200d\u2060\ufeff')).toBe(
      'ad\\u200bmin\\u200c\\u200d\\u2060\\ufeff',
    );
    expect(escapeControl('tag\u{e0041}\u{e007f}')).toBe('tag\\u{e0041}\\u{e007f}');
    expect(escapeControl('soft\u00adhyphen\u180e')).toBe('soft\\u00adhyphen\\u180e');
    expect(escapeControl('line\u2028para\u2029')).toBe('line\\u2028para\\u2029');
  });

  it('keeps ordinary text, accents, CJK and emoji as they are', () => {
    for (const s of ['Zoë Ångström', '山田 太郎', 'Renée 🚀', 'ok\ttab\nnewline'])
      expect(escapeControl(s)).toBe(s);
  });

  it('never lets a raw control, bidi or zero-width character through', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        expect(escapeControl(s)).not.toMatch(RAW);
        expect(cell(s)).not.toMatch(/[\t\n]/);
        expect(cell(s)).not.toMatch(RAW);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('safeJson', () => {
  it('escapes them as JSON \\u escapes that parse back to the same value', () => {
    expect(safeJson({ name: 'a\u202eb\u200b\u{e0041}' })).toBe('{"name":"a\\u202eb\\u200b\\udb40\\udc41"}');
    fc.assert(
      fc.property(hostile, (s) => {
        const text = safeJson({ s, list: [s] }, 2);
        expect(text).not.toMatch(RAW);
        expect(JSON.parse(text)).toEqual({ s, list: [s] });
      }),
      { numRuns: 3000 },
    );
  });
});
