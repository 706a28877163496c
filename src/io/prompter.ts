// Prompts behind an interface: commands ask, tests answer from a script, and @inquirer/prompts is
// only loaded when a real terminal is asked something.

import type { IO } from './streams.js';
import { escapeControl } from './text.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  disabled?: boolean | string;
  checked?: boolean;
}

export interface Prompter {
  input(o: { message: string; default?: string; validate?: (v: string) => true | string }): Promise<string>;
  password(o: { message: string }): Promise<string>;
  select<T>(o: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  checkbox<T>(o: { message: string; choices: Choice<T>[]; required?: boolean }): Promise<T[]>;
  confirm(o: { message: string; default?: boolean }): Promise<boolean>;
  /** One choice from a list filtered by what is typed (see `filterChoices`); Enter takes the highlighted one. */
  search<T>(o: { message: string; choices: Choice<T>[] }): Promise<T>;
}

/**
 * The choices a search prompt shows for `term`: those whose name (or description) contains every
 * word of it, case-insensitively, in their original order; all of them for an empty term.
 */
export function filterChoices<T>(choices: Choice<T>[], term: string | undefined): Choice<T>[] {
  const words = (term ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return choices;
  return choices.filter((c) => {
    const text = `${c.name} ${c.description ?? ''}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

export async function inquirerPrompter(io: IO): Promise<Prompter> {
  const p = await import('@inquirer/prompts');
  // Prompts draw on stderr so that stdout stays clean for data.
  const context = { input: io.stdin, output: io.stderr, clearPromptOnDone: false };
  // Messages and choices carry server text (names, emails): escaped like any other output.
  const esc = escapeControl;
  const choices = <T>(cs: Choice<T>[]) =>
    cs.map((c) => ({
      ...c,
      name: esc(c.name),
      description: c.description === undefined ? undefined : esc(c.description),
      disabled: typeof c.disabled === 'string' ? esc(c.disabled) : c.disabled,
    }));
  return {
    input: (o) => p.input({ message: esc(o.message), default: o.default, validate: o.validate }, context),
    password: (o) => p.password({ message: esc(o.message), mask: '*' }, context),
    select: (o) =>
      p.select(
        { message: esc(o.message), choices: choices(o.choices), default: o.default, pageSize: 12 },
        context,
      ),
    checkbox: (o) =>
      p.checkbox(
        { message: esc(o.message), choices: choices(o.choices), required: o.required, pageSize: 12 },
        context,
      ),
    confirm: (o) => p.confirm({ message: esc(o.message), default: o.default }, context),
    search: (o) => {
      const all = choices(o.choices);
      return p.search(
        {
          message: esc(o.message),
          source: (term) => filterChoices(all, term),
          pageSize: 12,
          instructions: {
            navigation: 'type to filter • ↑↓ move • ⏎ choose',
            pager: 'type to filter • ↑↓ move (more below) • ⏎ choose',
          },
        },
        context,
      );
    },
  };
}
