// A full --debug session: the key and the new invitation secret appear in no output and in no file of
// the config dir (other than the 0600 file store itself), while the trace does show the requests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { roleIn, userByEmail } from './support.js';

let sbx: TestSandbox;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
});
afterAll(async () => {
  await sbx?.cleanup();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Every 8-character window of the secret part: even a fragment of it must not leak. */
function fragments(secret: string): string[] {
  const body = secret.replace(/^noxus_/, '');
  const out: string[] = [];
  for (let i = 0; i + 8 <= body.length; i++) out.push(body.slice(i, i + 8));
  return out;
}

it('a --debug session leaks no secret, and the trace shows the requests', async () => {
  const configDir = tempConfigDir();
  const key = sbx.adminKey;
  const email = 'redact.me@example.com';
  const session: Array<[string[], string?]> = [
    [['auth', 'login', '--with-token', '--credential-store', 'file', '--url', sbx.url], `${key}\n`],
    [['me']],
    [['users', 'list']],
    [['users', 'add', '--name', 'Red Act', '--email', email, '--workspace', 'Support=Reader']],
    [['ws', 'add-member', 'Finance', email, '--role', 'Reader', '--json']],
    [['auth', 'status']],
  ];
  const results: CliResult[] = [];
  for (const [args, input] of session) {
    const r = await runCli(['--debug', ...args], { configDir, input });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    results.push(r);
  }
  // The session did what it says.
  expect(await userByEmail(sbx, email)).toMatchObject({ status: 'invited' });
  expect(await roleIn(sbx, 'Finance', email)).toBe('Reader');

  // The new secret of this session: the invitation link token mailed to the new user.
  const outbox = join(sbx.dataDir, 'outbox');
  const mail = readdirSync(outbox).find((f) => f.endsWith(`-${email}.eml`));
  expect(mail).toBeDefined();
  const token = /\/invite\/([A-Za-z0-9_-]{20,})/.exec(
    readFileSync(join(outbox, mail as string), 'utf8'),
  )?.[1];
  expect(token).toBeDefined();

  const secrets = [...fragments(key), ...fragments(token as string)];
  const all = results.map((r) => r.stdout + r.stderr).join('\n');
  for (const s of secrets) expect(all).not.toContain(s);

  // The trace is there, with the key header masked.
  const trace = results.map((r) => r.stderr).join('');
  expect(trace).toContain(`debug: > GET ${sbx.url}/v1/admin/me (attempt 1/5) headers `);
  expect(trace).toContain(`debug: < 200 GET ${sbx.url}/v1/admin/me `);
  expect(trace).toContain(`debug: > POST ${sbx.url}/v1/admin/users (attempt 1/5)`);
  expect(trace).toMatch(new RegExp(`debug: > PUT ${sbx.url}/v1/admin/groups/[\\w-]+/members/[\\w-]+ `));
  expect(trace).toContain('"x-api-key":"***"');
  // --json still prints only the document on stdout.
  expect(JSON.parse(results[4]?.stdout ?? '').schema_version).toBe(1);

  // Files: only the file store holds the key, and it is private.
  const files = filesUnder(configDir).map((f) => relative(configDir, f));
  // Besides the file store: the profile and the capability cache (keyed by a hash of the key).
  expect(files.sort()).toEqual(['capabilities.json', 'config.json', join('credentials', 'default.key')]);
  const cache = readFileSync(join(configDir, 'capabilities.json'), 'utf8');
  for (const s of secrets) expect(cache).not.toContain(s);
  const store = join(configDir, 'credentials', 'default.key');
  expect(readFileSync(store, 'utf8')).toBe(`${key}\n`);
  expect(statSync(store).mode & 0o777).toBe(0o600);
  expect(statSync(join(configDir, 'credentials')).mode & 0o777).toBe(0o700);
  const config = readFileSync(join(configDir, 'config.json'), 'utf8');
  expect(config).toContain(sbx.url);
  for (const s of secrets) expect(config).not.toContain(s);
});
