import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { examples } from '../../cli/options.js';
import { NoxusError, UsageError } from '../../errors.js';
import type { Finding } from '../../services/review/policy.js';
import { snapshot } from './export.js';

export function registerCheck(cmd: Command, ctx: Context): void {
  cmd
    .command('check')
    .description(
      "least-privilege findings with the command that fixes each; exit 1 when any reaches the policy's fail_on",
    )
    .option('--policy <file>', 'policy file (YAML or JSON); defaults are documented in the README')
    .option('--from <export>', 'check a JSON export instead of the live organization')
    .addHelpText(
      'after',
      examples(['noxus review check', 'noxus review check --policy review-policy.yaml --json']),
    )
    .action((o: { policy?: string; from?: string }) => runCheck(ctx, o));
}

export async function runCheck(ctx: Context, o: { policy?: string; from?: string }): Promise<void> {
  const [svc, { parseReview }, { coverageOf }] = await Promise.all([
    import('../../services/review/policy.js'),
    import('../../services/review/doc.js'),
    import('../../services/review/types.js'),
  ]);
  let policy = svc.DEFAULT_POLICY;
  if (o.policy) {
    const text = (() => {
      try {
        return readFileSync(resolve(ctx.io.cwd, o.policy as string), 'utf8');
      } catch {
        throw new UsageError(`cannot read policy file ${o.policy}`);
      }
    })();
    let raw: unknown;
    try {
      raw = o.policy.endsWith('.json')
        ? JSON.parse(text)
        : (await import('../../io/yaml.js')).parseYaml(text);
    } catch (e) {
      throw new UsageError(`${o.policy}: ${(e as Error).message.split('\n')[0]}`);
    }
    policy = svc.parsePolicy(raw, o.policy);
  }
  const from = o.from;
  const doc = from
    ? parseReview(
        (() => {
          try {
            return readFileSync(resolve(ctx.io.cwd, from), 'utf8');
          } catch {
            throw new UsageError(`cannot read ${from}`);
          }
        })(),
        from,
      )
    : await snapshot(ctx);
  let caller: string | undefined;
  if (!o.from) {
    const { getMe } = await import('../../api/me.js');
    caller = (await getMe(await ctx.client())).holder?.email;
  }
  const findings = svc.checkReview(doc.content, policy, ctx.io.now(), caller);
  const failing = svc.failing(findings, policy);
  const skipped = svc.skippedRules(doc.content);
  if (ctx.globals.json) {
    ctx.out.envelope('review check', findings, {
      policy,
      failing: failing.length,
      passed: failing.length === 0,
      sha256: doc.sha256,
      skipped,
      coverage: coverageOf(doc.content),
    });
  } else if (findings.length === 0) {
    ctx.out.success('no findings');
  } else {
    ctx.out.list('review check', findings, [
      { header: 'Severity', value: (f: Finding) => f.severity },
      { header: 'Rule', value: (f: Finding) => f.rule },
      { header: 'Subject', value: (f: Finding) => f.subject },
      { header: 'Finding', value: (f: Finding) => f.message },
      { header: 'Fix', value: (f: Finding) => f.fix },
    ]);
  }
  if (!ctx.globals.json) for (const x of skipped) ctx.out.warn(`rule ${x.rule} skipped: ${x.reason}`);
  if (failing.length) {
    throw new NoxusError(
      `${failing.length} finding(s) at or above "${policy.fail_on}" (${findings.length} in all)`,
      {
        hint: 'apply the fixes shown, or adjust the policy thresholds (--policy)',
        data: { failing: failing.length },
      },
    );
  }
  if (!ctx.globals.json && findings.length)
    ctx.out.info(`${findings.length} finding(s), none at or above "${policy.fail_on}"`);
}
