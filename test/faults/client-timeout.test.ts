// The per-attempt timeout and the overall deadline of src/api/client.ts, in process, against a real
// proxy that holds every request (test/faults/proxy.ts): which one fired is in the message, and the
// error is a plain failure (exit 1). The CLI runs of the same in reliability.test.ts use NOXUS_TIMEOUT.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { ExitCode, NoxusError } from '../../src/errors.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type FaultProxy, startFaultProxy } from './proxy.js';

const LIST_PATH = '/v1/admin/users';

let sbx: TestSandbox;
let proxy: FaultProxy;

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'empty' });
  proxy = await startFaultProxy(sbx.url);
});
afterAll(async () => {
  await proxy?.close();
  await sbx?.cleanup();
});
beforeEach(() => {
  proxy.reset();
  proxy.script({ method: 'GET', path: LIST_PATH, times: Infinity, fault: { type: 'delay', ms: 20_000 } });
});

async function failure(client: ApiClient): Promise<NoxusError> {
  try {
    await client.get(LIST_PATH);
  } catch (e) {
    return e as NoxusError;
  } finally {
    await client.close();
  }
  throw new Error('the request succeeded');
}

function expectPlainFailure(err: NoxusError): void {
  expect(err).toBeInstanceOf(NoxusError);
  // Not a subclass (auth, usage, not found …): a plain failure, exit 1.
  expect(err.constructor).toBe(NoxusError);
  expect(err.code).toBe('failure');
  expect(err.exitCode).toBe(ExitCode.FAILURE);
  expect(err.hint).toBe('the server is slow or unreachable; try again later');
}

describe('a slow server', () => {
  it('the per-attempt timeout fires on every attempt, and says so', async () => {
    const t0 = Date.now();
    const err = await failure(
      new ApiClient({
        baseUrl: proxy.url,
        apiKey: sbx.adminKey,
        timeoutMs: 400,
        deadlineMs: 3000,
        random: () => 0, // no back-off: five attempts of 400 ms fit in the 3 s deadline
      }),
    );
    expectPlainFailure(err);
    expect(err.message).toBe(
      'request timed out after 400ms (per-attempt timeout): GET /v1/admin/users after 5 attempts',
    );
    expect(proxy.requests.map((q) => q.fault)).toEqual(['delay', 'delay', 'delay', 'delay', 'delay']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1950);
  });

  it('a retry that would pass the deadline is not started, and both limits are named', async () => {
    // Back-offs of 247, 495, 990 ms: after the third 500 ms attempt (~2.24 s) the next wait would pass 3 s.
    const err = await failure(
      new ApiClient({
        baseUrl: proxy.url,
        apiKey: sbx.adminKey,
        timeoutMs: 500,
        deadlineMs: 3000,
        random: () => 0.99,
      }),
    );
    expectPlainFailure(err);
    expect(err.message).toBe(
      'request timed out after 500ms (per-attempt timeout): GET /v1/admin/users after 3 attempts; ' +
        'gave up because the next retry (in 990ms) would pass the 3s overall deadline',
    );
    expect(proxy.requests).toHaveLength(3);
  });

  it('the overall deadline fires inside a long attempt, and says so', async () => {
    const t0 = Date.now();
    const err = await failure(
      new ApiClient({ baseUrl: proxy.url, apiKey: sbx.adminKey, timeoutMs: 5000, deadlineMs: 700 }),
    );
    expectPlainFailure(err);
    expect(err.message).toBe(
      'gave up after 700ms (overall deadline): GET /v1/admin/users did not complete in 1 attempt',
    );
    expect(proxy.requests).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('(control) without the delay the same client succeeds through the proxy', async () => {
    proxy.reset();
    const client = new ApiClient({
      baseUrl: proxy.url,
      apiKey: sbx.adminKey,
      timeoutMs: 500,
      deadlineMs: 3000,
    });
    try {
      const users = await client.get<Array<{ email: string }>>(LIST_PATH);
      expect(users.map((u) => u.email)).toEqual(['owner@example.com']);
    } finally {
      await client.close();
    }
    expect(proxy.requests.map((q) => q.upstreamStatus)).toEqual([200]);
  });
});
