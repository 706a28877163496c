// The README's "real Noxus" table is generated from the capability map; this fails when it is stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, renderTable, withTable } from '../../scripts/capabilities-table.mjs';
import { FEATURES } from '../../src/domain/features.js';
import { COMMANDS, publicVerdict } from '../../src/services/capabilities.js';

const README = join(import.meta.dirname, '../../README.md');

describe('README: each command on real Noxus', () => {
  const table = renderTable(COMMANDS, FEATURES, publicVerdict);

  it('is up to date with COMMANDS and FEATURES (npm run docs:capabilities)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(withTable(readme, table)).toBe(readme);
  });

  it('has one row per command, with its verdict', () => {
    const rows = table.split('\n').slice(2);
    expect(rows.length).toBe(Object.keys(COMMANDS).filter((c) => !c.startsWith('__')).length);
    expect(rows).toContain('| `noxus ws members` | not available | workspace member lists |');
    expect(rows).toContain('| `noxus ws create` | works |  |');
    expect(rows.find((r) => r.startsWith('| `noxus offboard` |'))).toMatch(
      /^\| `noxus offboard` \| guided \(console steps\) \| console: Settings → Users → \(the user\) → Remove;/,
    );
  });

  it('refuses a README without the markers', () => {
    expect(() => withTable('# noxus\n', table)).toThrow(`README.md lacks the markers ${BEGIN} … ${END}`);
  });
});
