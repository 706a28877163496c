// Shared by the end-to-end tests: server-state snapshots read straight from the sandbox, keys minted
// with act-as, and tiny local HTTP servers that answer like a broken or foreign server.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { TestSandbox } from '../helpers/sandbox.js';

export interface WireUser {
  id: string;
  email: string;
  name: string;
  status: string;
  org_role: { id: string; name: string } | null;
}

export interface WireMember {
  user_id: string;
  email: string;
  role: { id: string; name: string };
  via: 'membership' | 'org_admin';
}

async function ok<T>(sbx: TestSandbox, path: string): Promise<T> {
  const r = await sbx.call('GET', path);
  expect(r.status, `GET ${path}: ${r.text}`).toBe(200);
  return r.body as T;
}

/** Every user, removed ones included. */
export async function allUsers(sbx: TestSandbox): Promise<WireUser[]> {
  const live = await ok<WireUser[]>(sbx, '/v1/admin/users');
  const removed = await ok<WireUser[]>(sbx, '/v1/admin/users?status=removed');
  return [...live, ...removed];
}

export async function userByEmail(sbx: TestSandbox, email: string): Promise<WireUser | undefined> {
  return (await allUsers(sbx)).find((u) => u.email.toLowerCase() === email.toLowerCase());
}

export async function groupId(sbx: TestSandbox, name: string): Promise<string> {
  const groups = await ok<Array<{ id: string; name: string }>>(sbx, '/v1/admin/groups');
  const g = groups.find((x) => x.name === name);
  if (!g) throw new Error(`no workspace ${name}`);
  return g.id;
}

export async function members(sbx: TestSandbox, workspace: string): Promise<WireMember[]> {
  return ok<WireMember[]>(sbx, `/v1/admin/groups/${await groupId(sbx, workspace)}/members`);
}

/** The workspace role name of a user in a workspace, `undefined` when not a member. */
export async function roleIn(
  sbx: TestSandbox,
  workspace: string,
  email: string,
): Promise<string | undefined> {
  return (await members(sbx, workspace)).find((m) => m.email === email)?.role.name;
}

export async function activityCount(sbx: TestSandbox): Promise<number> {
  return (await ok<{ total: number }>(sbx, '/v1/admin/activity?size=1')).total;
}

/** Users, every membership and the activity log size: equal snapshots mean nothing changed. */
export async function snapshot(sbx: TestSandbox) {
  const users = (await allUsers(sbx))
    .map((u) => `${u.email}|${u.name}|${u.status}|${u.org_role?.name ?? ''}`)
    .sort();
  const groups = await ok<Array<{ id: string; name: string }>>(sbx, '/v1/admin/groups');
  const memberships: string[] = [];
  for (const g of groups) {
    const ms = await ok<WireMember[]>(sbx, `/v1/admin/groups/${g.id}/members`);
    for (const m of ms) memberships.push(`${g.name}|${m.email}|${m.role.name}|${m.via}`);
  }
  return { users, memberships: memberships.sort(), activity: await activityCount(sbx) };
}

/** A key held by `email` in `workspace` (optionally restricted), minted with the bootstrap key. */
export async function actAs(
  sbx: TestSandbox,
  email: string,
  workspace: string,
  permissions?: string[],
): Promise<{ id: string; value: string }> {
  const u = await userByEmail(sbx, email);
  if (!u) throw new Error(`no user ${email}`);
  const r = await sbx.call('POST', '/v1/sandbox/act-as', {
    body: { user_id: u.id, group_id: await groupId(sbx, workspace), ...(permissions ? { permissions } : {}) },
  });
  expect(r.status, r.text).toBe(201);
  return { id: r.body.id, value: r.body.value };
}

export interface FakeServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** A local HTTP server answering every request with `handler`; records `METHOD path`. */
export async function fakeServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<FakeServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export const ANSI = /\u001b\[/;
/** What a stack trace line looks like; none may reach a user without --debug. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
