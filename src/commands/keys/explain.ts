import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { requireFeatures } from '../shared.js';

export function registerExplain(parent: Command, ctx: Context): void {
  parent
    .command('explain')
    .description('what a key can do right now, and for every permission it lost, why')
    .argument('<key>', 'key id or name')
    .addHelpText(
      'after',
      `${examples(['noxus keys explain campaign-sync', 'noxus keys explain 0b6c…-…-… --json'])}
effective = restriction (or every workspace permission, if unrestricted) ∩ the holder's current
permissions in the key's workspace. The holder is the owner service account if there is one,
else the creator.
`,
    )
    .action((key: string) => runExplain(ctx, key));
}

export async function runExplain(ctx: Context, ref: string): Promise<void> {
  await requireFeatures(ctx, 'keys explain');
  const [{ resolveKey, explainKey }, client] = await Promise.all([
    import('../../services/keys.js'),
    ctx.client(),
  ]);
  const key = await resolveKey(client, ref);
  const e = await explainKey(client, key);
  if (ctx.globals.json) {
    ctx.out.envelope('keys explain', [
      {
        id: key.id,
        name: key.name,
        workspace: key.group_name,
        status: key.status,
        restricted: key.restricted,
        restriction: key.permissions,
        holder: e.holder,
        effective_permissions: e.effective,
        clipped: e.clipped,
        degraded: e.degraded,
      },
    ]);
    return;
  }
  const out = ctx.out;
  const lines = [
    `key         ${key.name} (${key.id}), ${key.status}`,
    `workspace   ${key.group_name ?? key.group_id}`,
    `holder      ${e.holder.email ?? '?'}${key.owner_id ? ' (owner service account)' : ' (creator)'}: ${e.holder.source}`,
    `restriction ${key.restricted ? (key.permissions ?? []).join(', ') : 'none: inherits every permission of the holder'}`,
    `effective   ${e.effective.length ? e.effective.join(', ') : '(nothing)'}`,
  ];
  for (const l of lines) out.print(l);
  if (e.clipped.length === 0) {
    out.print('clipped     nothing: the key has everything it was granted');
    return;
  }
  out.print(`clipped     ${e.clipped.length} permission(s) the key was granted but no longer has:`);
  for (const c of e.clipped) out.print(`  - ${c.permission}: ${c.reason}`);
}
