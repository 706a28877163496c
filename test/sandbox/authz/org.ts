// Building an organization through the sandbox's own API (the bootstrap key does the setup) and
// mirroring every step in the reference model, so that the model never reads the server's answers
// about permissions.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestSandbox } from '../../helpers/sandbox.js';
import type { MKey, MUser, RefModel } from './model.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export type Json = any;

export class OrgBuilder {
  private n = 0;
  constructor(
    readonly sbx: TestSandbox,
    readonly model: RefModel,
  ) {}

  uniq(prefix: string): string {
    return `${prefix}${++this.n}`;
  }

  async ok(method: string, path: string, body?: unknown, key?: string): Promise<Json> {
    const r = await this.sbx.call(method, path, { body, key });
    if (r.status >= 300) throw new Error(`setup ${method} ${path} -> ${r.status} ${r.text.slice(0, 300)}`);
    return r.body;
  }

  /** The accept token of the newest invitation mail to this address in the outbox. */
  private async token(email: string, deliveredTo: unknown): Promise<string> {
    const fromFile = (file: string): string | undefined => {
      const raw = readFileSync(file, 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      return /\/invite\/([0-9A-Za-z_-]+)/.exec(raw)?.[1];
    };
    if (typeof deliveredTo === 'string' && deliveredTo.startsWith('outbox:')) {
      const t = fromFile(deliveredTo.slice('outbox:'.length));
      if (t) return t;
    }
    // A durable outbox may deliver after the response: look for the mail until it is written.
    const dir = join(this.sbx.dataDir, 'outbox');
    for (let i = 0; i < 250; i++) {
      if (existsSync(dir)) {
        const files = readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.eml') && f.includes(email))
          .sort();
        const last = files.at(-1);
        const t = last ? fromFile(join(dir, last)) : undefined;
        if (t) return t;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no invitation mail for ${email}`);
  }

  /** An active person: invited, then accepted through the emailed link. */
  async human(opts: {
    orgAdmin?: boolean;
    roles?: Record<string, { name: string; perms: readonly string[] }>;
  }) {
    const email = `${this.uniq('p')}@example.com`;
    const created = await this.ok('POST', '/v1/admin/users', {
      email,
      name: 'Person',
      org_role: opts.orgAdmin ? 'Org Admin' : 'Org Base',
      workspaces: Object.entries(opts.roles ?? {}).map(([group_id, r]) => ({ group_id, role: r.name })),
    });
    const token = await this.token(email, created.invitation?.delivered_to);
    const acc = await this.sbx.call('POST', `/v1/invitations/${token}/accept`, { key: null, body: {} });
    if (acc.status !== 200 && acc.status !== 201) throw new Error(`accept -> ${acc.status} ${acc.text}`);
    return this.register(created.id, 'human', opts);
  }

  async service(roles: Record<string, { name: string; perms: readonly string[] }>) {
    const created = await this.ok('POST', '/v1/admin/users', {
      email: `${this.uniq('sa')}@example.com`,
      name: 'Robot',
      kind: 'service',
      workspaces: Object.entries(roles).map(([group_id, r]) => ({ group_id, role: r.name })),
    });
    return this.register(created.id, 'service', { roles });
  }

  private register(
    id: string,
    kind: MUser['kind'],
    opts: { orgAdmin?: boolean; roles?: Record<string, { perms: readonly string[] }> },
  ): MUser {
    const u: MUser = {
      id,
      kind,
      status: 'active',
      orgAdmin: !!opts.orgAdmin,
      roles: Object.fromEntries(Object.entries(opts.roles ?? {}).map(([g, r]) => [g, r.perms])),
    };
    this.model.users.set(id, u);
    return u;
  }

  /** A personal key held by a person (the bootstrap key mints it with act-as). */
  async personKey(
    u: MUser,
    group: string,
    opts: { restriction?: readonly string[] | null; tenantAdmin?: boolean; expiresAt?: string } = {},
  ): Promise<{ key: MKey; secret: string }> {
    const body: Json = { user_id: u.id, group_id: group, name: this.uniq('k') };
    if (opts.restriction) body.permissions = opts.restriction;
    if (opts.tenantAdmin) body.tenant_admin = true;
    const r = await this.ok('POST', '/v1/sandbox/act-as', body);
    if (opts.expiresAt) throw new Error('act-as keys do not expire; use groupKey');
    return { key: this.keyOf(r.id, group, u.id, null, opts), secret: r.value };
  }

  /** A key minted by the bootstrap key on a workspace: held by a service account when owner is given. */
  async ownedKey(
    owner: MUser,
    group: string,
    opts: { restriction?: readonly string[] | null; expiresAt?: string } = {},
  ): Promise<{ key: MKey; secret: string }> {
    const body: Json = { name: this.uniq('k'), owner_id: owner.id };
    if (opts.restriction) body.permissions = opts.restriction;
    if (opts.expiresAt) body.expires_at = opts.expiresAt;
    const r = await this.ok('POST', `/v1/admin/groups/${group}/api-keys`, body);
    return { key: this.keyOf(r.id, group, this.ownerId, owner.id, opts), secret: r.value };
  }

  ownerId = '';

  private keyOf(
    id: string,
    group: string,
    createdBy: string,
    owner: string | null,
    opts: { restriction?: readonly string[] | null; tenantAdmin?: boolean },
  ): MKey {
    const k: MKey = {
      id,
      kind: 'workspace',
      group,
      createdBy,
      owner,
      restriction: opts.restriction ?? null,
      tenantAdmin: !!opts.tenantAdmin,
      sysPerms: [],
      state: 'active',
    };
    this.model.keys.set(id, k);
    return k;
  }

  async systemKey(perms: readonly string[], tenantAdmin = false): Promise<{ key: MKey; secret: string }> {
    const r = await this.ok('POST', '/v1/admin/system-keys', {
      name: this.uniq('sys'),
      permissions: perms,
      tenant_admin: tenantAdmin,
    });
    const k: MKey = {
      id: r.id,
      kind: 'system',
      group: null,
      createdBy: this.ownerId,
      owner: null,
      restriction: null,
      tenantAdmin,
      sysPerms: perms,
      state: 'active',
    };
    this.model.keys.set(k.id, k);
    return { key: k, secret: r.value };
  }

  async group(): Promise<string> {
    return (await this.ok('POST', '/v1/admin/groups', { name: this.uniq('Team '), description: '' })).id;
  }
}
