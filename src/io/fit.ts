// Fitting a table to the terminal: cli-table3 draws every column as wide as its widest cell, so a
// list of keys with their permission sets is wider than any terminal. Columns a command marks as
// optional go first, then the widest cells are cut (…), and as a last resort the rightmost columns
// go; `--wide` skips all of it.

export interface Fitted {
  head: string[];
  rows: string[][];
  hidden: string[];
  cut: boolean;
}

/** Narrowest a cut column gets (its header is never cut below this either). */
const MIN_WIDTH = 10;

const widthOf = (s: string) => Math.max(0, ...s.split('\n').map((l) => [...l].length));
const cutTo = (s: string, w: number) =>
  s
    .split('\n')
    .map((l) => ([...l].length > w ? `${[...l].slice(0, w - 1).join('')}…` : l))
    .join('\n');

/** cli-table3's width: a space either side of each cell and one border between and around columns. */
const tableWidth = (widths: number[]) => widths.reduce((a, w) => a + w + 3, 1);

/**
 * `priority[i] > 0` marks column i as optional: the highest goes first (ties: the rightmost).
 * Without a known terminal width nothing changes.
 */
export function fitTable(
  head: string[],
  rows: string[][],
  priority: number[],
  width: number | undefined,
): Fitted {
  const natural = head.map((h, i) => Math.max(widthOf(h), ...rows.map((r) => widthOf(r[i] ?? ''))));
  let keep = head.map((_, i) => i);
  const total = () => tableWidth(keep.map((i) => natural[i] as number));
  if (!width || total() <= width) return { head, rows, hidden: [], cut: false };
  const optional = keep
    .filter((i) => (priority[i] ?? 0) > 0)
    .sort((a, b) => (priority[b] as number) - (priority[a] as number) || b - a);
  for (const i of optional) {
    if (total() <= width) break;
    keep = keep.filter((k) => k !== i);
  }
  // Cut the widest columns down to a common cap, never below MIN_WIDTH; drop from the right if even
  // that does not fit (the first column always stays).
  let caps = keep.map((i) => natural[i] as number);
  const fits = () => tableWidth(caps) <= width;
  const capAt = (c: number) => keep.map((i) => Math.min(natural[i] as number, Math.max(c, MIN_WIDTH)));
  if (!fits()) {
    let c = Math.max(...caps);
    while (c > MIN_WIDTH && !fits()) caps = capAt(--c);
    while (!fits() && keep.length > 1) {
      keep = keep.slice(0, -1);
      caps = capAt(c);
    }
  }
  const cut = keep.some((i, k) => (caps[k] as number) < (natural[i] as number));
  const pick = (r: string[]) => keep.map((i, k) => cutTo(r[i] ?? '', caps[k] as number));
  return {
    head: pick(head),
    rows: rows.map(pick),
    hidden: head.filter((_, i) => !keep.includes(i)),
    cut,
  };
}
