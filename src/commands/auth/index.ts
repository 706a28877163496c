import { type Command, Option } from 'commander';
import type { Context } from '../../cli/context.js';
import { DEFAULT_URL } from '../../cli/context.js';
import { fromFlagOrPrompt } from '../../cli/interact.js';
import { examples } from '../../cli/options.js';
import { AuthError, UsageError } from '../../errors.js';

interface LoginOpts {
  withToken?: boolean;
  credentialStore: 'keyring' | 'file';
}

export function registerAuth(program: Command, ctx: Context): void {
  const cmd = program.command('auth').description('log in with an API key, see where it is stored, log out');
  cmd
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
  cmd
    .command('status')
    .description('which profile, server and key are in use, and where the key lives')
    .action(() => runAuthStatus(ctx));
  cmd
    .command('logout')
    .description('forget the stored key and the profile')
    .action(() => runLogout(ctx));
  cmd
    .command('token')
    .description('print the key in use to stdout (for scripts: export NOXUS_API_KEY=$(noxus auth token))')
    .action(() => runToken(ctx));
}

async function readStdin(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8').trim();
}

export async function runLogin(ctx: Context, o: LoginOpts): Promise<void> {
  const profiles = await ctx.profiles();
  const { validateProfileName } = await import('../../config/profiles.js');
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
  if (!key) throw new UsageError('the API key is empty');
  if (/\s/.test(key)) throw new UsageError('the API key contains whitespace; pass exactly one key');

  const client = await ctx.clientFor(url, key, profileName);
  const { getMe } = await import('../../api/me.js');
  let me: Awaited<ReturnType<typeof getMe>>;
  try {
    me = await getMe(client);
  } catch (e) {
    if (e instanceof AuthError)
      throw new AuthError(`${url} rejected the key: ${e.message}`, {
        requestId: e.requestId,
        hint: 'check the key and the --url; nothing was stored',
      });
    throw e;
  }
  const [{ storeCredential }, { originOf }] = await Promise.all([
    import('../../config/credentials.js'),
    import('../../config/profiles.js'),
  ]);
  const { location } = await storeCredential(profileName, key, o.credentialStore, ctx.env);
  profiles.set(profileName, {
    url,
    origin: originOf(url),
    credential_store: o.credentialStore,
    key_id: me.id,
    key_name: me.name,
    tenant_admin: me.tenant_admin,
    created_at: new Date().toISOString(),
  });
  const current = profiles.current();
  if (!current || !profiles.get(current)) profiles.use(profileName);
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

export async function runAuthStatus(ctx: Context): Promise<void> {
  const t = await ctx.target();
  if (!t.credential) {
    throw new AuthError(`not logged in (profile ${t.profileName}, ${t.url})`, {
      hint: `run: noxus auth login --profile ${t.profileName}`,
    });
  }
  const { getMe } = await import('../../api/me.js');
  const me = await getMe(await ctx.client());
  if (t.credential.overridesStored)
    ctx.out.warn(`NOXUS_API_KEY overrides the key stored for profile ${t.profileName}`);
  const row = {
    profile: t.profileName,
    url: t.url,
    key_name: me.name,
    key_id: me.id,
    value: me.value,
    tenant_admin: me.tenant_admin,
    holder: me.holder?.email ?? null,
    source: t.credential.source,
    location: t.credential.location,
    overridden_by_env: !!t.credential.overridesStored,
  };
  ctx.out.item('auth status', row, [
    { header: 'Profile', value: (x) => x.profile },
    { header: 'Server', value: (x) => x.url },
    { header: 'Key', value: (x) => `${x.key_name} (${x.key_id})` },
    { header: 'Value', value: (x) => x.value },
    { header: 'Holder', value: (x) => x.holder ?? '' },
    { header: 'Tenant admin', value: (x) => (x.tenant_admin ? 'yes' : 'no') },
    { header: 'Key from', value: (x) => x.location },
  ]);
}

export async function runLogout(ctx: Context): Promise<void> {
  const profiles = await ctx.profiles();
  const name = profiles.resolveName(ctx.globals.profile, ctx.env);
  const profile = profiles.get(name);
  if (!profile) {
    const { NotFoundError } = await import('../../errors.js');
    throw new NotFoundError(`no profile ${name}`, { hint: 'see profiles with: noxus profiles list' });
  }
  let removed: Array<{ location: string }> = [];
  // The sandbox profile points at the sandbox's own key file, which belongs to the sandbox.
  if (profile.credential_store !== 'sandbox-file') {
    const { deleteCredential } = await import('../../config/credentials.js');
    removed = await deleteCredential(name, profile, ctx.env);
  }
  profiles.remove(name);
  if (ctx.globals.json) {
    ctx.out.envelope('auth logout', [{ profile: name, removed: removed.map((r) => r.location) }]);
    return;
  }
  ctx.out.success(
    `logged out of profile ${name}${removed.length ? `; removed the key from ${removed.map((r) => r.location).join(', ')}` : ''}`,
  );
  if (ctx.env.NOXUS_API_KEY) ctx.out.warn('NOXUS_API_KEY is still set in this environment');
}

export async function runToken(ctx: Context): Promise<void> {
  const t = await ctx.target();
  if (!t.credential)
    throw new AuthError(`not logged in (profile ${t.profileName})`, {
      hint: `run: noxus auth login --profile ${t.profileName}`,
    });
  ctx.io.stdout.write(`${t.credential.key}\n`);
}
