import { Argument, type Command } from 'commander';
import type { Context } from '../cli/context.js';
import { examples } from '../cli/options.js';
import { escapeControl } from '../io/text.js';

export function registerCompletion(program: Command, ctx: Context): void {
  program
    .command('completion')
    .description('print the shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      examples([
        'noxus completion bash > ~/.local/share/bash-completion/completions/noxus',
        'noxus completion zsh > ~/.zfunc/_noxus   # with fpath+=(~/.zfunc) in .zshrc',
        'noxus completion fish > ~/.config/fish/completions/noxus.fish',
      ]),
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      const c = await import('../cli/completion.js');
      const tree = c.describeTree(program);
      ctx.io.stdout.write(
        shell === 'bash' ? c.bashScript(tree) : shell === 'zsh' ? c.zshScript(tree) : c.fishScript(tree),
      );
    });

  // Values for completion scripts; silent on any error so a tab press never prints noise.
  program
    .command('__complete', { hidden: true })
    .argument('<kind>', 'profile, role or workspace')
    .action(async (kind: string) => {
      try {
        if (kind === 'profile') {
          const profiles = await ctx.profiles();
          for (const p of profiles.list()) ctx.io.stdout.write(`${p.name}\n`);
          return;
        }
        const [{ Resolver }, client] = await Promise.all([import('../services/resolve.js'), ctx.client()]);
        const r = new Resolver(client);
        const names =
          kind === 'role'
            ? (await r.roles()).map((x) => x.name)
            : kind === 'workspace'
              ? (await r.groups()).map((g) => g.name)
              : [];
        for (const n of names.map(escapeControl))
          ctx.io.stdout.write(`${/\s/.test(n) ? n.replace(/ /g, '\\ ') : n}\n`);
      } catch {
        // no completion values
      }
    });
}
