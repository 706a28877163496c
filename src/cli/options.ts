import { Option } from 'commander';

export const dryRunOption = () => new Option('--dry-run', 'show what would change, change nothing');
export const jsonOption = () => new Option('--json', 'print one JSON document (schema_version) to stdout');

/** Appends an "Examples:" block to a command's help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
