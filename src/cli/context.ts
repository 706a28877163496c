// The lazily built dependencies of a command. Nothing heavy (HTTP client, keychain, prompts)
// is imported until a command asks for it, so --help and --version stay fast.

import type { Dispatcher } from 'undici';
import type { ApiClient } from '../api/client.js';
import type { ResolvedCredential } from '../config/credentials.js';
import type { Profile, ProfileStore } from '../config/profiles.js';
import type { FeatureId } from '../domain/features.js';
import { AuthError, ExitCode, UsageError } from '../errors.js';
import { Output } from '../io/output.js';
import type { Prompter } from '../io/prompter.js';
import { canPrompt, type IO } from '../io/streams.js';
import { escapeControl } from '../io/text.js';
import { colorEnabled } from '../io/theme.js';
import type { Capabilities } from '../services/capabilities.js';

export interface Globals {
  profile?: string;
  url?: string;
  json: boolean;
  color: boolean;
  yes: boolean;
  input: boolean;
  debug: boolean;
  /** Tables show every column in full, whatever the terminal's width. */
  wide?: boolean;
}

export const DEFAULT_URL = 'https://backend.noxus.ai';

export interface Target {
  profileName: string;
  profile?: Profile;
  url: string;
  credential?: ResolvedCredential;
}

export class Context {
  globals: Globals = { json: false, color: true, yes: false, input: true, debug: false };
  private outCache?: Output;
  private profilesCache?: Promise<ProfileStore>;
  private targetCache?: Promise<Target>;
  private clientCache?: Promise<ApiClient>;
  private prompterCache?: Promise<Prompter>;
  private capsCache?: Promise<Capabilities>;
  private capsRefreshed = false;
  private capsLoaded?: { caps: Capabilities; forget: () => void };
  /** Bulk commands listen to retries (429s) to slow down. */
  retryListeners: Array<(info: { status?: number; delayMs: number }) => void> = [];
  /**
   * The exit code of a run that ends normally: 0, or an outcome a script tests for that is not an
   * error (access plan --detailed-exitcode: 9, changes pending). Errors never set it.
   */
  exitCode: number = ExitCode.OK;
  /** Tests replace the terminal prompter with a scripted one. */
  prompterFactory?: () => Prompter;

  /**
   * The HTTP dispatcher every client of this context uses: undici's MockAgent in tests, a real
   * proxy-aware agent otherwise (none given: the client builds EnvHttpProxyAgent).
   */
  readonly dispatcher?: Dispatcher;

  constructor(
    readonly io: IO,
    readonly version: string,
    opts: {
      dispatcher?: Dispatcher;
      /** What the server supports, given instead of discovered (in-process command tests). */
      capabilities?: Capabilities;
    } = {},
  ) {
    this.dispatcher = opts.dispatcher;
    if (opts.capabilities) this.capsCache = Promise.resolve(opts.capabilities);
  }

  get env() {
    return this.io.env;
  }

  get out(): Output {
    this.outCache ??= new Output(this.io, {
      json: this.globals.json,
      color: colorEnabled(this.io, this.globals.color),
      wide: this.globals.wide,
    });
    return this.outCache;
  }

  canPrompt(): boolean {
    return canPrompt(this.io, !this.globals.input);
  }

  prompter(): Promise<Prompter> {
    this.prompterCache ??= this.prompterFactory
      ? Promise.resolve(this.prompterFactory())
      : import('../io/prompter.js').then((m) => m.inquirerPrompter(this.io));
    return this.prompterCache;
  }

  profiles(): Promise<ProfileStore> {
    this.profilesCache ??= import('../config/profiles.js').then((m) => m.openProfiles(this.io.env));
    return this.profilesCache;
  }

  /** Base URL: --url > NOXUS_BACKEND_URL > profile > the public backend. Key: env > keychain > file. */
  target(): Promise<Target> {
    this.targetCache ??= (async () => {
      const store = await this.profiles();
      const profileName = store.resolveName(this.globals.profile, this.io.env);
      const profile = store.get(profileName);
      const url = this.globals.url ?? this.io.env.NOXUS_BACKEND_URL ?? profile?.url ?? DEFAULT_URL;
      const { resolveCredential } = await import('../config/credentials.js');
      const credential = await resolveCredential({ profileName, profile, env: this.io.env });
      if (credential && credential.source !== 'env' && profile) {
        const { boundOrigin, originOf } = await import('../config/profiles.js');
        const bound = boundOrigin(profile);
        const asked = originOf(url);
        // An unparsable URL is refused by the client before anything is sent.
        if (asked !== undefined && asked !== bound) {
          const from = this.globals.url !== undefined ? '--url' : 'NOXUS_BACKEND_URL';
          throw new AuthError(
            `the key stored for profile ${profileName} belongs to ${bound ?? profile.url}; it is not sent to ${asked} (from ${from})`,
            {
              hint: `to use ${url}: pass its key in NOXUS_API_KEY, or log in for it with another profile: noxus auth login --profile NAME --url ${url}`,
            },
          );
        }
      }
      for (const w of credential?.warnings ?? []) this.out.warn(w);
      return { profileName, profile, url, credential };
    })();
    return this.targetCache;
  }

  client(): Promise<ApiClient> {
    this.clientCache ??= (async () => {
      const t = await this.target();
      if (!t.credential) {
        throw new AuthError(`not logged in (profile ${t.profileName})`, {
          hint: `run: noxus auth login --profile ${t.profileName}, or set NOXUS_API_KEY; to try the tool locally: noxus sandbox start --detach --seed demo`,
        });
      }
      return this.clientFor(t.url, t.credential.key, t.profileName, t.credential.source);
    })();
    return this.clientCache;
  }

  /**
   * What the server supports, discovered once per run (cache in the config dir per profile and
   * server, then /openapi.json, then probes). Commands call require() before their first write.
   */
  capabilities(opts: { refresh?: boolean } = {}): Promise<Capabilities> {
    if (opts.refresh) this.capsCache = undefined;
    this.capsCache ??= (async () => {
      const [t, client, svc, { configDir }, { join }] = await Promise.all([
        this.target(),
        this.client(),
        import('../services/capabilities.js'),
        import('../config/paths.js'),
        import('node:path'),
      ]);
      const cacheFile = join(configDir(this.io.env), 'capabilities.json');
      const caps = await svc.discoverCapabilities({
        client,
        server: t.url,
        profileName: t.profileName,
        apiKey: t.credential?.key ?? '',
        cacheFile,
        now: () => this.io.now().getTime(),
        refresh: opts.refresh,
      });
      this.capsLoaded = {
        caps,
        forget: () => svc.forgetCapabilities(cacheFile, t.profileName, t.url),
      };
      return caps;
    })();
    return this.capsCache;
  }

  /**
   * A route answered "not available" although the cached capabilities said the feature was there:
   * the server changed. Forget the cache entry (synchronously: the error may end the run) and
   * rediscover once if this run asks again.
   */
  private staleCapabilities(feature: FeatureId | undefined): void {
    const loaded = this.capsLoaded;
    if (this.capsRefreshed || !loaded || feature === undefined) return;
    if (loaded.caps.source !== 'cache' || !loaded.caps.has(feature)) return;
    this.capsRefreshed = true;
    loaded.forget();
    this.capsCache = undefined;
    this.out.warn(
      `the server no longer has what its cached capabilities said (${feature}); they will be discovered again`,
    );
  }

  /** NOXUS_TIMEOUT / NOXUS_DEADLINE: seconds (fractions allowed) for the per-attempt timeout and the overall deadline. */
  private seconds(name: string): number | undefined {
    const v = this.io.env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new UsageError(`${name} must be a positive number of seconds, got "${v}"`);
    return Math.round(n * 1000);
  }

  /** A client for an explicit URL and key (login verification, sandbox act-as). */
  async clientFor(url: string, key: string, profileName?: string, keySource?: string): Promise<ApiClient> {
    const { ApiClient } = await import('../api/client.js');
    return new ApiClient({
      baseUrl: url,
      apiKey: key,
      timeoutMs: this.seconds('NOXUS_TIMEOUT'),
      deadlineMs: this.seconds('NOXUS_DEADLINE'),
      profileName,
      keySource,
      userAgent: `noxus-cli/${this.version}`,
      // The trace carries server text (bodies, headers): escape it like any other output.
      trace: this.globals.debug
        ? (line) => this.io.stderr.write(`debug: ${escapeControl(line)}\n`)
        : undefined,
      onRetry: (info) => {
        for (const l of this.retryListeners) l(info);
      },
      dispatcher: this.dispatcher,
      onNotAvailable: (feature) => this.staleCapabilities(feature),
    });
  }
}
