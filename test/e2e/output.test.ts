// What the binary prints: --json envelopes with schema_version, tab-separated rows without header and
// without colour off a terminal, and server text with control characters escaped everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ANSI, allUsers, groupId, roleIn } from './support.js';

let sbx: TestSandbox;
let cfg: string;
let evilWs: string;

const EVIL_NAME = 'evil\u001b[31mred';
const EVIL_DISPLAY = 'bell\u0007';
const EVIL_DESCRIPTION = 'line1\nline2\ttab\u009b2J';
const EVIL_WS = 'Sup\u001b]0;pwned\u0007port';
/** Any raw control character other than newline (tabs only where TSV puts them, checked separately). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Off a terminal, and with neither NO_COLOR nor FORCE_COLOR: colour must still be off. */
const cli = (...args: string[]) =>
  runCli(args, {
    configDir: cfg,
    env: {
      NOXUS_API_KEY: sbx.adminKey,
      NOXUS_BACKEND_URL: sbx.url,
      NO_COLOR: undefined,
      FORCE_COLOR: undefined,
    },
  });

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  cfg = tempConfigDir();
  // The sandbox refuses control characters, so a hostile server is simulated in its database.
  const store = sbx.sandbox.model.store;
  store.run(
    'UPDATE users SET name = ?, display_name = ? WHERE email = ?',
    EVIL_NAME,
    EVIL_DISPLAY,
    'radia@example.com',
  );
  store.run('UPDATE groups SET description = ? WHERE name = ?', EVIL_DESCRIPTION, 'Finance');
  evilWs = await groupId(sbx, 'Support');
  store.run('UPDATE groups SET name = ?, name_norm = ? WHERE id = ?', EVIL_WS, EVIL_WS.toLowerCase(), evilWs);
});
afterAll(async () => {
  await sbx?.cleanup();
});

describe('--json', () => {
  it.each([
    [['me'], 'me'],
    [['users', 'list'], 'users list'],
    [['users', 'get', 'ada@example.com'], 'users get'],
    [['ws', 'list'], 'ws list'],
    [['ws', 'members', 'Marketing'], 'ws members'],
    [['roles', 'list'], 'roles list'],
    [['permissions', 'list'], 'permissions list'],
    [['auth', 'status'], 'auth status'],
    [
      [
        'users',
        'add',
        '--name',
        'Json Dry',
        '--email',
        'json.dry@example.com',
        '--workspace',
        'Marketing=Reader',
        '--dry-run',
      ],
      'users add',
    ],
  ])('%j prints one envelope with schema_version', async (args, command) => {
    const r = await cli(...args, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema_version).toBe(1);
    expect(doc.command).toBe(command);
    expect(Array.isArray(doc.items)).toBe(true);
    expect(doc.items.length).toBeGreaterThan(0);
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stderr).not.toMatch(ANSI);
  });

  it('a dry run changes nothing', async () => {
    expect((await allUsers(sbx)).some((u) => u.email === 'json.dry@example.com')).toBe(false);
  });

  it('control characters are escaped in JSON and survive a round trip', async () => {
    const r = await cli('users', 'get', 'radia@example.com', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('"name": "evil\\u001b[31mred"');
    expect(JSON.parse(r.stdout).items[0]).toMatchObject({ name: EVIL_NAME, display_name: EVIL_DISPLAY });

    const ws = await cli('ws', 'list', '--json');
    expect(ws.stdout).not.toMatch(RAW_CONTROL);
    // JSON.stringify leaves C1 controls raw; the CLI escapes them too.
    expect(ws.stdout).toContain('"description": "line1\\nline2\\ttab\\u009b2J"');
    const finance = JSON.parse(ws.stdout).items.find((g: { name: string }) => g.name === 'Finance');
    expect(finance.description).toBe(EVIL_DESCRIPTION);
  });
});

describe('off a terminal', () => {
  it('users list: tab-separated rows, no header, no colour, one row per user', async () => {
    const r = await cli('users', 'list');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(ANSI);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    const live = (await allUsers(sbx)).filter((u) => u.status !== 'removed');
    expect(lines).toHaveLength(live.length);
    for (const line of lines) expect(line.split('\t')).toHaveLength(7);
    expect(lines[0]?.split('\t')[0]).toBe('ada@example.com');
    expect(r.stdout).not.toMatch(/^Email\t/m);
    const alan = live.find((u) => u.email === 'alan@example.com');
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^alan@example\\.com\tAlan Turing\thuman\tactive\tOrg Base\t\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\t${alan?.id}$`,
        ),
      ),
    );
  });

  it('a success line on stderr has no colour', async () => {
    const r = await cli('ws', 'set-role', 'Marketing', 'linus@example.com', '--role', 'Editor');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('✓ linus@example.com in Marketing: Reader → Editor\n');
    expect(await roleIn(sbx, 'Marketing', 'linus@example.com')).toBe('Editor');
  });

  it('server text with control characters is escaped in rows', async () => {
    const r = await cli('users', 'list');
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toMatch(/^radia@example\.com\tevil\\u001b\[31mred\thuman\t/m);

    const get = await cli('users', 'get', 'radia@example.com');
    expect(get.stdout).not.toMatch(RAW_CONTROL);
    expect(get.stdout).toContain('name\tevil\\u001b[31mred\n');
    expect(get.stdout).toContain('display_name\tbell\\u0007\n');

    // A newline or tab in a field cannot break the row apart.
    const ws = await cli('ws', 'list');
    const lines = ws.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines).toContainEqual(expect.stringMatching(/^Finance\tline1 line2 tab\\u009b2J\t/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^Sup\\u001b\]0;pwned\\u0007port\tSupport team workspace\t/),
    );
    expect(ws.stdout).not.toMatch(RAW_CONTROL);
  });

  it('server text is escaped in messages and hints on stderr', async () => {
    const set = await cli('ws', 'set-role', evilWs, 'alan@example.com', '--role', 'Editor');
    expect(set.code).toBe(0);
    expect(set.stderr).toBe('✓ alan@example.com in Sup\\u001b]0;pwned\\u0007port: Reader → Editor\n');

    const miss = await cli('ws', 'get', 'Suport');
    expect(miss.code).toBe(5);
    expect(miss.stderr).not.toMatch(RAW_CONTROL);
    expect(miss.stderr).toContain('Sup\\u001b]0;pwned\\u0007port');
  });
});
