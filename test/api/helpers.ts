import { MockAgent } from 'undici';
import { expect } from 'vitest';
import { ApiClient, type ApiClientOptions } from '../../src/api/client.js';
import { NoxusError } from '../../src/errors.js';

export const BASE = 'https://api.noxus.test';
export const KEY = 'noxus_TestKey0123456789abcdef';
export const JSON_HEADERS = { 'content-type': 'application/json' };

export interface Harness {
  agent: MockAgent;
  pool: ReturnType<MockAgent['get']>;
  client: ApiClient;
  sleeps: number[];
  traces: string[];
  calls: () => { method: string; origin: string; path: string; headers: Record<string, string> }[];
  finish: () => Promise<void>;
}

export function harness(options: Partial<ApiClientOptions> = {}): Harness {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const sleeps: number[] = [];
  const traces: string[] = [];
  const client = new ApiClient({
    baseUrl: BASE,
    apiKey: KEY,
    dispatcher: agent,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    trace: (line) => traces.push(line),
    ...options,
  });
  return {
    agent,
    pool: agent.get(BASE),
    client,
    sleeps,
    traces,
    calls: () =>
      (agent.getCallHistory()?.calls() ?? []).map((c) => ({
        method: c.method,
        origin: c.origin,
        path: `${new URL(c.fullUrl).pathname}${new URL(c.fullUrl).search}`,
        headers: c.headers as Record<string, string>,
      })),
    finish: async () => {
      agent.assertNoPendingInterceptors();
      // Whatever a test did, the key must never reach a trace line.
      for (const line of traces) expect(line).not.toContain(KEY);
      await agent.close();
    },
  };
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<NoxusError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(NoxusError);
    return err as NoxusError;
  }
  throw new Error('expected the request to fail, but it succeeded');
}

export function econnreset(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}
