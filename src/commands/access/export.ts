import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';
import { resolverFor } from '../shared.js';

export function registerExport(cmd: Command, ctx: Context): void {
  cmd
    .command('export')
    .description(
      "write the organization's access as a YAML file: people, grants, service accounts and their keys, custom roles",
    )
    .option('-o, --output <file>', 'write to a file (replaced atomically, mode 0600) instead of stdout')
    .option(
      '--transfer-to <email>',
      'set offboarding.transfer_to: the person who receives the work of people removed with --prune',
    )
    .addHelpText(
      'after',
      `${examples(['noxus access export -o access.yaml', 'noxus access export --transfer-to ada@example.com -o access.yaml', 'noxus access export --json'])}
The file format is described in docs/access.md (schema: docs/access.schema.json). Two exports of an
unchanged organization are byte-identical. On a server without some endpoints (the public Noxus
API) the file names under "unreadable" what it could not read, and a warning says so.
`,
    )
    .action((o: { output?: string; transferTo?: string }) => runExport(ctx, o));
}

export async function runExport(ctx: Context, o: { output?: string; transferTo?: string }): Promise<void> {
  const [{ readServerAccess }, { formatAccessFile, normalizeAccess }, { foldName }, r, caps, t] =
    await Promise.all([
      import('../../services/access/read.js'),
      import('../../services/access/file.js'),
      import('../../domain/identity.js'),
      resolverFor(ctx),
      ctx.capabilities(),
      ctx.target(),
    ]);
  const tty = !!ctx.io.stderr.isTTY && !ctx.globals.json;
  const access = await readServerAccess(r, (id) => caps.has(id), {
    onProgress: (s) => {
      if (tty) ctx.io.stderr.write(`\r${s}\x1b[K`);
    },
  });
  if (tty) ctx.io.stderr.write('\r\x1b[K');
  const doc = { ...access.doc, server: t.url };
  if (o.transferTo !== undefined) {
    const to = doc.people.find((p) => foldName(p.email) === foldName(o.transferTo as string));
    if (!to)
      throw new UsageError(`--transfer-to ${o.transferTo} is not a person in this organization`, {
        hint: 'name a person (not a service account) listed by: noxus users list',
      });
    doc.offboarding = { transfer_to: to.email };
  }
  for (const g of access.unreadable)
    ctx.out.warn(`partial export: no ${g.section.replace('_', ' ')} (${g.reason})`);
  for (const d of access.duplicateKeys ?? []) {
    const others = d.ids.slice(1);
    ctx.out.warn(
      `${d.account} holds ${d.ids.length} active keys named "${d.name}" in ${d.workspace} (${d.ids.join(', ')}): the file lists the oldest (${d.ids[0]}); revoke the others (${others.map((id) => `noxus keys revoke ${id}`).join('; ')}), or access plan refuses this server`,
    );
  }

  const text = formatAccessFile(doc);
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  if (o.output) {
    const { writeFileAtomic } = await import('../../util/files.js');
    try {
      await writeFileAtomic(resolve(ctx.io.cwd, o.output), text);
    } catch (e) {
      throw new UsageError(
        `cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  if (ctx.globals.json) {
    ctx.out.document({
      command: 'access export',
      ...(o.output ? { file: o.output } : {}),
      sha256,
      access: normalizeAccess(doc),
    });
    return;
  }
  if (!o.output) {
    // Piped or redirected: the file's bytes as they are (YAML already escapes control characters).
    // On a terminal, invisible and bidirectional characters from server text are shown escaped.
    if (ctx.io.stdout.isTTY) ctx.out.print(text);
    else ctx.io.stdout.write(text);
    return;
  }
  const grants =
    doc.workspaces.reduce((n, w) => n + w.members.length, 0) +
    doc.service_accounts.reduce((n, a) => n + a.workspaces.length, 0);
  const keys = doc.service_accounts.reduce((n, a) => n + a.keys.length, 0);
  ctx.out.success(
    `access file written to ${o.output}: ${doc.people.length} people, ${count(doc.workspaces.length, 'workspace')}, ${count(grants, 'grant')}, ${count(doc.service_accounts.length, 'service account')}, ${count(keys, 'key')}, ${count(doc.roles.length, 'custom role')}; sha256 ${sha256}`,
  );
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
