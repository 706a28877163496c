// Starting a sandbox: the data folder, the database, the first-run bootstrap (organization, owner,
// bootstrap key), the mailer and the HTTP listener.

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUILTIN_ROLES, ORG_ADMIN_ROLE_ID } from '../domain/roles.js';
import { writeFileAtomic } from '../util/files.js';
import { type Clock, systemClock } from './clock.js';
import { openDatabase } from './db.js';
import { createMailer } from './mail.js';
import type { Actor } from './model.js';
import type { ApiMode, UnknownRoutes } from './public-mode.js';
import { hashSecret, newId, newSecret } from './secrets.js';
import { buildServer, type FaultRule, type Sandbox } from './server.js';
import { now, Store } from './store.js';

export interface StartOptions {
  dataDir: string;
  port: number;
  host?: string;
  seed?: 'demo' | 'empty' | 'scale';
  /** With seed 'scale': how many users and workspaces. */
  scale?: { users: number; workspaces: number };
  smtpUrl?: string;
  rateLimit?: number;
  version?: string;
  invitationTtlMs?: number;
  /** Where "now" comes from (default: the system clock); tests pass a manual one. */
  clock?: Clock;
  faults?: FaultRule[];
  /** Invitation outbox: first retry wait and attempts before 'failed' (tests shorten them). */
  deliveryRetryMs?: number;
  deliveryAttempts?: number;
  /** `public`: only the routes the public Noxus API confirms (default `full`). */
  api?: ApiMode;
  unknownRoutes?: UnknownRoutes;
  /** Serve /openapi.json (default true). */
  openapi?: boolean;
}

export interface RunningSandbox {
  url: string;
  dataDir: string;
  /** The bootstrap key, only on the start that created it. */
  adminKey?: string;
  adminKeyFile: string;
  sandbox: Sandbox;
  close(): Promise<void>;
}

export const OWNER_EMAIL = 'owner@example.com';

export function ensureBuiltinRoles(store: Store): void {
  for (const r of BUILTIN_ROLES) {
    store.run(
      `INSERT INTO roles(id, name, name_norm, scope, description, permissions, builtin, created_at) VALUES (?,?,?,?,?,?,1,?)
       ON CONFLICT(id) DO UPDATE SET permissions = excluded.permissions, description = excluded.description`,
      r.id,
      r.name,
      r.name.toLowerCase(),
      r.scope,
      r.description,
      JSON.stringify(r.permissions),
      now(),
    );
  }
}

/** First start: organization, owner (org admin), a Default workspace and the owner's tenant-admin key. */
function bootstrap(store: Store, t: string): { secret: string; owner: Actor } {
  const ownerId = newId();
  const groupId = newId();
  const keyId = newId();
  const secret = newSecret();
  store.setMeta('organization', 'Noxus Sandbox');
  store.setMeta('created_at', t);
  store.run(
    `INSERT INTO users(id, email, email_norm, name, display_name, status, org_role_id, kind, created_at, accepted_at, last_active_at)
     VALUES (?,?,?,?,?,'active',?,'human',?,?,?)`,
    ownerId,
    OWNER_EMAIL,
    OWNER_EMAIL,
    'Sandbox Owner',
    'Owner',
    ORG_ADMIN_ROLE_ID,
    t,
    t,
    t,
  );
  store.run(
    'INSERT INTO groups(id, name, name_norm, description, created_by, created_at) VALUES (?,?,?,?,?,?)',
    groupId,
    'Default',
    'default',
    'The first workspace',
    ownerId,
    t,
  );
  store.run(
    `INSERT INTO api_keys(id, kind, name, group_id, created_by, tenant_admin, baseline, hash, last4, created_at)
     VALUES (?,'workspace','bootstrap',?,?,1,'[]',?,?,?)`,
    keyId,
    groupId,
    ownerId,
    hashSecret(secret),
    secret.slice(-4),
    t,
  );
  store.run(
    "INSERT INTO key_exposures(key_id, user_id, how, at) VALUES (?,?,'bootstrap',?)",
    keyId,
    ownerId,
    t,
  );
  const owner: Actor = { userId: ownerId, email: OWNER_EMAIL, keyId, route: 'bootstrap', method: 'INIT' };
  return { secret, owner };
}

export async function startSandbox(opts: StartOptions): Promise<RunningSandbox> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const db = openDatabase(join(dataDir, 'noxus.db'));
  const store = new Store(db);
  const adminKeyFile = join(dataDir, 'admin-key');
  let created: { secret: string; owner: Actor } | undefined;
  store.tx(() => {
    ensureBuiltinRoles(store);
    if (!store.meta('initialized')) {
      const t = (opts.clock ?? systemClock)().toISOString();
      created = bootstrap(store, t);
      store.setMeta('initialized', t);
    }
  });
  if (created) await writeFileAtomic(adminKeyFile, `${created.secret}\n`);
  const mailer = await createMailer({
    smtpUrl: opts.smtpUrl,
    outboxDir: join(dataDir, 'outbox'),
    from: 'Noxus Sandbox <no-reply@sandbox.noxus.local>',
  });
  const sandbox = buildServer({
    db,
    mailer,
    rateLimit: opts.rateLimit,
    version: opts.version,
    invitationTtlMs: opts.invitationTtlMs,
    clock: opts.clock,
    faults: opts.faults,
    deliveryRetryMs: opts.deliveryRetryMs,
    deliveryAttempts: opts.deliveryAttempts,
    api: opts.api,
    unknownRoutes: opts.unknownRoutes,
    openapi: opts.openapi,
  });
  const host = opts.host ?? '127.0.0.1';
  await sandbox.app.listen({ port: opts.port, host });
  const addr = sandbox.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sandbox.setPublicUrl(url);
  if (created && (opts.seed === 'demo' || opts.seed === 'scale')) {
    try {
      const { seedDemo, seedScale } = await import('./seed.js');
      if (opts.seed === 'demo') await seedDemo(sandbox.model, created.owner);
      else seedScale(sandbox.model, created.owner, opts.scale ?? { users: 10_000, workspaces: 100 });
    } catch (e) {
      await sandbox.app.close();
      mailer.close();
      db.close();
      // A first start that failed half-way leaves nothing behind: the next start begins afresh.
      for (const f of ['noxus.db', 'noxus.db-wal', 'noxus.db-shm', 'admin-key'])
        rmSync(join(dataDir, f), { force: true });
      throw e;
    }
  }
  return {
    url,
    dataDir,
    adminKey: created?.secret,
    adminKeyFile,
    sandbox,
    async close() {
      await sandbox.app.close();
      mailer.close();
      db.close();
    },
  };
}

export function readAdminKey(dataDir: string): string | undefined {
  const f = join(resolve(dataDir), 'admin-key');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
}
