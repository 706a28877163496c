// A slow mail server behind POST /v1/admin/users: the request outlives the client's per-attempt
// timeout. The client retries with the same Idempotency-Key, is told "still in progress" (409,
// code idempotency_in_progress) while the first attempt waits on SMTP, waits, and gets the first
// attempt's reply: one user, one email, never a conflict. Real SMTP sink with a delayed accept
// (test/e2e/mail.ts), real sandbox, the client in process and the built CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { createUser } from '../../src/api/users.js';
import { type SmtpSink, startSmtpSink } from '../e2e/mail.js';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SMTP_DELAY_MS = 1500;

let sink: SmtpSink;
let sbx: TestSandbox;

beforeAll(async () => {
  sink = await startSmtpSink({ delayMs: SMTP_DELAY_MS });
  sbx = await startTestSandbox({ seed: 'empty', smtpUrl: sink.url });
});
afterAll(async () => {
  await sbx?.cleanup();
  await sink?.close();
});

describe('a client timeout against a slow mail server', () => {
  it('is retried with the same key, waits out "still in progress", and returns the created user', async () => {
    const retries: Array<number | undefined> = [];
    const client = new ApiClient({
      baseUrl: sbx.url,
      apiKey: sbx.adminKey,
      timeoutMs: 400,
      deadlineMs: 15_000,
      random: () => 0,
      onRetry: (i) => retries.push(i.status),
    });
    try {
      const u = await createUser(client, { email: 'slow@example.com', name: 'Slow Mail' }, 'slow-create-1');
      expect(u.email).toBe('slow@example.com');
      expect(u.invitation?.state).toBe('sent');
    } finally {
      await client.close();
    }
    // First the timeout, then at least one "in progress" wait; nothing else.
    expect(retries[0]).toBeUndefined();
    expect(retries.slice(1).length).toBeGreaterThanOrEqual(1);
    expect(new Set(retries.slice(1))).toEqual(new Set([409]));
    const users = (await sbx.call('GET', '/v1/admin/users')).body as Array<{ email: string }>;
    expect(users.filter((x) => x.email === 'slow@example.com')).toHaveLength(1);
    await sink.settle(300);
    expect(sink.to('slow@example.com')).toHaveLength(1);
  });

  it('a deadline that passes while waiting is a plain failure that says so, not a conflict', async () => {
    const client = new ApiClient({
      baseUrl: sbx.url,
      apiKey: sbx.adminKey,
      timeoutMs: 300,
      deadlineMs: 1200,
      random: () => 0,
    });
    let err: { exitCode?: number; message?: string; hint?: string } = {};
    try {
      await createUser(client, { email: 'deadline@example.com', name: 'Dead Line' }, 'slow-create-3');
    } catch (e) {
      err = e as typeof err;
    } finally {
      await client.close();
    }
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      'gave up after 1.2s (overall deadline): POST /v1/admin/users was still in progress on the server (Idempotency-Key slow-create-3); it may complete',
    );
    // It did complete: the same key later returns the user instead of creating another.
    await sink.waitFor(() => sink.to('deadline@example.com').length === 1, 10_000, 'the email');
    const again = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey, timeoutMs: 10_000 });
    try {
      const u = await createUser(
        again,
        { email: 'deadline@example.com', name: 'Dead Line' },
        'slow-create-3',
      );
      expect(u.invitation?.state).toBe('sent');
    } finally {
      await again.close();
    }
    expect(sink.to('deadline@example.com')).toHaveLength(1);
  });

  it('(control) without the marker a 409 is a conflict: the same user again, another key', async () => {
    const client = new ApiClient({ baseUrl: sbx.url, apiKey: sbx.adminKey, timeoutMs: 10_000 });
    try {
      await expect(
        createUser(client, { email: 'slow@example.com', name: 'Slow Mail' }, 'slow-create-2'),
      ).rejects.toMatchObject({ exitCode: 7 });
    } finally {
      await client.close();
    }
  });

  it('the CLI with a 0.5 s timeout: exit 0 and "invited", one email', async () => {
    const r = await runCli(
      ['users', 'add', '--email', 'cli-slow@example.com', '--name', 'Cli Slow', '--yes'],
      {
        env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey, NOXUS_TIMEOUT: '0.5' },
        configDir: tempConfigDir(),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/✓ invited cli-slow@example\.com \([0-9a-f-]{36}\) as Org Base\n/);
    await sink.settle(300);
    expect(sink.to('cli-slow@example.com')).toHaveLength(1);
  });
});
