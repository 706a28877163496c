import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { DEFAULT_URL } from '../../cli/context.js';
import { fromFlagOrPrompt } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { UsageError } from '../../errors.js';

interface LoginOpts {
  withToken?: boolean;
  credentialStore: 'keyring' | 'file';
}

export function registerLogin(parent: Command, ctx: Context): void {
  parent
    .command('login')
    .description('verify an API key with the server and store it (OS keychain by default)')
    .option('--with-token', 'read the key from stdin instead of a hidden prompt')
    .addOption(
      new Option('--credential-store <store>', 'keyring (OS keychain) or file (plaintext 0600 file, opt-in)')
        .choices(['keyring', 'file'])
        .default('keyring'),
    )
    .addHelpText(
      'after',
      `${examples([
        'noxus auth login',
        'printf %s "$NOXUS_KEY" | noxus auth login --with-token --url https://noxus.example.com --profile prod',
        'noxus auth login --with-token --credential-store file < key.txt',
      ])}
The key is never accepted as a flag value (it would end up in shell history and process lists).
Without a working OS keychain, login fails and says how to fix it; it never falls back to a
plaintext file unless you ask for --credential-store file.
`,
    )
    .action((o: LoginOpts) => runLogin(ctx, o));
}

async function readStdin(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8').trim();
}

export async function runLogin(ctx: Context, o: LoginOpts): Promise<void> {
  const [profiles, svc, { validateProfileName }] = await Promise.all([
    ctx.profiles(),
    import('../../services/auth.js'),
    import('../../config/profiles.js'),
  ]);
  const profileName = validateProfileName(
    (await fromFlagOrPrompt(ctx, ctx.globals.profile, (p) =>
      p.input({ message: 'Profile name', default: profiles.current() ?? 'default' }),
    )) ?? profiles.resolveName(undefined, ctx.env),
  );
  const existing = profiles.get(profileName);
  const url =
    (await fromFlagOrPrompt(ctx, ctx.globals.url ?? ctx.env.NOXUS_BACKEND_URL, (p) =>
      p.input({ message: 'Server URL', default: existing?.url ?? DEFAULT_URL }),
    )) ??
    existing?.url ??
    DEFAULT_URL;
  let key: string;
  if (o.withToken) key = await readStdin(ctx);
  else if (ctx.canPrompt())
    key = (await (await ctx.prompter()).password({ message: `API key for ${url}` })).trim();
  else {
    throw new UsageError(
      'no API key: there is no terminal to ask for it, and keys are never taken as flag values',
      {
        hint: `pipe it in: printf %s "$KEY" | noxus auth login --with-token --profile ${profileName} --url ${url}`,
      },
    );
  }
  svc.checkKeyShape(key);
  const client = await ctx.clientFor(url, key, profileName);
  const { me, location } = await svc.login(
    client,
    profiles,
    { profileName, url, key, store: o.credentialStore },
    ctx.env,
    ctx.io.now(),
  );
  if (o.credentialStore === 'file') ctx.out.warn(`the key is stored unencrypted in ${location}`);
  if (ctx.globals.json) {
    ctx.out.envelope('auth login', [
      {
        profile: profileName,
        url,
        key_id: me.id,
        key_name: me.name,
        tenant_admin: me.tenant_admin,
        stored_in: location,
      },
    ]);
    return;
  }
  ctx.out.success(
    `logged in to ${url} as key "${me.name}" (${me.id})${me.tenant_admin ? ', tenant admin' : ''}; profile ${profileName}`,
  );
  ctx.out.info(`key stored in ${location}`);
  if (ctx.env.NOXUS_API_KEY)
    ctx.out.warn('NOXUS_API_KEY is set and will override this stored key until you unset it');
}
