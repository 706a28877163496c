import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, formatDuration } from '../../src/api/client.js';
import { NoxusError, UsageError } from '../../src/errors.js';
import { BASE, econnreset, failure, type Harness, harness, JSON_HEADERS, KEY } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let h: Harness;
afterEach(async () => {
  await h.finish();
});

describe('request basics', () => {
  it('sends the key, Accept and User-Agent on a GET, and no body headers', async () => {
    h = harness({ userAgent: 'noxus-test/1.0' });
    h.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(200, { id: 'k1' }, { headers: JSON_HEADERS });
    const res = await h.client.request<{ id: string }>('GET', '/v1/admin/me');
    expect(res.data).toEqual({ id: 'k1' });
    expect(res.status).toBe(200);
    const [call] = h.calls();
    expect(call?.headers).toEqual({
      'x-api-key': KEY,
      accept: 'application/json',
      'user-agent': 'noxus-test/1.0',
    });
  });

  it('sends no X-API-Key when no key is configured', async () => {
    h = harness({ apiKey: undefined });
    h.pool.intercept({ path: '/v1/nodes', method: 'GET' }).reply(200, []);
    await h.client.get('/v1/nodes');
    expect(h.calls()[0]?.headers).not.toHaveProperty('x-api-key');
  });

  it('returns the request id and headers from a success', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(200, { id: 'k1' }, { headers: { ...JSON_HEADERS, 'x-noxus-request-id': 'nx-7' } });
    const res = await h.client.request('GET', '/v1/admin/me');
    expect(res.requestId).toBe('nx-7');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('encodes the query: arrays repeat, undefined is dropped, booleans and numbers are strings', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/workflows?type=flow&tag=a&tag=b&archived=false&page=2', method: 'GET' })
      .reply(200, []);
    await h.client.get('/v1/workflows', {
      type: 'flow',
      tag: ['a', 'b'],
      archived: false,
      page: 2,
      q: undefined,
    });
    expect(h.calls()[0]?.path).toBe('/v1/workflows?type=flow&tag=a&tag=b&archived=false&page=2');
  });

  it('keeps a path prefix of the base URL', async () => {
    h = harness({ baseUrl: `${BASE}/api/` });
    h.pool.intercept({ path: '/api/v1/admin/me', method: 'GET' }).reply(200, { ok: true });
    expect(await h.client.get('/v1/admin/me')).toEqual({ ok: true });
  });

  it('rejects an absolute URL as a path so the key cannot be sent elsewhere', async () => {
    h = harness();
    const err = await failure(h.client.get('https://elsewhere.example/v1/x'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      'internal: API paths must be relative to the server URL, got https://elsewhere.example/v1/x',
    );
  });

  it('rejects an invalid base URL', () => {
    h = harness();
    expect(() => new ApiClient({ baseUrl: 'not a url' })).toThrow('invalid server URL: not a url');
    expect(() => new ApiClient({ baseUrl: 'ftp://x.example' })).toThrow(
      'invalid server URL: ftp://x.example (only http and https are supported)',
    );
  });

  it('post sends JSON with a generated Idempotency-Key', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/groups', method: 'POST', body: '{"name":"Sales","description":"d"}' })
      .reply(201, { id: 'g1' }, { headers: JSON_HEADERS });
    const created = await h.client.post<{ id: string }>('/v1/admin/groups', {
      name: 'Sales',
      description: 'd',
    });
    expect(created).toEqual({ id: 'g1' });
    const headers = h.calls()[0]?.headers ?? {};
    expect(headers['content-type']).toBe('application/json');
    expect(headers['idempotency-key']).toMatch(UUID);
  });

  it('post generates a different key per call and uses a given one as is', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/groups', method: 'POST' }).reply(201, {}).times(3);
    await h.client.post('/v1/admin/groups', { name: 'a' });
    await h.client.post('/v1/admin/groups', { name: 'b' });
    await h.client.post('/v1/admin/groups', { name: 'c' }, { idempotencyKey: 'journal-42' });
    const keys = h.calls().map((c) => c.headers['idempotency-key']);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe('journal-42');
  });

  it('put, patch and delete use their methods and return the data', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/x/1', method: 'PUT', body: '{"a":1}' }).reply(200, { put: true });
    h.pool.intercept({ path: '/v1/x/1', method: 'PATCH', body: '{"b":2}' }).reply(200, { patched: true });
    h.pool.intercept({ path: '/v1/x/1', method: 'DELETE' }).reply(204, '');
    expect(await h.client.put('/v1/x/1', { a: 1 })).toEqual({ put: true });
    expect(await h.client.patch('/v1/x/1', { b: 2 })).toEqual({ patched: true });
    expect(await h.client.delete('/v1/x/1')).toBeUndefined();
    expect(h.calls()[1]?.headers).not.toHaveProperty('idempotency-key');
  });
});

describe('retries', () => {
  it('retries 503 with full-jitter exponential back-off, then succeeds', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/users', method: 'GET' }).reply(503, { detail: 'busy' }).times(2);
    h.pool.intercept({ path: '/v1/admin/users', method: 'GET' }).reply(200, [{ id: 'u1' }]);
    expect(await h.client.get('/v1/admin/users')).toEqual([{ id: 'u1' }]);
    // random() = 0.5 of 250 ms, then of 500 ms.
    expect(h.sleeps).toEqual([125, 250]);
    expect(h.calls()).toHaveLength(3);
  });

  it('caps the exponential back-off at maxBackoffMs', async () => {
    h = harness({ maxBackoffMs: 300, random: () => 0.999, maxAttempts: 4 });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(503, '').times(3);
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, {});
    await h.client.get('/v1/x');
    expect(h.sleeps).toEqual([249, 299, 299]);
  });

  it.each([502, 504])('retries %i', async (status) => {
    h = harness();
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(status, { detail: 'gateway' });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, { ok: 1 });
    expect(await h.client.get('/v1/x')).toEqual({ ok: 1 });
    expect(h.sleeps).toEqual([125]);
  });

  it('does not retry 500', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(500, { detail: 'boom' });
    const err = await failure(h.client.get('/v1/x'));
    expect(err.message).toBe('server error (HTTP 500 Internal Server Error): boom');
    expect(h.sleeps).toEqual([]);
  });

  it('honours Retry-After in seconds on 429', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .reply(429, { detail: 'slow down' }, { headers: { 'retry-after': '3' } });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, { ok: 1 });
    expect(await h.client.get('/v1/x')).toEqual({ ok: 1 });
    expect(h.sleeps).toEqual([3000]);
  });

  it('honours Retry-After as an HTTP date on 429', async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    h = harness({ now: () => now });
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': new Date(now + 7000).toUTCString() } });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, { ok: 1 });
    await h.client.get('/v1/x');
    expect(h.sleeps).toEqual([7000]);
  });

  it('caps a long Retry-After at maxBackoffMs', async () => {
    h = harness({ maxBackoffMs: 10_000 });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(429, '', { headers: { 'retry-after': '3600' } });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, {});
    await h.client.get('/v1/x');
    expect(h.sleeps).toEqual([10_000]);
  });

  it('gives up on 429 after maxAttempts with a plain NoxusError', async () => {
    h = harness({ maxAttempts: 3 });
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .reply(
        429,
        { detail: 'Too many requests' },
        { headers: { 'retry-after': '1', 'x-request-id': 'r429' } },
      )
      .times(3);
    const err = await failure(h.client.get('/v1/x'));
    expect(err.constructor).toBe(NoxusError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      'rate limited by the server (HTTP 429): Too many requests after 3 attempts (request id r429)',
    );
    expect(err.status).toBe(429);
    expect(err.requestId).toBe('r429');
    expect(h.sleeps).toEqual([1000, 1000]);
  });

  it('gives up on 503 after maxAttempts', async () => {
    h = harness({ maxAttempts: 2 });
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .reply(503, { detail: 'maintenance' }, { headers: { 'x-request-id': 'r5' } })
      .times(2);
    const err = await failure(h.client.get('/v1/x'));
    expect(err.message).toBe(
      'server error (HTTP 503 Service Unavailable): maintenance after 2 attempts (request id r5)',
    );
    expect(h.calls()).toHaveLength(2);
  });

  it('stops before a back-off that would pass the overall deadline', async () => {
    let clock = 1_000_000;
    h = harness({
      deadlineMs: 60_000,
      maxBackoffMs: 600_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .reply(429, { detail: 'quota' }, { headers: { 'retry-after': '100', 'x-request-id': 'rq' } });
    const err = await failure(h.client.get('/v1/x'));
    expect(err.message).toBe(
      'rate limited by the server (HTTP 429): quota after 1 attempt; gave up because the next retry (in 100s) would pass the 60s overall deadline (request id rq)',
    );
  });

  it('retries a reset connection on a GET', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).replyWithError(econnreset());
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, { ok: 1 });
    expect(await h.client.get('/v1/x')).toEqual({ ok: 1 });
    expect(h.sleeps).toEqual([125]);
  });

  it.each([
    ['socket hang up', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['UND_ERR_SOCKET', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })],
    ['a message only', new Error('socket hang up')],
  ])('retries a connection error: %s', async (_name, error) => {
    h = harness();
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).replyWithError(error);
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, { ok: 1 });
    expect(await h.client.get('/v1/x')).toEqual({ ok: 1 });
  });

  it('retries a reset POST with the same Idempotency-Key', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/system-keys', method: 'POST' }).replyWithError(econnreset());
    h.pool.intercept({ path: '/v1/admin/system-keys', method: 'POST' }).reply(503, '');
    h.pool.intercept({ path: '/v1/admin/system-keys', method: 'POST' }).reply(201, { id: 'k9' });
    expect(await h.client.post('/v1/admin/system-keys', { name: 'ci' })).toEqual({ id: 'k9' });
    const keys = h.calls().map((c) => c.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(UUID);
    expect(new Set(keys).size).toBe(1);
  });

  it('does not retry a POST sent through request() without an Idempotency-Key', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/x', method: 'POST' }).reply(503, { detail: 'busy' });
    const err = await failure(h.client.request('POST', '/v1/x', { body: {} }));
    expect(err.message).toBe('server error (HTTP 503 Service Unavailable): busy');
    expect(h.calls()).toHaveLength(1);
  });

  it('does not retry a PATCH without an Idempotency-Key', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/users/u1', method: 'PATCH' }).replyWithError(econnreset());
    const err = await failure(h.client.patch('/v1/admin/users/u1', { display_name: 'A' }));
    expect(err.message).toBe('connection to https://api.noxus.test failed: read ECONNRESET (ECONNRESET)');
    expect(h.sleeps).toEqual([]);
    expect(h.calls()).toHaveLength(1);
  });

  it('retries a PATCH that carries an Idempotency-Key', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/admin/users/u1', method: 'PATCH' }).reply(502, '');
    h.pool.intercept({ path: '/v1/admin/users/u1', method: 'PATCH' }).reply(200, { id: 'u1' });
    expect(await h.client.patch('/v1/admin/users/u1', {}, { idempotencyKey: 'k-1' })).toEqual({ id: 'u1' });
  });

  it('fails fast when the first connection is refused', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .replyWithError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
      );
    const err = await failure(h.client.get('/v1/x'));
    expect(err.message).toBe('could not connect to https://api.noxus.test: connection refused');
    expect(err.hint).toContain('HTTPS_PROXY');
    expect(h.sleeps).toEqual([]);
  });

  it('keeps retrying when a retry is refused (server restarting)', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).replyWithError(econnreset());
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).reply(200, { ok: 1 });
    expect(await h.client.get('/v1/x')).toEqual({ ok: 1 });
    expect(h.sleeps).toEqual([125, 250]);
  });

  it('gives up on connection resets after maxAttempts', async () => {
    h = harness({ maxAttempts: 3 });
    h.pool.intercept({ path: '/v1/x', method: 'GET' }).replyWithError(econnreset()).times(3);
    const err = await failure(h.client.get('/v1/x'));
    expect(err.message).toBe(
      'connection to https://api.noxus.test failed: read ECONNRESET (ECONNRESET) after 3 attempts',
    );
    expect(h.calls()).toHaveLength(3);
  });
});

describe('timeouts', () => {
  it('says the per-attempt timeout fired', async () => {
    h = harness({ timeoutMs: 30, maxAttempts: 1 });
    h.pool.intercept({ path: '/v1/slow', method: 'GET' }).reply(200, {}).delay(2000);
    const err = await failure(h.client.get('/v1/slow'));
    expect(err.constructor).toBe(NoxusError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe('request timed out after 30ms (per-attempt timeout): GET /v1/slow');
  });

  it('retries after a per-attempt timeout and succeeds', async () => {
    h = harness({ timeoutMs: 30 });
    h.pool.intercept({ path: '/v1/slow', method: 'GET' }).reply(200, { late: true }).delay(2000);
    h.pool.intercept({ path: '/v1/slow', method: 'GET' }).reply(200, { ok: true });
    expect(await h.client.get('/v1/slow')).toEqual({ ok: true });
  });

  it('reports the attempts when every attempt times out', async () => {
    h = harness({ timeoutMs: 30, maxAttempts: 2 });
    h.pool.intercept({ path: '/v1/slow', method: 'GET' }).reply(200, {}).delay(2000).times(2);
    const err = await failure(h.client.get('/v1/slow'));
    expect(err.message).toBe(
      'request timed out after 30ms (per-attempt timeout): GET /v1/slow after 2 attempts',
    );
  });

  it('says the overall deadline fired', async () => {
    h = harness({ timeoutMs: 5000, deadlineMs: 40 });
    h.pool.intercept({ path: '/v1/slow', method: 'GET' }).reply(200, {}).delay(2000);
    const err = await failure(h.client.get('/v1/slow'));
    expect(err.constructor).toBe(NoxusError);
    expect(err.message).toBe(
      'gave up after 40ms (overall deadline): GET /v1/slow did not complete in 1 attempt',
    );
  });

  it('names the last failure when the deadline fires during a retry', async () => {
    h = harness({ timeoutMs: 5000, deadlineMs: 60, random: () => 0 });
    h.pool
      .intercept({ path: '/v1/slow', method: 'GET' })
      .reply(503, '', { headers: { 'x-request-id': 'r1' } });
    h.pool.intercept({ path: '/v1/slow', method: 'GET' }).reply(200, {}).delay(2000);
    const err = await failure(h.client.get('/v1/slow'));
    expect(err.message).toBe(
      'gave up after 60ms (overall deadline): GET /v1/slow did not complete in 2 attempts; last error: HTTP 503 (request id r1)',
    );
  });

  it('formats durations', () => {
    h = harness();
    expect([
      formatDuration(30_000),
      formatDuration(120_000),
      formatDuration(1500),
      formatDuration(50),
    ]).toEqual(['30s', '120s', '1.5s', '50ms']);
  });
});

describe('redirects', () => {
  it('follows a same-origin redirect and keeps the key', async () => {
    h = harness();
    h.pool.intercept({ path: '/v1/old', method: 'GET' }).reply(301, '', { headers: { location: '/v1/new' } });
    h.pool.intercept({ path: '/v1/new', method: 'GET' }).reply(200, { moved: true });
    expect(await h.client.get('/v1/old')).toEqual({ moved: true });
    const calls = h.calls();
    expect(calls.map((c) => c.path)).toEqual(['/v1/old', '/v1/new']);
    expect(calls[1]?.headers['x-api-key']).toBe(KEY);
  });

  it('turns a POST into a GET on 303 and keeps the method on 307', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/jobs', method: 'POST' })
      .reply(303, '', { headers: { location: `${BASE}/v1/jobs/1` } });
    h.pool.intercept({ path: '/v1/jobs/1', method: 'GET' }).reply(200, { id: 1 });
    h.pool.intercept({ path: '/v1/a', method: 'PUT' }).reply(307, '', { headers: { location: '/v1/b' } });
    h.pool.intercept({ path: '/v1/b', method: 'PUT', body: '{"x":1}' }).reply(200, { put: 1 });
    expect(await h.client.post('/v1/jobs', { n: 1 })).toEqual({ id: 1 });
    expect(await h.client.put('/v1/a', { x: 1 })).toEqual({ put: 1 });
    expect(h.calls()[1]?.headers).not.toHaveProperty('content-type');
  });

  it('refuses a redirect to another origin and never calls it', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/admin/me', method: 'GET' })
      .reply(302, '', { headers: { location: 'https://evil.example/steal', 'x-request-id': 'rr' } });
    const err = await failure(h.client.get('/v1/admin/me'));
    expect(err.constructor).toBe(NoxusError);
    expect(err.message).toBe(
      'the server redirected GET /v1/admin/me to https://evil.example, which was not followed so the API key is not sent there (request id rr)',
    );
    expect(h.calls().map((c) => c.origin)).toEqual([BASE]);
  });

  it('refuses a redirect from https to http on the same host', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/x', method: 'GET' })
      .reply(308, '', { headers: { location: 'http://api.noxus.test/v1/x' } });
    const err = await failure(h.client.get('/v1/x'));
    expect(err.message).toBe(
      'the server redirected GET /v1/x to http://api.noxus.test, which was not followed so the API key is not sent there',
    );
    expect(h.calls()).toHaveLength(1);
  });

  it('stops after 5 redirects', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/v1/loop', method: 'GET' })
      .reply(302, '', { headers: { location: '/v1/loop' } })
      .times(6);
    const err = await failure(h.client.get('/v1/loop'));
    expect(err.message).toBe('too many redirects (more than 5) for GET /v1/loop');
    expect(h.calls()).toHaveLength(6);
  });
});
