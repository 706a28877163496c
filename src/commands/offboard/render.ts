// How an offboarding shows on stderr: the access review, the plan's steps, and each step's progress.
import type { User } from '../../api/users.js';
import type { Context } from '../../cli/context.js';
import { escapeControl } from '../../io/text.js';
import type { Plan, PlanStep } from '../../services/offboard/index.js';

export function printInventory(ctx: Context, user: Plan['user'] | User, inv: Plan['inventory']): void {
  const out = ctx.out;
  out.info(
    `Offboarding ${user.email} (${user.name ?? (user as User).display_name}), org role ${inv.org_role}${inv.org_admin ? ' (org admin)' : ''}`,
  );
  out.info(
    `  workspaces: ${inv.workspaces.map((w) => `${w.group_name}=${w.role}${w.via === 'org_admin' ? ' (via org admin)' : ''}`).join(', ') || 'none'}`,
  );
  out.info(
    `  keys they hold: ${inv.keys_held.map((k) => `${k.name} [${k.effective.join(',')}] last used ${k.last_used_at ?? 'never'}`).join('; ') || 'none'}`,
  );
  out.info(`  system keys they created: ${inv.system_keys_created.map((k) => k.name).join(', ') || 'none'}`);
  out.info(
    `  service-account keys they created: ${inv.service_account_keys_created.map((k) => `${k.name} (${k.holder})`).join(', ') || 'none'}`,
  );
  out.info(`  resources they own: ${inv.resources.map((x) => `${x.type} "${x.name}"`).join(', ') || 'none'}`);
  out.info(
    `  invitations they sent, pending: ${inv.invitations_pending.map((i) => i.email).join(', ') || 'none'}`,
  );
  out.info(
    `  last activity: ${inv.last_activity_at ?? 'never'} (${inv.activity_count} activity entries, all kept)`,
  );
}

export function printPlan(ctx: Context, plan: Plan, reviewShown = false): void {
  if (!reviewShown) printInventory(ctx, plan.user, plan.inventory);
  ctx.out.info('Steps:');
  for (const [i, s] of plan.steps.entries()) ctx.out.info(`  ${i + 1}. ${s.title} [${s.kind}]`);
  for (const w of plan.warnings) ctx.out.warn(w);
}

/**
 * Step progress on stderr. Off a terminal (logs) a step gets a line when it starts and one when it
 * ends, so that a log shows where a run stopped. On a terminal the start line is rewritten in place
 * by the end line, so each step shows once.
 */
export function stepProgress(ctx: Context) {
  const tty = !!ctx.io.stderr.isTTY;
  let open = false;
  const write = (s: string) => ctx.io.stderr.write(s);
  return {
    step(step: PlanStep, state: 'running' | 'done' | 'skipped', detail?: string): void {
      if (ctx.globals.json) return;
      if (state === 'running') {
        if (!tty) ctx.out.info(`[ ] ${step.title} …`);
        else {
          write(`[ ] ${escapeControl(step.title)} …`);
          open = true;
        }
        return;
      }
      if (open) write('\r\x1b[2K');
      open = false;
      ctx.out.info(`[${state === 'done' ? '✓' : '-'}] ${step.title}${detail ? `: ${detail}` : ''}`);
    },
    /** Something else is printed during a step (a new secret): the start line gives way to it. */
    interrupt(): void {
      if (open) write('\r\x1b[2K');
      open = false;
    },
    /** The run stopped during a step: its start line stays, and what follows starts on a new line. */
    end(): void {
      if (open) write('\n');
      open = false;
    },
  };
}
