// The picker rules every command shares: a list longer than a screenful is searched by typing, a
// short one is a plain menu or checkbox; what typing leaves on screen; roles least privileged first.
import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/api/roles.js';
import {
  chosenChoiceName,
  doneChoiceName,
  leastPrivilegedFirst,
  pickMany,
  pickOne,
  SEARCH_THRESHOLD,
} from '../../src/cli/interact.js';
import { type Choice, filterChoices } from '../../src/io/prompter.js';
import { pick, scriptedPrompter, tick, typeAndPick } from './support.js';

const people = (n: number): Choice<string>[] =>
  Array.from({ length: n }, (_, i) => ({ name: `user${i}@example.com (Person ${i})`, value: `id${i}` }));

describe('filterChoices', () => {
  const cs: Choice<number>[] = [
    { name: 'Ada Lovelace', value: 1, description: 'analyst' },
    { name: 'Alan Turing', value: 2 },
    { name: 'Grace Hopper', value: 3, disabled: 'suspended' },
  ];
  it('keeps every choice for an empty or blank term', () => {
    expect(filterChoices(cs, undefined)).toEqual(cs);
    expect(filterChoices(cs, '   ')).toEqual(cs);
  });
  it('matches every word, case-insensitively, in name or description, keeping the order', () => {
    expect(filterChoices(cs, 'a').map((c) => c.value)).toEqual([1, 2, 3]);
    expect(filterChoices(cs, 'TUR').map((c) => c.value)).toEqual([2]);
    expect(filterChoices(cs, 'ada analyst').map((c) => c.value)).toEqual([1]);
    expect(filterChoices(cs, 'grace').map((c) => c.disabled)).toEqual(['suspended']);
    expect(filterChoices(cs, 'nobody')).toEqual([]);
  });
});

describe('pickOne and pickMany', () => {
  it(`a list of ${SEARCH_THRESHOLD} is a menu; one more is a search with the default first`, async () => {
    const short = scriptedPrompter([
      { kind: 'select', message: 'Who', answer: pick('user3@example.com (Person 3)') },
    ]);
    expect(await pickOne(short, { message: 'Who', choices: people(SEARCH_THRESHOLD) })).toBe('id3');
    const long = scriptedPrompter([
      {
        kind: 'search',
        message: 'Who',
        answer: typeAndPick('person 12'),
        check: (o) => expect(o.choices.map((c) => c.value).slice(0, 3)).toEqual(['id7', 'id0', 'id1']),
      },
    ]);
    expect(
      await pickOne(long, { message: 'Who', choices: people(SEARCH_THRESHOLD + 1), default: 'id7' }),
    ).toBe('id12');
  });

  it('a short multi-choice is a checkbox', async () => {
    const p = scriptedPrompter([
      { kind: 'checkbox', message: 'Whom', answer: tick('user1@example.com (Person 1)') },
    ]);
    expect(await pickMany(p, { message: 'Whom', choices: people(3) })).toEqual(['id1']);
  });

  it('a long one is a search-then-add loop; "done" only once something is chosen when required', async () => {
    const p = scriptedPrompter([
      {
        kind: 'search',
        message: 'Whom',
        answer: typeAndPick('user20@'),
        check: (o) => expect(o.choices).toHaveLength(30),
      },
      {
        kind: 'search',
        message: 'Whom',
        answer: typeAndPick('user4@'),
        check: (o) => {
          expect(o.choices[0]?.name).toBe(doneChoiceName(1));
          expect(o.choices.map((c) => c.name)).toContain(chosenChoiceName('user20@example.com (Person 20)'));
        },
      },
      { kind: 'search', message: 'Whom', answer: pick(doneChoiceName(2)) },
    ]);
    // The answer keeps the list's order, not the order of choosing.
    expect(await pickMany(p, { message: 'Whom', choices: people(30), required: true })).toEqual([
      'id4',
      'id20',
    ]);
    expect(p.remaining()).toBe(0);
  });

  it('an optional long multi-choice can be finished at once', async () => {
    const p = scriptedPrompter([
      {
        kind: 'search',
        message: 'Whom',
        answer: pick(doneChoiceName(0)),
        check: (o) => expect(o.choices[0]?.name).toBe('done (0 chosen)'),
      },
    ]);
    expect(await pickMany(p, { message: 'Whom', choices: people(20) })).toEqual([]);
  });
});

describe('leastPrivilegedFirst', () => {
  const role = (name: string, permissions: string[] | Record<string, boolean>): Role => ({
    id: name.toLowerCase(),
    name,
    permissions,
  });
  it('orders Reader, Editor, Admin whatever the server order; custom roles by permission count', () => {
    const roles = [
      role('Admin', ['workspace_admin']),
      role('Editor', ['flows_edit', 'flows_delete', 'flows_run', 'agents_edit', 'agents_run', 'kbs_query']),
      role('Reader', ['flows_run', 'agents_run', 'kbs_query']),
      role('Runner', { flows_run: true, agents_run: false }),
      role('Ops', ['flows_run', 'flows_edit', 'agents_run', 'kbs_query']),
    ];
    expect(leastPrivilegedFirst(roles).map((r) => r.name)).toEqual([
      'Runner',
      'Reader',
      'Ops',
      'Editor',
      'Admin',
    ]);
  });
});
