// `noxus completion` and the hidden `noxus __complete` in-process: the scripts printed are the
// committed ones, and the values a tab press asks for come from the server, escaped, with nothing
// at all printed when the server cannot answer.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openProfiles } from '../../src/config/profiles.js';
import { json, type MockServer, mockServer, ORIGIN } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const root = resolve(import.meta.dirname, '../..');
const firstPage = { page: '1', size: '100', page_size: '100' };

describe('noxus completion', () => {
  it.each([
    ['bash', 'completions/noxus.bash'],
    ['zsh', 'completions/_noxus'],
    ['fish', 'completions/noxus.fish'],
  ])('%s prints the committed script and makes no request', async (shell, file) => {
    server = mockServer();
    const r = await server.run(['completion', shell]);
    expect(r).toEqual({ code: 0, stdout: readFileSync(resolve(root, file), 'utf8'), stderr: '' });
  });

  it('an unknown shell is a usage error', async () => {
    server = mockServer();
    const r = await server.run(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "error: command-argument value 'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.\n(run with --help for usage)\n",
    );
  });
});

describe('noxus __complete', () => {
  it('workspace: one name per line, spaces escaped for the shell, control characters escaped', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/groups', method: 'GET', query: firstPage }).reply(
      200,
      [
        { id: 'g1', name: 'Marketing', description: '' },
        { id: 'g2', name: 'Data Science', description: '' },
        { id: 'g3', name: 'red\u001b[31m\u202eteam', description: '' },
      ],
      json,
    );
    const r = await server.run(['__complete', 'workspace']);
    expect(r).toEqual({
      code: 0,
      stdout: 'Marketing\nData\\ Science\nred\\u001b[31m\\u202eteam\n',
      stderr: '',
    });
  });

  it('role: the role names', async () => {
    server = mockServer();
    server.pool.intercept({ path: '/v1/admin/roles', method: 'GET', query: firstPage }).reply(
      200,
      [
        { id: 'r1', name: 'Admin', permissions: [] },
        { id: 'r2', name: 'Reader', permissions: [] },
      ],
      json,
    );
    const r = await server.run(['__complete', 'role']);
    expect(r).toEqual({ code: 0, stdout: 'Admin\nReader\n', stderr: '' });
  });

  it('prints nothing and exits 0 when the server refuses, so a tab press shows no noise', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/groups', method: 'GET', query: firstPage })
      .reply(401, { detail: 'Invalid API key' }, json);
    const r = await server.run(['__complete', 'workspace']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('profile: the stored profiles, without asking the server', async () => {
    server = mockServer();
    expect(await server.run(['__complete', 'profile'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const profiles = await openProfiles(server.env);
    profiles.set('work', { url: ORIGIN, credential_store: 'keyring' });
    profiles.set('ops', { url: ORIGIN, credential_store: 'keyring' });
    expect(await server.run(['__complete', 'profile'])).toEqual({
      code: 0,
      stdout: 'ops\nwork\n',
      stderr: '',
    });
  });

  it('an unknown kind prints nothing', async () => {
    server = mockServer();
    const r = await server.run(['__complete', 'colour']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
