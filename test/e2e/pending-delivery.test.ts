// The mail server is down while a bulk add runs: the users are created, their invitations wait in
// the sandbox's outbox, and the CLI says so ("pending delivery", not "invited"), as does onboarding.
// Once a real SMTP server listens on that port the outbox delivers them, and --resume reports them
// invited from the server's state. A real sandbox, the built CLI, a real SMTP sink started late.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type SmtpSink, startSmtpSink } from './mail.js';

let sbx: TestSandbox;
let sink: SmtpSink | undefined;
let work: string;
let smtpPort = 0;

const PEOPLE = ['later-a@example.com', 'later-b@example.com', 'later-c@example.com'];

beforeAll(async () => {
  smtpPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  sbx = await startTestSandbox({
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    deliveryRetryMs: 200,
    deliveryAttempts: 1000,
  });
  work = mkdtempSync(join(tmpdir(), 'noxus-pending-'));
});
afterAll(async () => {
  await sbx?.cleanup();
  await sink?.close();
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  runCli(args, {
    env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey, NOXUS_CONFIG_DIR: join(work, 'cfg') },
    timeoutMs: 90_000,
  });

describe('invitations while the mail server is down', () => {
  const file = () => join(work, 'later.csv');

  it('the CLI reports pending delivery, with counts, and onboarding is not "done"', async () => {
    writeFileSync(
      file(),
      `email,name\n${PEOPLE.map((e) => `${e},Later ${e[6]?.toUpperCase()}`).join('\n')}\n`,
    );
    const r = await cli(['users', 'add', '--from-csv', file(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      items: Array<{ email: string; outcome: string; message: string }>;
      summary: Record<string, number>;
    };
    expect(doc.summary).toEqual({ invited: 0, pending_delivery: 3, updated: 0, unchanged: 0, failed: 0 });
    for (const row of doc.items) {
      expect(row.outcome).toBe('pending delivery');
      expect(row.message).toMatch(/^invitation email pending delivery \(last attempt: .*ECONNREFUSED.*\)$/);
    }
    const users = (await sbx.call('GET', '/v1/admin/users?status=invited')).body as Array<{
      id: string;
      email: string;
      invitation: { delivery: { state: string; attempts: number } };
    }>;
    const ours = users.filter((u) => PEOPLE.includes(u.email));
    expect(ours.map((u) => u.invitation.delivery.state)).toEqual(['pending', 'pending', 'pending']);
    expect(Math.min(...ours.map((u) => u.invitation.delivery.attempts))).toBeGreaterThanOrEqual(2);
    const ob = await sbx.call('GET', `/v1/admin/users/${ours[0]?.id}/onboarding`);
    const step = (ob.body.steps as Array<{ step: string; done: boolean; detail?: string }>)[0];
    expect(step?.step).toBe('invitation_sent');
    expect(step?.done).toBe(false);
    expect(step?.detail).toMatch(/^pending delivery \(attempt \d+ failed: .*\)$/);

    const text = await cli(['users', 'onboarding', PEOPLE[0] as string]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Email invitation\tpending\t\tpending delivery \(attempt \d+ failed/);
  }, 120_000);

  it('once a mail server listens the outbox delivers each once, and --resume reports them invited', async () => {
    sink = await startSmtpSink({ port: smtpPort });
    const s = sink;
    await s.waitFor(() => PEOPLE.every((p) => s.to(p).length >= 1), 20_000, 'the pending invitations');
    await s.settle(600);
    for (const p of PEOPLE) expect(s.to(p)).toHaveLength(1);
    const r = await cli(['users', 'add', '--from-csv', file(), '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('✓ 3 invited, 0 updated, 0 unchanged, 0 failed');
    const ob = await sbx.call('GET', '/v1/admin/users/later-a@example.com/onboarding');
    expect(ob.body.steps[0].done).toBe(true);
  }, 120_000);
});
