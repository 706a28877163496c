import type { Command } from 'commander';
import type { ActivityEntry } from '../api/activity.js';
import type { Context } from '../cli/context.js';
import { examples } from '../cli/options.js';
import { parseDuration } from '../domain/validate.js';
import { UsageError } from '../errors.js';
import { safeJson } from '../io/text.js';
import { requireFeatures } from './shared.js';

interface ActivityOpts {
  actor?: string;
  resource?: string;
  action?: string;
  workspace?: string;
  since?: string;
  until?: string;
  limit?: string;
}

export function registerActivity(program: Command, ctx: Context): void {
  program
    .command('activity')
    .description('the activity log, newest first (entries of removed users included)')
    .option('--actor <user>', 'by this user (email or id) or API key id')
    .option('--resource <ref>', 'about this resource: TYPE (user, api_key, workflow …), TYPE:ID, or an id')
    .option(
      '--action <action>',
      'create, update, delete, execute, login or lapse (a workspace grant ended at its expiry)',
    )
    .option('--workspace <w>', 'in this workspace (name or id)')
    .option('--since <when>', 'from a duration ago (30d, 12h) or an ISO date')
    .option('--until <when>', 'up to a duration ago or an ISO date')
    .option('--limit <n>', 'at most n entries (default: all)')
    .addHelpText(
      'after',
      `${examples(['noxus activity --actor margaret@example.com --since 30d', 'noxus activity --resource api_key --action delete --json > revocations.jsonl', 'noxus activity --workspace Marketing --limit 20'])}
With --json, entries stream as JSON lines (one object per line), so big ranges never sit in memory.
`,
    )
    .action((o: ActivityOpts) => runActivity(ctx, o));
}

function when(flag: string, v: string | undefined, now: Date): string | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms !== undefined) return new Date(now.getTime() - ms).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new UsageError(`${flag} must be a duration like 30d or 12h, or an ISO date, got "${v}"`);
  return new Date(t).toISOString();
}

export async function runActivity(ctx: Context, o: ActivityOpts): Promise<void> {
  await requireFeatures(ctx, 'activity');
  const now = ctx.io.now();
  const since = when('--since', o.since, now);
  const until = when('--until', o.until, now);
  const actions = ['create', 'update', 'delete', 'execute', 'login', 'lapse'];
  if (o.action && !actions.includes(o.action))
    throw new UsageError(`--action must be one of ${actions.join(', ')}`);
  let limit: number | undefined;
  if (o.limit !== undefined) {
    limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a positive whole number, got "${o.limit}"`);
  }
  const client = await ctx.client();
  const { activity } = await import('../services/activity.js');
  const entries = activity(client, {
    actor: o.actor,
    action: o.action,
    resource: o.resource,
    workspace: o.workspace,
    since,
    until,
    limit,
  });
  const rows: ActivityEntry[] = [];
  for await (const e of entries) {
    if (ctx.globals.json) ctx.io.stdout.write(`${safeJson({ schema_version: 1, ...e })}\n`);
    else rows.push(e);
  }
  if (ctx.globals.json) return;
  // Every cell goes through cell() (src/io/text.ts), which escapes control and bidi characters:
  // actor names and summaries are whatever the server holds.
  ctx.out.list(
    'activity',
    rows,
    [
      { header: 'When', value: (e) => e.at, time: true },
      { header: 'Actor', value: (e) => e.actor_email ?? e.actor_user_id ?? '' },
      { header: 'Action', value: (e) => e.action },
      { header: 'Resource', value: (e) => `${e.resource_type}${e.resource_id ? `:${e.resource_id}` : ''}` },
      { header: 'Summary', value: (e) => e.summary },
      { header: 'Request', value: (e) => e.request_id ?? '' },
    ],
    { empty: 'No activity matches.' },
  );
}
