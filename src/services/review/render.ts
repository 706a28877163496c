// The CSV and Markdown views of a review export. CSV cells are formula-safe; Markdown reads as the
// quarter's record.

import { stringify } from 'csv-stringify/sync';
import { escapeControl } from '../../io/text.js';
import { neutralize } from '../bulk.js';
import { type ReviewGrant, type ReviewSourceDoc, type ReviewUser, rowObjects } from './types.js';
import { mdTrailer, withFileHash } from './verify.js';

const CSV_COLUMNS = [
  'record',
  'id',
  'subject',
  'name',
  'kind',
  'status',
  'workspace',
  'role',
  'via',
  'restriction',
  'effective',
  'degraded',
  'created_at',
  'last_activity',
  'expires_at',
  'reason',
];

const row = (r: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>>) =>
  stringify([
    CSV_COLUMNS.map((col) => neutralize(Array.isArray(r[col]) ? (r[col] as unknown[]).join(' ') : r[col])),
  ]);

/**
 * One table, one row per record; the `record` column says which kind (user, grant, key, …). The
 * last row, `file_sha256`, holds the sha256 of every byte above it (`review verify`).
 */
export const csvChunks = (doc: ReviewSourceDoc): AsyncGenerator<string> =>
  withFileHash(csvRows(doc), (hex) => row({ record: 'file_sha256', id: hex }));

async function* csvRows(doc: ReviewSourceDoc): AsyncGenerator<string> {
  yield stringify([CSV_COLUMNS]);
  const c = doc.content;
  for await (const u of rowObjects<ReviewUser>(c.users)) {
    yield row({
      record: 'user',
      id: u.id,
      subject: u.email,
      name: u.name,
      kind: u.kind,
      status: u.status,
      role: u.org_role,
      via: u.org_admin ? 'org_admin' : '',
      created_at: u.created_at,
      last_activity: u.last_active_on,
    });
  }
  for await (const g of rowObjects<ReviewGrant>(c.grants))
    yield row({
      record: 'grant',
      id: g.user_id,
      subject: g.email,
      workspace: g.workspace,
      role: g.role,
      via: g.via,
      // When the grant began (its role was set, or the user became org admin).
      created_at: g.since ?? '',
      expires_at: g.expires_at ?? '',
      reason: g.reason ?? '',
    });
  for (const k of c.keys) {
    yield row({
      record: 'key',
      id: k.id,
      subject: k.holder,
      name: k.name,
      kind: k.holder_kind,
      status: k.status,
      workspace: k.workspace,
      restriction: k.restricted ? k.restriction : k.tenant_admin ? 'tenant_admin' : 'unrestricted',
      effective: k.effective,
      degraded: k.degraded ? `yes: ${k.clipped.join(' ')}` : 'no',
      created_at: k.created_at,
      last_activity: k.last_used_on,
      expires_at: k.expires_at,
    });
  }
  for (const k of c.system_keys) {
    yield row({
      record: 'system_key',
      id: k.id,
      subject: k.created_by,
      name: k.name,
      kind: 'system',
      status: k.status,
      restriction: k.tenant_admin ? 'tenant_admin' : k.permissions,
      created_at: k.created_at,
      last_activity: k.last_used_on,
      expires_at: k.expires_at,
    });
  }
  for (const a of c.service_accounts)
    yield row({
      record: 'service_account',
      id: a.id,
      subject: a.email,
      kind: 'service',
      status: a.status,
      workspace: a.workspaces,
    });
  for (const i of c.invitations)
    yield row({
      record: 'invitation',
      id: i.user_id,
      subject: i.email,
      status: 'invited',
      created_at: i.invited_at,
      expires_at: i.expires_at,
    });
  for (const w of c.workspaces ?? []) yield row({ record: 'workspace', id: w.id, name: w.name });
  // What this export could not read (a partial export of a server without some endpoints).
  for (const m of c.coverage?.missing ?? [])
    yield row({ record: 'not_covered', id: m.feature, subject: m.section, status: m.reason });
  yield row({ record: 'sha256', id: doc.sha256, subject: doc.server, created_at: doc.generated_at });
}

/**
 * Server text as literal Markdown inline text: no HTML (`<script>`), no links, images or autolinks
 * (`[x](javascript:…)`, `<javascript:…>`, bare `https://`, `www.`), no code spans or emphasis, no
 * table cell breaks (`|`), no block syntax at the start (`# `, `- `, `1. `), one line, and control
 * and invisible characters shown as `\u202e`. It renders as exactly the text it was.
 */
export function mdText(v: unknown): string {
  return escapeControl(String(v ?? '').replace(/[\r\n]+/g, ' '))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, '\\$&')
    .replace(/:\/\//g, '\\://')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/^(\s*)([-+#])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s|$)/, '$1\\$2');
}
const md = mdText;

/** The Markdown record; its last line, a comment, holds the sha256 of every byte above it. */
export const markdownChunks = (doc: ReviewSourceDoc): AsyncGenerator<string> =>
  withFileHash(markdownBody(doc), mdTrailer);

async function* markdownBody(doc: ReviewSourceDoc): AsyncGenerator<string> {
  const c = doc.content;
  const admins = c.admins;
  yield `# Access review: ${md(c.organization ?? doc.server)}\n\n`;
  yield `- Generated: ${md(doc.generated_at)} by noxus ${md(doc.tool_version)}\n- Server: ${md(doc.server)}\n- Content sha256: \`${doc.sha256}\`\n`;
  const gaps = c.coverage?.missing ?? [];
  if (gaps.length) {
    yield '\n## Coverage: partial export\n\nThis server could not provide:\n\n';
    for (const m of gaps) yield `- ${md(m.section.replace('_', ' '))}: ${md(m.reason)} (${md(m.feature)})\n`;
    yield '\n';
  }
  yield `- ${c.users.count} users (${admins.length} org admins, ${c.service_accounts.length} service accounts, ${c.invitations.length} pending invitations), ${c.grants.count} workspace grants, ${c.keys.length} keys (${c.keys.filter((k) => k.degraded).length} degraded, ${c.keys.filter((k) => !k.restricted && !k.tenant_admin).length} unrestricted), ${c.system_keys.length} system keys\n\n`;
  yield '## Org admins (admin on every workspace)\n\n';
  for (const u of admins)
    yield `- ${md(u.email)} (${md(u.name)}), last active ${md(u.last_active_on ?? 'never')}\n`;
  yield '\n## Users\n\n| Email | Name | Kind | Status | Org role | Last active |\n|---|---|---|---|---|---|\n';
  for await (const u of rowObjects<ReviewUser>(c.users))
    yield `| ${md(u.email)} | ${md(u.name)} | ${md(u.kind)} | ${md(u.status)} | ${md(u.org_role)} | ${md(u.last_active_on ?? 'never')} |\n`;
  yield '\n## Workspace grants\n\n| User | Workspace | Role | Via | Since | Expires | Reason |\n|---|---|---|---|---|---|---|\n';
  for await (const g of rowObjects<ReviewGrant>(c.grants))
    yield `| ${md(g.email)} | ${md(g.workspace)} | ${md(g.role)} | ${g.via === 'org_admin' ? 'org admin' : 'membership'} | ${md(g.since?.slice(0, 10) ?? '')} | ${md(g.expires_at ?? '')} | ${md(g.reason ?? '')} |\n`;
  yield '\n## API keys\n\n| Key | Workspace | Holder | Restriction | Effective | Degraded | Created | Last used | Expires |\n|---|---|---|---|---|---|---|---|---|\n';
  for (const k of c.keys) {
    yield `| ${md(k.name)} | ${md(k.workspace)} | ${md(k.holder)}${k.holder_kind === 'service' ? ' (service)' : ''} | ${k.restricted ? md(k.restriction?.join(', ')) : k.tenant_admin ? 'tenant admin' : 'unrestricted'} | ${md(k.effective.join(', '))} | ${k.degraded ? `yes (lost ${md(k.clipped.join(', '))})` : 'no'} | ${md(k.created_at.slice(0, 10))} | ${md(k.last_used_on ?? 'never')} | ${md(k.expires_at?.slice(0, 10) ?? '')} |\n`;
  }
  yield '\n## System keys\n\n| Key | Permissions | Created by | Created | Last used |\n|---|---|---|---|---|\n';
  for (const k of c.system_keys)
    yield `| ${md(k.name)} | ${k.tenant_admin ? 'tenant admin' : md(k.permissions.join(', '))} | ${md(k.created_by)} | ${md(k.created_at.slice(0, 10))} | ${md(k.last_used_on ?? 'never')} |\n`;
  yield '\n## Service accounts\n\n';
  for (const s of c.service_accounts)
    yield `- ${md(s.email)}: ${md(s.workspaces.join(', ') || 'no workspace')}\n`;
  if (c.workspaces) {
    yield '\n## Workspaces\n\n';
    for (const w of c.workspaces) yield `- ${md(w.name)} (${w.id})\n`;
  }
  yield '\n## Pending invitations\n\n';
  for (const i of c.invitations)
    yield `- ${md(i.email)}, invited ${md(i.invited_at.slice(0, 10))}${i.expires_at ? `, expires ${md(i.expires_at.slice(0, 10))}` : ''}\n`;
  yield '\n';
}
