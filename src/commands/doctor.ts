import type { Command } from 'commander';
import type { Context } from '../cli/context.js';
import { examples } from '../cli/options.js';

export function registerDoctor(program: Command, ctx: Context): void {
  program
    .command('doctor')
    .description(
      'check the server: reachable, how its capabilities were learnt, the key (kind, tenant admin, holder), and which features it supports',
    )
    .addHelpText(
      'after',
      `${examples(['noxus doctor', 'noxus doctor --json', 'noxus doctor --url https://noxus.example.com'])}
Capabilities are learnt from the server's /openapi.json, or by probing one read per family of
extension endpoints when it hides that document; they are cached per profile and server for a day.
doctor always discovers them afresh (and refreshes the cache).
`,
    )
    .action(() => runDoctor(ctx));
}

export async function runDoctor(ctx: Context): Promise<void> {
  const target = await ctx.target();
  let caps: Awaited<ReturnType<Context['capabilities']>>;
  try {
    caps = await ctx.capabilities({ refresh: true });
  } catch (e) {
    ctx.out.info(`Server ${target.url}: not usable`);
    throw e;
  }
  const key = caps.extra.key;
  const features = caps.all().map(({ id, feature, state }) => ({
    id,
    title: feature.title,
    public: feature.public,
    available: state.available,
    reason: state.reason,
    console: feature.console ?? null,
  }));
  const via = caps.extra.via === 'openapi' ? 'openapi' : 'probe';
  const keyKind = key?.kind ?? (key?.holder === null ? 'system' : key ? 'unknown' : undefined);
  if (ctx.out.json) {
    ctx.out.document({
      command: 'doctor',
      server: target.url,
      profile: target.profileName,
      reachable: true,
      discovery: { source: via, fingerprint: caps.extra.fingerprint ?? null },
      key: key
        ? {
            id: key.id ?? null,
            name: key.name ?? null,
            kind: keyKind ?? null,
            tenant_admin: key.tenant_admin ?? null,
            holder: key.holder ?? null,
          }
        : null,
      features,
    });
    return;
  }
  const lines: Array<[string, string]> = [
    ['Server', target.url],
    ['Reachable', 'yes'],
    [
      'Discovery',
      via === 'openapi'
        ? `/openapi.json${caps.extra.fingerprint ? ` (version ${caps.extra.fingerprint})` : ''}`
        : 'probing (the server does not serve /openapi.json)',
    ],
    ['Key', key ? `${key.name ?? '?'} (${key.id ?? '?'})` : 'unknown: GET /v1/admin/me did not answer'],
  ];
  if (key) {
    lines.push(['Key kind', keyKind ?? 'unknown']);
    lines.push([
      'Tenant admin',
      key.tenant_admin === undefined
        ? 'unknown'
        : key.tenant_admin
          ? 'yes'
          : 'no (organization-level features need it)',
    ]);
    lines.push([
      'Holder',
      key.holder
        ? (key.holder.email ?? key.holder.id)
        : key.holder === null
          ? 'none (system key)'
          : 'unknown',
    ]);
  }
  const { cell } = await import('../io/text.js');
  const width = Math.max(...lines.map(([h]) => h.length));
  for (const [h, v] of lines) {
    ctx.out.print(
      ctx.out.tty
        ? `${ctx.out.theme.bold(h.padEnd(width))}  ${cell(v)}`
        : `${h.toLowerCase().replace(/ /g, '_')}\t${cell(v)}`,
    );
  }
  if (ctx.out.tty) ctx.out.print('');
  ctx.out.list('doctor', features, [
    { header: 'Feature', value: (f) => f.title },
    { header: 'Available', value: (f) => (f.available ? 'yes' : 'no') },
    { header: 'Why', value: (f) => f.reason },
    { header: 'ID', value: (f) => f.id },
  ]);
  const missing = features.filter((f) => !f.available).length;
  ctx.out.info(
    missing === 0
      ? 'Every feature is available.'
      : `${missing} feature${missing === 1 ? ' is' : 's are'} not available on this server; commands that need them stop with exit 8 before changing anything.`,
  );
}
