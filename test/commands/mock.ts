// In-process command tests against undici's MockAgent: no server at all, every request the command
// makes must be one the test expects, and `done()` fails on any expected request that was not made.
import type { PassThrough } from 'node:stream';
import { MockAgent } from 'undici';
import { Context } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/program.js';
import { FEATURES, type FeatureId } from '../../src/domain/features.js';
import type { Prompter } from '../../src/io/prompter.js';
import type { Env } from '../../src/io/streams.js';
import { report } from '../../src/main.js';
import { Capabilities, type FeatureState } from '../../src/services/capabilities.js';
import { fakeTerminal, type RunResult, tempDir } from './support.js';

export const ORIGIN = 'http://noxus.test';
export const KEY = 'noxus_mocktest_0123456789abcdef';

/** Capabilities of a server that has every feature (`'all'`) or only the public API (`'public'`). */
export function capabilities(which: 'all' | 'public' | FeatureId[] = 'all'): Capabilities {
  const states = new Map<FeatureId, FeatureState>();
  for (const f of FEATURES) {
    const id = f.id as FeatureId;
    const available = which === 'all' ? true : which === 'public' ? f.public : which.includes(id);
    states.set(id, { available, reason: available ? 'given by the test' : 'absent in this test' });
  }
  return new Capabilities('openapi', ORIGIN, states, { via: 'openapi' });
}

export interface MockServer {
  agent: MockAgent;
  /** Intercepts for the test's origin: `server.pool.intercept({ path, method }).reply(200, body)`. */
  pool: ReturnType<MockAgent['get']>;
  env: Env;
  /** Runs `noxus <argv>` in-process against the mock; errors map to exit codes as in src/main.ts. */
  run(
    argv: string[],
    opts?: { prompter?: Prompter; tty?: boolean; columns?: number; stdin?: string },
  ): Promise<RunResult>;
  /** Throws when an interceptor was defined but never used, then closes the agent. */
  done(): Promise<void>;
}

export function mockServer(opts: { features?: 'all' | 'public' | FeatureId[]; env?: Env } = {}): MockServer {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  const env: Env = {
    NOXUS_API_KEY: KEY,
    NOXUS_BACKEND_URL: ORIGIN,
    NOXUS_CONFIG_DIR: tempDir(),
    NO_COLOR: '1',
    ...opts.env,
  };
  const caps = capabilities(opts.features ?? 'all');
  return {
    agent,
    pool,
    env,
    async run(argv, o = {}) {
      const term = fakeTerminal(env, o.tty ?? false, o.columns);
      if (o.stdin !== undefined) {
        (term.io.stdin as PassThrough).end(o.stdin);
      }
      const ctx = new Context(term.io, '0.0.0', { dispatcher: agent, capabilities: caps });
      ctx.prompterFactory = () => {
        if (!o.prompter) throw new Error('this test expects no prompt at all');
        return o.prompter;
      };
      let code = 0;
      try {
        await (await buildProgram(ctx)).parseAsync(argv, { from: 'user' });
        code = ctx.exitCode;
      } catch (e) {
        code = report(e, ctx);
      }
      return { code, stdout: term.stdout(), stderr: term.stderr() };
    },
    async done() {
      try {
        agent.assertNoPendingInterceptors();
      } finally {
        await agent.close();
      }
    },
  };
}

/** A JSON reply with the headers a real server sends. */
export const json = { headers: { 'content-type': 'application/json', 'x-request-id': 'req-mock' } };
