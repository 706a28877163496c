import Database from 'better-sqlite3';

export type DB = Database.Database;

// Append-only list: a migration, once released, is never edited. The index + 1 is the
// schema version stored in PRAGMA user_version.
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('org','workspace')),
    description TEXT NOT NULL DEFAULT '',
    permissions TEXT NOT NULL,
    builtin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  );
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    avatar_url TEXT,
    status TEXT NOT NULL CHECK (status IN ('invited','active','suspended','removed')),
    org_role_id TEXT NOT NULL REFERENCES roles(id),
    kind TEXT NOT NULL CHECK (kind IN ('human','service')),
    invited_by TEXT,
    created_at TEXT NOT NULL,
    accepted_at TEXT,
    tour_completed_at TEXT,
    first_access_at TEXT,
    last_active_at TEXT,
    suspended_at TEXT,
    removed_at TEXT
  );
  CREATE INDEX users_status ON users(status);
  CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_by TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE memberships (
    user_id TEXT NOT NULL REFERENCES users(id),
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, group_id)
  );
  CREATE INDEX memberships_group ON memberships(group_id);
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('workspace','system')),
    name TEXT NOT NULL,
    group_id TEXT,
    created_by TEXT,
    created_by_key TEXT,
    owner_id TEXT,
    tenant_admin INTEGER NOT NULL DEFAULT 0,
    restriction TEXT,
    permissions TEXT,
    baseline TEXT NOT NULL DEFAULT '[]',
    hash TEXT NOT NULL UNIQUE,
    last4 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT,
    revoked_reason TEXT,
    rotated_from TEXT
  );
  CREATE INDEX api_keys_group ON api_keys(group_id);
  CREATE INDEX api_keys_created_by ON api_keys(created_by);
  CREATE INDEX api_keys_owner ON api_keys(owner_id);
  CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id),
    invited_by TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT,
    delivery TEXT
  );
  CREATE INDEX invitations_user ON invitations(user_id);
  CREATE TABLE resources (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('workflow','agent','knowledge_base')),
    subtype TEXT,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL DEFAULT '{}',
    owner_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX resources_group_type ON resources(group_id, type);
  CREATE INDEX resources_owner ON resources(owner_id);
  CREATE TABLE activity (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor_user_id TEXT,
    actor_email TEXT,
    actor_key_id TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT,
    group_id TEXT,
    summary TEXT NOT NULL DEFAULT '{}',
    request_id TEXT,
    route TEXT,
    method TEXT
  );
  CREATE INDEX activity_actor ON activity(actor_user_id);
  CREATE INDEX activity_resource ON activity(resource_type, resource_id);
  CREATE INDEX activity_at ON activity(at);
  CREATE TABLE idempotency (
    principal TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (principal, idem_key)
  );
  `,
  // Key exposure (issue 12): every user who ever received a key's secret, so that removing them can
  // revoke it. Existing keys were seen by their creator. Removed accounts free their email for a new
  // account (a removed person can be invited again); the old row keeps its history under its id.
  `
  CREATE TABLE key_exposures (
    key_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    how TEXT NOT NULL CHECK (how IN ('created','rotated','act_as_caller','act_as_target','invitation','bootstrap')),
    at TEXT NOT NULL,
    PRIMARY KEY (key_id, user_id, how)
  );
  CREATE INDEX key_exposures_user ON key_exposures(user_id);
  INSERT INTO key_exposures(key_id, user_id, how, at)
    SELECT id, created_by, 'created', created_at FROM api_keys WHERE created_by IS NOT NULL;
  UPDATE users SET email_norm = email_norm || '#removed:' || id WHERE status = 'removed';
  `,
  // 3: idempotency rows are found by a value derived from the Idempotency-Key and their bodies are
  // sealed with another (src/sandbox/idempotency.ts); the old table held replays in plaintext and is
  // dropped (secure_delete zeroes its pages). Invitations get a delivery state for the outbox.
  `
  DROP TABLE idempotency;
  CREATE TABLE idempotency (
    principal TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER,
    body BLOB,
    created_at TEXT NOT NULL,
    PRIMARY KEY (principal, key_hash)
  );
  ALTER TABLE invitations ADD COLUMN delivery_state TEXT NOT NULL DEFAULT 'pending'
    CHECK (delivery_state IN ('pending','sent','failed'));
  ALTER TABLE invitations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE invitations ADD COLUMN last_error TEXT;
  ALTER TABLE invitations ADD COLUMN sent_at TEXT;
  ALTER TABLE invitations ADD COLUMN next_attempt_at TEXT;
  UPDATE invitations SET
    delivery_state = CASE WHEN delivery IS NULL OR delivery LIKE 'failed%' OR delivery LIKE 'not sent%' THEN 'failed' ELSE 'sent' END,
    attempts = 1,
    sent_at = CASE WHEN delivery IS NULL OR delivery LIKE 'failed%' OR delivery LIKE 'not sent%' THEN NULL ELSE created_at END,
    last_error = CASE WHEN delivery LIKE 'failed%' OR delivery LIKE 'not sent%' THEN delivery END;
  CREATE INDEX invitations_outbox ON invitations(delivery_state, next_attempt_at);
  ALTER TABLE users ADD COLUMN created_idem TEXT;
  `,
  // 4: a workspace grant may carry why it was given and when it ends (issue 16). Existing grants
  // have neither: no reason, no expiry. The partial index serves the lapse sweep, which runs on
  // every request (model/workspaces.ts).
  `
  ALTER TABLE memberships ADD COLUMN reason TEXT;
  ALTER TABLE memberships ADD COLUMN expires_at TEXT;
  CREATE INDEX memberships_expiry ON memberships(expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 5: a workspace's member list includes every org admin; finding them scanned all users on each
  // members page (issue 14).
  `
  CREATE INDEX users_org_role ON users(org_role_id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating if needed) the sandbox database: WAL, foreign keys, migrations in a transaction. */
export function openDatabase(file: string): DB {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable at every checkpoint and never corrupts in WAL mode; a kill -9 loses at most
  // the last transaction, never tears one.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Deleted rows (expired idempotency records, the old plaintext table) are overwritten, not left
  // in free pages.
  db.pragma('secure_delete = ON');
  const from = db.pragma('user_version', { simple: true }) as number;
  migrate(db);
  // A migration that dropped plaintext must not leave it in the WAL either.
  if (from > 0 && from < MIGRATIONS.length) db.pragma('wal_checkpoint(TRUNCATE)');
  return db;
}

/** Brings the schema up to version `to` (default: the newest); tests build older data files with it. */
export function migrate(db: DB, to: number = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the sandbox data was written by a newer noxus (schema ${current}, this one knows ${MIGRATIONS.length})`,
    );
  }
  for (let v = current; v < Math.min(to, MIGRATIONS.length); v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
