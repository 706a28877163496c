import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthError,
  ConflictError,
  NotAvailableError,
  NotFoundError,
  NoxusError,
  PermissionError,
  UsageError,
} from '../../src/errors.js';
import { failure, type Harness, harness, JSON_HEADERS } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h.finish();
});

const RID = { ...JSON_HEADERS, 'x-request-id': 'req-123' };

describe('error mapping', () => {
  it('401 → AuthError carrying the profile and key source as its reason', async () => {
    h = harness({ profileName: 'work' });
    h.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(401, { detail: 'Invalid API key' }, { headers: RID });
    const err = await failure(h.client.get('/v1/admin/me'));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.exitCode).toBe(4);
    expect(err.message).toBe(
      'the server rejected the API key (HTTP 401): Invalid API key (request id req-123)',
    );
    expect(err.hint).toBeUndefined();
    expect(err.reason).toEqual({
      kind: 'unauthorized',
      keySent: true,
      keySource: undefined,
      profileName: 'work',
    });
    expect(err.status).toBe(401);
    expect(err.requestId).toBe('req-123');
    expect(err.data).toEqual({ detail: 'Invalid API key' });
  });

  it('401 without a key says none was sent', async () => {
    h = harness({ apiKey: undefined });
    h.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(401, { detail: 'Not authenticated' });
    const err = await failure(h.client.get('/v1/admin/me'));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe('no API key was sent and the server requires one (HTTP 401): Not authenticated');
    expect(err.reason).toEqual({
      kind: 'unauthorized',
      keySent: false,
      keySource: undefined,
      profileName: undefined,
    });
  });

  it('403 → PermissionError keeping the detail and the missing permissions', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/users', method: 'GET' })
      .reply(403, { detail: 'Missing permission users:read', missing: ['users:read'] }, { headers: RID });
    const err = await failure(h.client.get('/v1/admin/users'));
    expect(err).toBeInstanceOf(PermissionError);
    expect(err.message).toBe(
      'permission denied (HTTP 403): Missing permission users:read (request id req-123)',
    );
    expect(err.data).toEqual({ detail: 'Missing permission users:read', missing: ['users:read'] });
  });

  it('404 → NotFoundError with the server detail', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/roles/r9', method: 'DELETE' })
      .reply(404, { detail: 'Role not found' }, { headers: RID });
    const err = await failure(h.client.delete('/v1/admin/roles/r9'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('not found (HTTP 404): Role not found (request id req-123)');
  });

  it('a generic 404 names the method and path', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/roles/r9', method: 'GET' }).reply(404, { detail: 'Not Found' });
    const err = await failure(h.client.get('/v1/admin/roles/r9'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('not found (HTTP 404): GET /v1/admin/roles/r9');
  });

  it('405 on a public endpoint is a plain NoxusError', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/users', method: 'PUT' }).reply(405, { detail: 'Method Not Allowed' });
    const err = await failure(h.client.put('/v1/admin/users', {}));
    expect(err.constructor).toBe(NoxusError);
    expect(err.message).toBe('request failed (HTTP 405): Method Not Allowed');
  });

  it('409 → ConflictError', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/roles/r1', method: 'DELETE' })
      .reply(409, { detail: 'Role is assigned to 3 users' }, { headers: RID });
    const err = await failure(h.client.delete('/v1/admin/roles/r1'));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe('conflict (HTTP 409): Role is assigned to 3 users (request id req-123)');
  });

  it('422 with a FastAPI array detail → UsageError listing each field', async () => {
    h = harness();
    const detail = [
      { loc: ['body', 'email'], msg: 'value is not a valid email address', type: 'value_error' },
      { loc: ['body', 'name'], msg: 'field required', type: 'missing' },
    ];
    h.pool.intercept({ path: '/v1/admin/users', method: 'POST' }).reply(422, { detail }, { headers: RID });
    const err = await failure(h.client.post('/v1/admin/users', { email: 'x' }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      'invalid request (HTTP 422): body.email: value is not a valid email address; body.name: field required (request id req-123)',
    );
    expect(err.data).toEqual({ detail });
  });

  it('400 → UsageError reading `message`, then `error`', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/a', method: 'GET' }).reply(400, { message: 'bad filter' });
    h.pool.intercept({ path: '/v1/b', method: 'GET' }).reply(400, { error: 'bad sort' });
    const a = await failure(h.client.get('/v1/a'));
    const b = await failure(h.client.get('/v1/b'));
    expect(a).toBeInstanceOf(UsageError);
    expect(a.message).toBe('invalid request (HTTP 400): bad filter');
    expect(b.message).toBe('invalid request (HTTP 400): bad sort');
  });

  it('500 → NoxusError with the request id from x-noxus-request-id', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .reply(
        500,
        { detail: 'Internal error' },
        { headers: { ...JSON_HEADERS, 'x-noxus-request-id': 'nx-1' } },
      );
    const err = await failure(h.client.get('/v1/x'));
    expect(err.constructor).toBe(NoxusError);
    expect(err.message).toBe(
      'server error (HTTP 500 Internal Server Error): Internal error (request id nx-1)',
    );
    expect(err.requestId).toBe('nx-1');
    expect(err.status).toBe(500);
  });

  it('500 with an empty body names the call', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(500, '');
    const err = await failure(h.client.get('/v1/x'));
    expect(err.message).toBe('server error (HTTP 500 Internal Server Error): GET /v1/x');
  });
});

describe('extension endpoints', () => {
  it('an unknown-route 404 → NotAvailableError', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/invitations', method: 'GET' })
      .reply(404, { detail: 'Not Found' }, { headers: RID });
    const err = await failure(h.client.get('/v1/admin/invitations', undefined, { extension: true }));
    expect(err).toBeInstanceOf(NotAvailableError);
    expect(err.exitCode).toBe(8);
    expect(err.message).toBe(
      'listing invitations is not available on this server (GET /v1/admin/invitations answered HTTP 404, request id req-123)',
    );
    expect(err.hint).toBeUndefined();
    expect(err.reason).toEqual({ kind: 'not_extended' });
  });

  it('a 404 without a JSON body → NotAvailableError', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/invitations', method: 'POST' }).reply(404, '<h1>404</h1>', {
      headers: { 'content-type': 'text/html' },
    });
    const err = await failure(h.client.post('/v1/admin/invitations', {}, { extension: true }));
    expect(err).toBeInstanceOf(NotAvailableError);
    expect(err.message).toBe('POST /v1/admin/invitations is not available on this server');
  });

  it('405 → NotAvailableError', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/users/u1', method: 'PATCH' })
      .reply(405, { detail: 'Method Not Allowed' });
    const err = await failure(h.client.patch('/v1/admin/users/u1', {}, { extension: true }));
    expect(err).toBeInstanceOf(NotAvailableError);
    expect(err.message).toBe(
      "changing a user's profile or organization role is not available on this server (PATCH /v1/admin/users/u1 answered HTTP 405)",
    );
  });

  it('a 404 with a specific detail is still NotFoundError', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/invitations/i9', method: 'GET' })
      .reply(404, { detail: 'Invitation not found' });
    const err = await failure(h.client.get('/v1/admin/invitations/i9', undefined, { extension: true }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('not found (HTTP 404): Invitation not found');
  });
});

describe('garbage responses', () => {
  function noLeak(err: NoxusError): void {
    expect(err.constructor).toBe(NoxusError);
    expect(err.message).not.toMatch(/SyntaxError|Unexpected token|JSON\.parse|\n\s+at /);
    expect(err.cause).toBeUndefined();
  }

  it('an HTML error page from a gateway', async () => {
    h = harness({ maxAttempts: 1 });
    h.pool
      .intercept({ path: '/v1/admin/users', method: 'GET' })
      .reply(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', {
        headers: { 'content-type': 'text/html; charset=utf-8', 'x-request-id': 'gw-9' },
      });
    const err = await failure(h.client.get('/v1/admin/users'));
    noLeak(err);
    expect(err.message).toBe(
      'server returned an invalid response (HTTP 502, text/html) to GET /v1/admin/users: expected JSON (request id gw-9)',
    );
    expect(err.requestId).toBe('gw-9');
  });

  it('an HTML page with status 200 (captive portal)', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/users', method: 'GET' })
      .reply(200, '<html>Sign in to Wi-Fi</html>', { headers: { 'content-type': 'text/html' } });
    const err = await failure(h.client.get('/v1/admin/users'));
    noLeak(err);
    expect(err.message).toBe(
      'server returned an invalid response (HTTP 200, text/html) to GET /v1/admin/users: expected JSON',
    );
  });

  it('truncated JSON', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/users', method: 'GET' })
      .reply(200, '{"items": [{"id": "u1"}, {"id": "u', { headers: RID });
    const err = await failure(h.client.get('/v1/admin/users'));
    noLeak(err);
    expect(err.message).toBe(
      'server returned an invalid response (HTTP 200, application/json) to GET /v1/admin/users: the JSON body is truncated or malformed (request id req-123)',
    );
  });

  it('an empty body where JSON was declared', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/me', method: 'GET' }).reply(200, '', { headers: RID });
    const err = await failure(h.client.get('/v1/admin/me'));
    noLeak(err);
    expect(err.message).toBe(
      'server returned an invalid response (HTTP 200, application/json) to GET /v1/admin/me: the body is empty (request id req-123)',
    );
  });

  it('garbage on a 503 after the retries', async () => {
    h = harness({ maxAttempts: 2 });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(503, 'upstream connect error').times(2);
    const err = await failure(h.client.get('/v1/x'));
    noLeak(err);
    expect(err.message).toBe(
      'server returned an invalid response (HTTP 503, no content type) to GET /v1/x: expected JSON after 2 attempts',
    );
  });

  it('204 and an empty 2xx body without a JSON type give undefined', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/a', method: 'DELETE' }).reply(204, '');
    h.pool.intercept({ path: '/v1/b', method: 'DELETE' }).reply(200, '');
    const a = await h.client.request('DELETE', '/v1/a');
    expect(a).toMatchObject({ status: 204, data: undefined });
    expect(await h.client.delete('/v1/b')).toBeUndefined();
  });
});

describe('trace', () => {
  it('logs requests, retries and responses with secrets redacted', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/system-keys', method: 'POST' }).reply(503, '', { headers: RID });
    h.pool
      .intercept({ path: '/v1/admin/system-keys', method: 'POST' })
      .reply(
        201,
        { id: 'k2', name: 'ci', value: 'sk_user_S3cretValue999', note: 'use noxus_AnotherKey12345' },
        { headers: { ...RID, 'set-cookie': 'session=abcdef; HttpOnly' } },
      );
    await h.client.post(
      '/v1/admin/system-keys',
      { name: 'ci', password: 'hunter22', permissions: ['users:read'] },
      { idempotencyKey: 'idem-1' },
    );
    const all = h.traces.join('\n');
    expect(h.traces).toHaveLength(5);
    expect(h.traces[0]).toMatch(
      /^> POST https:\/\/api\.noxus\.test\/v1\/admin\/system-keys \(attempt 1\/5\) headers /,
    );
    expect(h.traces[0]).toContain('"x-api-key":"***"');
    expect(h.traces[0]).toContain('body {"name":"ci","password":"***","permissions":["users:read"]}');
    expect(h.traces[1]).toMatch(
      /^< 503 POST https:\/\/api\.noxus\.test\/v1\/admin\/system-keys \d+ms \(attempt 1\/5\) request-id req-123/,
    );
    expect(h.traces[2]).toBe(
      'retry POST https://api.noxus.test/v1/admin/system-keys in 125ms after HTTP 503 (request id req-123) (attempt 1/5)',
    );
    expect(h.traces[3]).toContain('(attempt 2/5)');
    expect(h.traces[4]).toMatch(/^< 201 POST /);
    expect(h.traces[4]).toContain('"set-cookie":"***"');
    expect(h.traces[4]).toContain('"value":"***"');
    expect(h.traces[4]).toContain('"note":"use ***"');
    for (const secret of ['sk_user_S3cretValue999', 'noxus_AnotherKey12345', 'hunter22', 'session=abcdef']) {
      expect(all).not.toContain(secret);
    }
  });

  it('masks the configured key even when it has no known prefix', async () => {
    const odd = 'tenant-7f3a9c2e-secret';
    h = harness({ apiKey: odd });
    h.pool.intercept({ path: '/v1/echo', method: 'GET' }).reply(200, { echoed: `key was ${odd}` });
    await h.client.get('/v1/echo');
    expect(h.traces).toHaveLength(2);
    expect(h.traces.join('\n')).not.toContain(odd);
    expect(h.traces[1]).toContain('"echoed":"key was ***"');
  });

  it('logs a failed connection', async () => {
    h = harness({ maxAttempts: 1 });
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await failure(h.client.get('/v1/x'));
    expect(h.traces[1]).toMatch(
      /^! GET https:\/\/api\.noxus\.test\/v1\/x failed after \d+ms \(attempt 1\/1\): ECONNRESET$/,
    );
  });
});
