// `noxus profiles list|use|remove` in-process: profiles made by `auth login` (file store) in a
// temporary config directory; no server beyond the login's one check of the key.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialFilePath } from '../../src/config/credentials.js';
import { me } from './keys-fixtures.js';
import { json, type MockServer, mockServer, ORIGIN } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const TOKEN = 'noxus_profile_0123456789abcdefXYZ';

/** Logs in as `names`, in order: the first becomes the current profile. */
async function withProfiles(...names: string[]): Promise<MockServer> {
  const s = mockServer({ env: { NOXUS_API_KEY: undefined, NOXUS_BACKEND_URL: undefined } });
  for (const name of names) {
    s.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, me, json);
    const r = await s.run(
      ['auth', 'login', '--with-token', '--credential-store', 'file', '--profile', name, '--url', ORIGIN],
      { stdin: TOKEN },
    );
    expect(r.code).toBe(0);
  }
  return s;
}

const config = (s: MockServer) =>
  JSON.parse(readFileSync(join(s.env.NOXUS_CONFIG_DIR as string, 'config.json'), 'utf8'));

describe('profiles list', () => {
  it('says how to make one when there are none', async () => {
    server = await withProfiles();
    const r = await server.run(['profiles', 'list'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No profiles yet: run noxus auth login, or noxus sandbox start --detach.\n');
    const piped = await server.run(['profiles', 'list']);
    expect([piped.code, piped.stdout, piped.stderr]).toEqual([0, '', '']);
  });

  it('one row per profile, * on the current one; --json without any key', async () => {
    server = await withProfiles('prod', 'staging');
    const r = await server.run(['profiles', 'list']);
    expect(r.stdout).toBe(
      `*\tprod\t${ORIGIN}\tfile\tadmin laptop\n\tstaging\t${ORIGIN}\tfile\tadmin laptop\n`,
    );
    const j = await server.run(['profiles', 'list', '--json']);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ schema_version: 1, command: 'profiles list' });
    expect(doc.items.map((p: { name: string; current: boolean }) => [p.name, p.current])).toEqual([
      ['prod', true],
      ['staging', false],
    ]);
    expect(j.stdout).not.toContain(TOKEN);
  });
});

describe('profiles use', () => {
  it('makes the profile current', async () => {
    server = await withProfiles('prod', 'staging');
    const r = await server.run(['profiles', 'use', 'staging']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('✓ current profile is now staging\n');
    expect(config(server).current).toBe('staging');
  });

  it('an unknown profile exits 5 and changes nothing', async () => {
    server = await withProfiles('prod');
    const r = await server.run(['profiles', 'use', 'nope']);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe('error: No profile named nope. Known profiles: prod.');
    expect(config(server).current).toBe('prod');
  });
});

describe('profiles remove', () => {
  it('removes a profile and its key file, with --yes', async () => {
    server = await withProfiles('prod', 'staging');
    const file = credentialFilePath('staging', server.env);
    const r = await server.run(['profiles', 'remove', 'staging', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`✓ removed profile staging; removed its key from file ${file} (plaintext, 0600)\n`);
    expect(existsSync(file)).toBe(false);
    expect(Object.keys(config(server).profiles)).toEqual(['prod']);
  });

  it('refuses the profile in use with exit 2 unless --force, and asks for --yes off a terminal', async () => {
    server = await withProfiles('prod');
    const file = credentialFilePath('prod', server.env);
    const refused = await server.run(['profiles', 'remove', 'prod', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(
      'error: refusing to remove profile prod: it is the profile in use',
    );
    const unconfirmed = await server.run(['profiles', 'remove', 'prod', '--force']);
    expect(unconfirmed.code).toBe(2);
    expect(existsSync(file)).toBe(true);
    const r = await server.run(['profiles', 'remove', 'prod', '--force', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'profiles remove',
      items: [{ name: 'prod', was_current: true, removed: [`file ${file} (plaintext, 0600)`] }],
    });
    expect(existsSync(file)).toBe(false);
    expect(config(server).current).toBeUndefined();
  });

  it('an unknown profile exits 5 with the close name', async () => {
    server = await withProfiles('staging');
    const r = await server.run(['profiles', 'remove', 'stagin', '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('error: no profile stagin');
    expect(r.stderr).toContain('staging');
  });
});
