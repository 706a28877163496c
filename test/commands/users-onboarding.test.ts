// `noxus users onboarding` in-process against MockAgent.
import { afterEach, describe, expect, it } from 'vitest';
import { calls, detail, IVY, notHere, onUsers, REFUSALS, recordingServer } from './admin-fixtures.js';
import { json, type MockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const onboarding = {
  user: IVY,
  steps: [
    { step: 'invitation_sent', title: 'Invitation sent', done: true, at: '2026-11-29T10:00:00Z' },
    { step: 'account_created', title: 'Account created', done: false, at: null },
    { step: 'tour', title: 'Product tour', done: false, at: null, optional: true },
  ],
  pending: ['account_created'],
  complete: false,
};
const answer = () =>
  server.pool
    .intercept({ path: '/v1/admin/users/u-ivy/onboarding', method: 'GET' })
    .reply(200, onboarding, json);

describe('noxus users onboarding', () => {
  it('off a terminal prints one tab-separated row per step', async () => {
    server = recordingServer();
    onUsers(server);
    answer();
    const r = await server.run(['users', 'onboarding', 'ivy@example.com']);
    expect(r).toEqual({
      code: 0,
      stdout:
        'Invitation sent\tdone\t2026-11-29T10:00:00Z\t\n' +
        'Account created\tpending\t\t\n' +
        'Product tour\toptional\t\t\n',
      stderr: '',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users', 'GET /v1/admin/users/u-ivy/onboarding']);
  });

  it('--json puts the steps in the envelope with the user and what is pending', async () => {
    server = recordingServer();
    onUsers(server);
    answer();
    const r = await server.run(['users', 'onboarding', 'ivy@example.com', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      schema_version: 1,
      command: 'users onboarding',
      user: IVY,
      pending: ['account_created'],
      complete: false,
      items: onboarding.steps,
    });
  });

  it('an unknown user exits 5 with close matches, before asking for onboarding', async () => {
    server = recordingServer();
    onUsers(server);
    const r = await server.run(['users', 'onboarding', 'ivy@exmaple.com']);
    expect(r).toEqual({
      code: 5,
      stdout: '',
      stderr: 'error: no user ivy@exmaple.com\ndid you mean ivy@example.com?\n',
    });
    expect(calls(server)).toEqual(['GET /v1/admin/users']);
  });

  it.each(REFUSALS)('a $status from the server exits $code', async ({ status, text, code, line }) => {
    server = recordingServer();
    onUsers(server);
    server.pool
      .intercept({ path: '/v1/admin/users/u-ivy/onboarding', method: 'GET' })
      .reply(status, detail(text), json);
    const r = await server.run(['users', 'onboarding', 'ivy@example.com']);
    expect(r).toEqual({ code, stdout: '', stderr: line });
  });

  it('on the public API: exit 8 naming the feature, before any request', async () => {
    server = recordingServer('public');
    const r = await server.run(['users', 'onboarding', 'ivy@example.com']);
    expect(r.code).toBe(8);
    expect(r.stderr.startsWith(notHere('onboarding status'))).toBe(true);
    expect(calls(server)).toEqual([]);
  });
});
