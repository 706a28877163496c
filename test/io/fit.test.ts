import { describe, expect, it } from 'vitest';
import { fitTable } from '../../src/io/fit.js';

const head = ['Name', 'Perms', 'Created', 'ID'];
const rows = [
  ['deploy', 'flows_run,flows_edit,agents_run,kbs_query', '2 days ago', 'k-1'],
  ['ci', 'flows_run', 'yesterday', 'k-2'],
];
// Natural widths 6, 41, 10, 3: a table of 6+41+10+3 + 4*3 + 1 = 73 columns.

describe('fitTable', () => {
  it('changes nothing when the table fits or the width is unknown', () => {
    expect(fitTable(head, rows, [0, 0, 1, 0], 73)).toEqual({ head, rows, hidden: [], cut: false });
    expect(fitTable(head, rows, [0, 0, 1, 0], undefined)).toEqual({ head, rows, hidden: [], cut: false });
  });

  it('hides optional columns first, the highest priority first', () => {
    expect(fitTable(head, rows, [0, 0, 1, 0], 72)).toEqual({
      head: ['Name', 'Perms', 'ID'],
      rows: [
        ['deploy', 'flows_run,flows_edit,agents_run,kbs_query', 'k-1'],
        ['ci', 'flows_run', 'k-2'],
      ],
      hidden: ['Created'],
      cut: false,
    });
  });

  it('then cuts the widest cells with an ellipsis', () => {
    // Without Created: 6+41+3 + 3*3 + 1 = 60; 50 leaves Perms 31 wide.
    const f = fitTable(head, rows, [0, 0, 1, 0], 50);
    expect(f.hidden).toEqual(['Created']);
    expect(f.cut).toBe(true);
    expect(f.rows[0]).toEqual(['deploy', 'flows_run,flows_edit,agents_ru…', 'k-1']);
    expect(f.rows[1]).toEqual(['ci', 'flows_run', 'k-2']);
  });

  it('as a last resort drops columns from the right, never the first', () => {
    const f = fitTable(head, rows, [0, 0, 0, 0], 20);
    expect(f.head).toEqual(['Name']);
    expect(f.hidden).toEqual(['Perms', 'Created', 'ID']);
  });
});
