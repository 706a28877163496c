// The rule for every missing value: flag given → use it; terminal → prompt; otherwise exit 2 with
// the complete command to run.

import type { Role } from '../api/roles.js';
import { grantedPermissions } from '../domain/identity.js';
import { expandWorkspacePermissions } from '../domain/permissions.js';
import { CancelledError, UsageError } from '../errors.js';
import type { Choice, Prompter } from '../io/prompter.js';
import type { Context } from './context.js';

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Builds `noxus <words> --flag value ...` with placeholders for the values still missing. */
export function commandLine(
  words: string[],
  flags: Array<[string, string | string[] | boolean | undefined]>,
): string {
  const parts = ['noxus', ...words.map(shellQuote)];
  for (const [flag, v] of flags) {
    if (v === undefined || v === false) continue;
    if (v === true) parts.push(flag);
    else
      for (const one of Array.isArray(v) ? v : [v])
        parts.push(flag, one.startsWith('<') ? one : shellQuote(one));
  }
  return parts.join(' ');
}

export function missingValues(what: string[], command: string): UsageError {
  return new UsageError(
    `missing ${what.join(', ')} (no terminal to ask: stdin/stdout is not a TTY, CI is set, or --no-input)`,
    {
      hint: `run: ${command}`,
    },
  );
}

/** Value from the flag, else from a prompt; `undefined` when neither is possible (caller reports). */
export async function fromFlagOrPrompt<T>(
  ctx: Context,
  value: T | undefined,
  prompt: (p: Prompter) => Promise<T>,
): Promise<T | undefined> {
  if (value !== undefined) return value;
  if (!ctx.canPrompt()) return undefined;
  return prompt(await ctx.prompter());
}

/** Destructive verbs: --yes, or a confirmation on a terminal; refused otherwise. */
export async function confirmDestructive(ctx: Context, what: string, command: string): Promise<void> {
  if (ctx.globals.yes) return;
  if (!ctx.canPrompt()) {
    throw new UsageError(`refusing to ${what} without confirmation (not a terminal)`, {
      hint: `run: ${command} --yes`,
    });
  }
  const ok = await (await ctx.prompter()).confirm({
    message: `${what[0]?.toUpperCase()}${what.slice(1)}?`,
    default: false,
  });
  if (!ok) throw new CancelledError('cancelled; nothing changed');
}

/** Summary + confirmation before a non-destructive write on a terminal (skipped with --yes or without a terminal). */
export async function confirmWrite(ctx: Context, question: string): Promise<void> {
  if (ctx.globals.yes || !ctx.canPrompt()) return;
  const ok = await (await ctx.prompter()).confirm({ message: question, default: true });
  if (!ok) throw new CancelledError('cancelled; nothing changed');
}

/** Lists longer than this (about a screenful) are searched by typing rather than scrolled. */
export const SEARCH_THRESHOLD = 15;

/** One choice: a plain menu for a short list, a search by typing for a long one (default first). */
export async function pickOne<T>(
  p: Prompter,
  o: { message: string; choices: Choice<T>[]; default?: T },
): Promise<T> {
  if (o.choices.length <= SEARCH_THRESHOLD) return p.select(o);
  const first = o.choices.filter((c) => o.default !== undefined && c.value === o.default);
  return p.search({
    message: o.message,
    choices: [...first, ...o.choices.filter((c) => !first.includes(c))],
  });
}

const DONE = Symbol('done');

/** The name of the entry that ends a search-then-add loop (typing "done" finds it too). */
export const doneChoiceName = (n: number) => `done (${n} chosen)`;
/** How an already chosen entry is shown in the loop: choosing it again takes it back out. */
export const chosenChoiceName = (name: string) => `${name} ✓ chosen (choose again to remove)`;

/**
 * Several choices. A short list is a checkbox; a long one is a search-then-add loop: type to filter,
 * Enter adds the highlighted entry, and the list comes back with "done (N chosen)" first, chosen
 * entries marked (choosing one again removes it). With `required`, "done" appears only after a choice.
 */
export async function pickMany<T>(
  p: Prompter,
  o: { message: string; choices: Choice<T>[]; required?: boolean },
): Promise<T[]> {
  if (o.choices.length <= SEARCH_THRESHOLD) return p.checkbox(o);
  const chosen: T[] = [];
  for (;;) {
    const done: Choice<T | typeof DONE>[] =
      chosen.length > 0 || !o.required ? [{ name: doneChoiceName(chosen.length), value: DONE }] : [];
    const picked = await p.search<T | typeof DONE>({
      message: o.message,
      choices: [
        ...done,
        ...o.choices.map((c) => (chosen.includes(c.value) ? { ...c, name: chosenChoiceName(c.name) } : c)),
      ],
    });
    if (picked === DONE) return o.choices.map((c) => c.value).filter((v) => chosen.includes(v));
    const at = chosen.indexOf(picked);
    if (at >= 0) chosen.splice(at, 1);
    else chosen.push(picked);
  }
}

/**
 * Workspace roles, least privileged first (Reader, Editor, Admin; custom roles by how many
 * workspace permissions they grant), so that the cursor starts on the least privilege.
 */
export function leastPrivilegedFirst<R extends Role>(roles: R[]): R[] {
  const weight = (r: Role) => expandWorkspacePermissions(grantedPermissions(r)).length;
  return roles
    .map((r, i) => ({ r, w: weight(r), i }))
    .sort((a, b) => a.w - b.w || a.i - b.i)
    .map((x) => x.r);
}
