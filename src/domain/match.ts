import { distance } from 'fastest-levenshtein';

/** Up to `limit` candidates close to `input` (case-insensitive), best first, for "did you mean" hints. */
export function closeMatches(input: string, candidates: Iterable<string>, limit = 3): string[] {
  const needle = input.toLowerCase();
  if (needle.length === 0) return [];
  // Emails share long domains: judge them by the whole address, and never by containment.
  const email = needle.includes('@');
  const scored: Array<[string, number]> = [];
  for (const c of new Set(candidates)) {
    const hay = c.toLowerCase();
    const d =
      hay === needle
        ? 0
        : !email && (hay.includes(needle) || needle.includes(hay))
          ? 0.5
          : distance(needle, hay);
    if (d <= (email ? 2 : Math.max(2, Math.floor(needle.length / 3)))) scored.push([c, d]);
  }
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([c]) => c);
}

/**
 * The one wording of a suggestion, for the CLI and the sandbox alike: `did you mean a?`, or
 * `did you mean a, b or c?`; undefined when nothing is close.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const near = closeMatches(input, candidates);
  if (near.length === 0) return undefined;
  const list = near.length === 1 ? near[0] : `${near.slice(0, -1).join(', ')} or ${near[near.length - 1]}`;
  return `did you mean ${list}?`;
}
