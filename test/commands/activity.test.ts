// `noxus activity` in-process against MockAgent: the requests its flags make, how entries render, and
// that whatever text the server holds (terminal escapes, bidi controls, newlines) is printed escaped.
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../src/api/activity.js';
import { json, type MockServer, mockServer } from './mock.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

const AT = '2026-03-01T10:00:00.000Z';
const entry = (over: Partial<ActivityEntry> = {}): ActivityEntry => ({
  id: 'a1',
  at: AT,
  actor_user_id: 'u1',
  actor_email: 'ada@example.com',
  actor_key_id: 'k1',
  action: 'delete',
  resource_type: 'api_key',
  resource_id: 'k9',
  group_id: null,
  summary: { name: 'ci' },
  request_id: 'req-1',
  ...over,
});
const page = (items: ActivityEntry[]) => ({ items, total: items.length, page: 1, size: 500, pages: 1 });
const all = { page: '1', size: '500', page_size: '500' };

// ESC[31m (colour), U+202E (right-to-left override) and a newline, in an actor name and a detail.
const EVIL_ACTOR = 'mallory\u001b[31m\u202e@example.com\nforged';
const EVIL_DETAIL = 'revoked\u001b[31m by \u202eadmin\nfake line';

describe('noxus activity', () => {
  it('prints one tab-separated row per entry off a terminal', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/activity', method: 'GET', query: all })
      .reply(
        200,
        page([entry(), entry({ id: 'a2', actor_email: null, resource_id: null, request_id: null })]),
        json,
      );
    const r = await server.run(['activity']);
    expect(r).toEqual({
      code: 0,
      stdout:
        `${AT}\tada@example.com\tdelete\tapi_key:k9\t{"name":"ci"}\treq-1\n` +
        `${AT}\tu1\tdelete\tapi_key\t{"name":"ci"}\t\n`,
      stderr: '',
    });
  });

  it('escapes control, bidi and newline characters the server returned, in every field', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/activity', method: 'GET', query: all })
      .reply(200, page([entry({ actor_email: EVIL_ACTOR, summary: { detail: EVIL_DETAIL } })]), json);
    const r = await server.run(['activity']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `${AT}\tmallory\\u001b[31m\\u202e@example.com forged\tdelete\tapi_key:k9\t{"detail":"revoked\\u001b[31m by \\u202eadmin\\nfake line"}\treq-1\n`,
    );
  });

  it('escapes them in a terminal table too', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/activity', method: 'GET', query: all })
      .reply(200, page([entry({ actor_email: EVIL_ACTOR, summary: { detail: EVIL_DETAIL } })]), json);
    const r = await server.run(['activity', '--wide'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u001b\u202e]/);
    expect(r.stdout).toContain('mallory\\u001b[31m\\u202e@example.com forged');
    expect(r.stdout).toContain('revoked\\u001b[31m by \\u202eadmin\\nfake line');
    // Only the table's own line breaks: the entry is one row.
    expect(r.stdout.split('\n').filter((l) => l.includes('mallory'))).toHaveLength(1);
  });

  it('--json streams one line per entry with the same text escaped as JSON', async () => {
    server = mockServer();
    const evil = entry({ actor_email: EVIL_ACTOR, summary: { detail: EVIL_DETAIL } });
    server.pool
      .intercept({ path: '/v1/admin/activity', method: 'GET', query: all })
      .reply(200, page([evil, entry({ id: 'a2' })]), json);
    const r = await server.run(['activity', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/[\u001b\u202e]/);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { schema_version: 1, ...evil },
      { schema_version: 1, ...entry({ id: 'a2' }) },
    ]);
  });

  it('passes the filters: actor, action, TYPE:ID, a workspace by name, ISO dates; --limit stops early', async () => {
    server = mockServer();
    server.pool
      .intercept({
        path: '/v1/admin/groups',
        method: 'GET',
        query: { page: '1', size: '100', page_size: '100' },
      })
      .reply(200, [{ id: 'g1', name: 'Marketing', description: '' }], json);
    server.pool
      .intercept({
        path: '/v1/admin/activity',
        method: 'GET',
        query: {
          actor: 'ada@example.com',
          action: 'delete',
          since: '2026-01-01T00:00:00.000Z',
          until: '2026-02-01T00:00:00.000Z',
          resource_type: 'api_key',
          resource_id: 'k9',
          group_id: 'g1',
          ...all,
        },
      })
      .reply(200, page([entry(), entry({ id: 'a2', request_id: 'req-2' })]), json);
    const r = await server.run([
      'activity',
      '--actor',
      'ada@example.com',
      '--action',
      'delete',
      '--resource',
      'api_key:k9',
      '--workspace',
      'marketing',
      '--since',
      '2026-01-01',
      '--until',
      '2026-02-01T00:00:00Z',
      '--limit',
      '1',
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: `${AT}\tada@example.com\tdelete\tapi_key:k9\t{"name":"ci"}\treq-1\n`,
      stderr: '',
    });
  });

  it.each([
    [['--action', 'drop'], 'error: --action must be one of create, update, delete, execute, login, lapse\n'],
    [['--limit', '0'], 'error: --limit must be a positive whole number, got "0"\n'],
    [['--limit', '2.5'], 'error: --limit must be a positive whole number, got "2.5"\n'],
    [
      ['--since', 'last tuesday'],
      'error: --since must be a duration like 30d or 12h, or an ISO date, got "last tuesday"\n',
    ],
  ])('bad input %j exits 2 before any request', async (args, stderr) => {
    server = mockServer();
    const r = await server.run(['activity', ...args]);
    expect(r).toEqual({ code: 2, stdout: '', stderr });
  });

  it('a rejected key from NOXUS_API_KEY exits 4 and says to fix the variable', async () => {
    server = mockServer();
    server.pool
      .intercept({ path: '/v1/admin/activity', method: 'GET', query: all })
      .reply(401, { detail: 'Invalid API key' }, json);
    const r = await server.run(['activity']);
    expect(r).toEqual({
      code: 4,
      stdout: '',
      stderr:
        'error: the server rejected the API key (HTTP 401): Invalid API key (request id req-mock)\n' +
        'the key comes from NOXUS_API_KEY: set it to a valid key, or unset it to use a stored login\n',
    });
  });
});
