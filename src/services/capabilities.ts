// What a server supports, learnt once per run (and cached per profile and server) before any write:
// from the server's OpenAPI document when it serves one (FastAPI does by default), otherwise by cheap
// GETs, one per family of extension endpoints. Commands ask `require(feature)` before their first
// write so that a missing feature is named up front (exit 8) instead of failing half-way.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApiClient } from '../api/client.js';
import {
  FEATURES,
  type Feature,
  type FeatureId,
  feature,
  notAvailableMessage,
  routeKey,
  splitRoute,
} from '../domain/features.js';
import { AuthError, NotAvailableError } from '../errors.js';

export type CapabilitySource = 'openapi' | 'probe' | 'cache';

export interface FeatureState {
  available: boolean;
  /** Why: "listed in /openapi.json", "GET /v1/admin/permissions answered 404 Not Found", … */
  reason: string;
}

/** What the calling key is, from GET /v1/admin/me (absent when the server would not say). */
export interface KeyInfo {
  id?: string;
  name?: string;
  kind?: string;
  tenant_admin?: boolean;
  holder?: { id: string; email?: string } | null;
}

export class Capabilities {
  constructor(
    readonly source: CapabilitySource,
    readonly server: string,
    private readonly states: ReadonlyMap<FeatureId, FeatureState>,
    readonly extra: {
      fingerprint?: string;
      discoveredAt?: string;
      key?: KeyInfo;
      via?: 'openapi' | 'probe';
    } = {},
  ) {}

  has(id: FeatureId): boolean {
    return this.states.get(id)?.available ?? feature(id).public;
  }

  /** Why a feature is missing (or, for an available one, how we know). */
  reason(id: FeatureId): string | undefined {
    return this.states.get(id)?.reason;
  }

  /** Throws exit 8 naming the feature, with the console location when the web console can do it. */
  require(id: FeatureId): void {
    if (this.has(id)) return;
    throw notAvailable(id, this);
  }

  missing(ids: FeatureId[]): FeatureId[] {
    return ids.filter((id) => !this.has(id));
  }

  /** Every feature, in catalogue order. */
  all(): Array<{ id: FeatureId; feature: Feature; state: FeatureState }> {
    return FEATURES.map((f) => ({
      id: f.id as FeatureId,
      feature: f as Feature,
      state: this.states.get(f.id as FeatureId) ?? { available: f.public, reason: 'not checked' },
    }));
  }
}

export function notAvailable(id: FeatureId, caps?: Capabilities): NotAvailableError {
  const f = feature(id);
  const why = caps?.reason(id);
  const hints: string[] = [];
  if (f.console) hints.push(`in the Noxus web console: ${f.console}`);
  if (caps?.extra.via === 'probe' && caps.extra.key?.tenant_admin === false && !f.public) {
    hints.push(
      'this was probed with a key without tenant admin, which the server may refuse organization-level reads: log in with a tenant-admin key and run noxus doctor',
    );
  }
  hints.push('noxus doctor lists what this server supports');
  return new NotAvailableError(notAvailableMessage(id) + (why ? ` (${why})` : ''), {
    hint: hints.join('\n'),
    data: { feature: id },
  });
}

// ---------------------------------------------------------------------------------------------
// The commands and the features they need (the README's "real Noxus" table is generated from it).

export interface CommandNeeds {
  /** Without these the command cannot do its job: exit 8 before the first write. */
  needs: FeatureId[];
  /** Used when present (richer output, validation), never blocking. */
  optional?: FeatureId[];
  /** Walks the operator through the web console where the API stops. */
  guided?: boolean;
}

const KEY_EXTRAS: FeatureId[] = ['keys.restrict', 'keys.owner', 'keys.expiry', 'permissions.catalogue'];
const REVIEW_OPTIONAL: FeatureId[] = ['members.list', 'keys.list', 'users.access', 'activity'];

export const COMMANDS: Record<string, CommandNeeds> = {
  'auth login': { needs: ['identity'] },
  'auth status': { needs: [], optional: ['identity'] },
  'auth logout': { needs: [] },
  'auth token': { needs: [] },
  'profiles list': { needs: [] },
  'profiles use': { needs: [] },
  'profiles remove': { needs: [] },
  me: { needs: ['identity'] },
  doctor: { needs: [], optional: ['identity'] },
  'users list': { needs: ['users.list'], optional: ['members.list'] },
  'users get': { needs: ['users.list'], optional: ['users.get', 'users.access'] },
  'users add': {
    needs: ['users.invite'],
    optional: ['members.manage', 'members.terms', 'workspaces.list', 'roles.list'],
    guided: true,
  },
  'users update': { needs: ['users.update'] },
  'users suspend': { needs: ['users.suspend'] },
  'users reactivate': { needs: ['users.suspend'] },
  'users resend-invite': { needs: ['users.resend-invitation'] },
  'users onboarding': { needs: ['users.onboarding'] },
  'users remove': { needs: ['users.remove'] },
  'invitations list': { needs: ['invitations.list'] },
  'invitations cancel': { needs: ['invitations.list', 'invitations.cancel'] },
  'ws list': { needs: ['workspaces.list'] },
  'ws get': { needs: ['workspaces.list'], optional: ['workspaces.get', 'members.list'] },
  'ws create': { needs: ['workspaces.create'] },
  'ws delete': { needs: ['workspaces.list', 'workspaces.delete'] },
  'ws rename': { needs: ['workspaces.list', 'workspaces.update'] },
  'ws members': { needs: ['members.list'] },
  'ws add-member': { needs: ['members.manage'], optional: ['members.list', 'members.terms'], guided: true },
  'ws set-role': { needs: ['members.manage'], optional: ['members.list', 'members.terms'] },
  'ws remove-member': { needs: ['members.manage'], optional: ['members.list'] },
  'ws apply': {
    needs: ['workspaces.list', 'members.list', 'members.manage'],
    optional: ['workspaces.create'],
  },
  'roles list': { needs: ['roles.list'] },
  'roles get': { needs: ['roles.list'] },
  'roles create': { needs: ['roles.create'], optional: ['permissions.catalogue'] },
  'roles delete': { needs: ['roles.list', 'roles.delete'] },
  'roles update': { needs: ['roles.list', 'roles.update'], optional: ['permissions.catalogue'] },
  'permissions list': { needs: ['permissions.catalogue'] },
  'keys create': { needs: ['keys.create'], optional: KEY_EXTRAS },
  'keys list': { needs: ['keys.list'] },
  'keys explain': { needs: ['keys.list'], optional: ['activity'] },
  'keys revoke': { needs: ['keys.revoke', 'keys.list'] },
  'keys rotate': { needs: ['keys.rotate', 'keys.list'] },
  'keys system create': {
    needs: ['system-keys.create'],
    optional: ['permissions.catalogue', 'system-keys.expiry'],
  },
  'keys system list': { needs: ['system-keys.list'] },
  'keys system revoke': { needs: ['system-keys.delete', 'system-keys.list'] },
  'keys system rotate': {
    needs: ['system-keys.list', 'system-keys.create', 'system-keys.delete'],
    optional: ['system-keys.rotate'],
  },
  'service-accounts create': {
    needs: ['service-accounts', 'keys.owner', 'members.manage'],
    optional: ['keys.restrict', 'keys.expiry', 'permissions.catalogue'],
  },
  'service-accounts list': { needs: ['service-accounts'] },
  'service-accounts delete': { needs: ['service-accounts', 'users.remove'] },
  offboard: {
    needs: ['users.list'],
    optional: [
      'users.remove',
      'users.suspend',
      'users.access',
      'keys.list',
      'keys.revoke',
      'system-keys.list',
      'system-keys.delete',
      'transfers',
      'members.list',
      'members.manage',
    ],
    guided: true,
  },
  'review export': {
    needs: ['identity', 'users.list', 'workspaces.list', 'roles.list', 'system-keys.list'],
    optional: REVIEW_OPTIONAL,
  },
  'review diff': { needs: [] },
  'review verify': { needs: [] },
  'review check': {
    needs: [],
    optional: [
      'identity',
      'users.list',
      'workspaces.list',
      'roles.list',
      'system-keys.list',
      ...REVIEW_OPTIONAL,
    ],
  },
  'access export': {
    needs: ['identity', 'users.list', 'workspaces.list', 'roles.list'],
    optional: ['members.list', 'members.terms', 'keys.list', 'service-accounts'],
  },
  'access plan': {
    needs: ['identity', 'users.list', 'workspaces.list', 'roles.list'],
    optional: ['members.list', 'keys.list', 'permissions.catalogue', 'service-accounts'],
  },
  // Each item of the plan names the feature it needs; the plan decided what this server can do.
  'access apply': {
    needs: [],
    optional: [
      'roles.create',
      'roles.update',
      'roles.delete',
      'workspaces.create',
      'users.invite',
      'users.update',
      'users.suspend',
      'users.remove',
      'service-accounts',
      'members.manage',
      'members.terms',
      'keys.create',
      'keys.owner',
      'keys.revoke',
      'keys.rotate',
      'users.access',
      'transfers',
    ],
  },
  activity: { needs: ['activity'] },
  completion: { needs: [] },
  __complete: { needs: [] },
  'sandbox start': { needs: [] },
  'sandbox stop': { needs: [] },
  'sandbox status': { needs: [] },
  'sandbox act-as': { needs: ['sandbox.act-as'] },
};

/** works / guided / not available on a server that has only the public API. */
export function publicVerdict(command: string): 'works' | 'guided' | 'not available' {
  const c = COMMANDS[command];
  if (!c) throw new Error(`unknown command ${command}`);
  if (c.needs.every((id) => feature(id).public)) return 'works';
  return c.guided ? 'guided' : 'not available';
}

// ---------------------------------------------------------------------------------------------
// Discovery from /openapi.json.

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function resolveRef(doc: Json, v: unknown, depth = 0): Json | undefined {
  if (!isObj(v) || depth > 8) return undefined;
  const ref = v.$ref;
  if (typeof ref !== 'string') return v;
  if (!ref.startsWith('#/')) return undefined;
  let cur: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    cur = isObj(cur) ? cur[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return resolveRef(doc, cur, depth + 1);
}

/** Property names a request-body schema accepts, through $ref, allOf/anyOf/oneOf. */
function schemaProperties(doc: Json, schema: unknown, depth = 0): Set<string> {
  const out = new Set<string>();
  const s = resolveRef(doc, schema);
  if (!s || depth > 8) return out;
  if (isObj(s.properties)) for (const k of Object.keys(s.properties)) out.add(k);
  for (const comb of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[comb];
    if (Array.isArray(list))
      for (const sub of list) for (const k of schemaProperties(doc, sub, depth + 1)) out.add(k);
  }
  return out;
}

/** Routes (normal form, see routeKey) with the request-body properties of each. */
export function parseOpenApi(doc: unknown): Map<string, Set<string>> | undefined {
  if (!isObj(doc) || !isObj(doc.paths)) return undefined;
  const routes = new Map<string, Set<string>>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!isObj(item) || !path.startsWith('/')) continue;
    for (const m of METHODS) {
      const op = item[m];
      if (!isObj(op)) continue;
      const body = resolveRef(doc, op.requestBody);
      const content = body && isObj(body.content) ? body.content : {};
      const json = Object.entries(content).find(([type]) => type.includes('json'))?.[1];
      routes.set(routeKey(m, path), schemaProperties(doc, isObj(json) ? json.schema : undefined));
    }
  }
  return routes;
}

export function statesFromOpenApi(routes: Map<string, Set<string>>): Map<FeatureId, FeatureState> {
  const states = new Map<FeatureId, FeatureState>();
  for (const f of FEATURES as readonly Feature[]) {
    const id = f.id as FeatureId;
    const absent = f.routes.filter((r) => {
      const { method, path } = splitRoute(r);
      return !routes.has(routeKey(method, path));
    });
    if (absent.length > 0) {
      states.set(id, { available: false, reason: `/openapi.json has no ${absent.join(', ')}` });
      continue;
    }
    if (f.fields) {
      const { method, path } = splitRoute(f.fields.route);
      const props = routes.get(routeKey(method, path)) ?? new Set();
      const lacking = f.fields.names.filter((n) => !props.has(n));
      if (lacking.length > 0) {
        states.set(id, {
          available: false,
          reason: `${f.fields.route} takes no ${lacking.join(', ')} in /openapi.json`,
        });
        continue;
      }
    }
    states.set(id, { available: true, reason: 'listed in /openapi.json' });
  }
  return states;
}

export function openApiFingerprint(doc: Json): string {
  const info = isObj(doc.info) ? doc.info : {};
  const version = typeof info.version === 'string' ? info.version : '';
  const paths = JSON.stringify(Object.keys(isObj(doc.paths) ? doc.paths : {}).sort());
  return `${version ? `${version}:` : ''}${createHash('sha256').update(paths).digest('hex').slice(0, 16)}`;
}

// ---------------------------------------------------------------------------------------------
// Discovery by probing: one GET per family of extension endpoints.

/** What a probe's answer says about the route: present, absent, or refused to this key. */
type ProbeVerdict = { present: boolean; reason: string };

function describeStatus(status: number, detail: string | undefined): string {
  return detail ? `${status} ${detail}` : `${status}`;
}

export function classifyProbe(
  what: string,
  status: number,
  contentType: string | undefined,
  body: string,
): ProbeVerdict {
  let detail: string | undefined;
  let fastapi = false;
  if (contentType?.includes('json')) {
    try {
      const j = JSON.parse(body) as unknown;
      if (isObj(j) && j.detail !== undefined) {
        fastapi = true;
        detail = typeof j.detail === 'string' ? j.detail : undefined;
      }
    } catch {
      // a garbage body counts as "not FastAPI"
    }
  }
  if (status >= 200 && status < 300) return { present: true, reason: `${what} answered ${status}` };
  if (status === 405) return { present: false, reason: `${what} answered 405 Method Not Allowed` };
  if (status === 404) {
    // FastAPI's unknown route is exactly {"detail":"Not Found"}; a known route with a missing id says more.
    if (fastapi && detail !== undefined && detail !== 'Not Found')
      return { present: true, reason: `${what} answered 404 (${detail})` };
    return {
      present: false,
      reason: `${what} answered ${fastapi ? describeStatus(404, detail) : `404 ${contentType?.includes('html') ? 'with an HTML page' : 'without a FastAPI body'}`}`,
    };
  }
  if (status === 403) {
    if (fastapi) return { present: true, reason: `${what} answered 403 to this key (${detail ?? 'denied'})` };
    return {
      present: false,
      reason: `${what} answered 403 without a FastAPI body (a gateway refusing unknown routes)`,
    };
  }
  if (status === 422 || status === 400) return { present: true, reason: `${what} answered ${status}` };
  return { present: false, reason: `${what} answered ${status}` };
}

interface RawGet {
  status: number;
  type?: string;
  text: string;
}

/** A GET that never throws for an HTTP status (only 401, retries exhausted and transport failures do). */
async function rawGet(client: ApiClient, path: string): Promise<RawGet> {
  const r = await client.request<unknown>('GET', path, { raw: true });
  return { status: r.status, type: headerOf(r.headers, 'content-type'), text: r.text ?? '' };
}

function headerOf(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function asList(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  if (isObj(data) && Array.isArray(data.items)) return data.items;
  return [];
}

function firstId(text: string): string | undefined {
  try {
    const first = asList(JSON.parse(text))[0];
    return isObj(first) && typeof first.id === 'string' ? first.id : undefined;
  } catch {
    return undefined;
  }
}

/** Families: the probed route and the features it stands for (write routes of a family come with it). */
const FAMILIES: Array<{ probe: (ids: { user?: string; group?: string }) => string; features: FeatureId[] }> =
  [
    { probe: () => '/v1/admin/permissions', features: ['permissions.catalogue'] },
    {
      probe: () => '/v1/admin/api-keys?size=1',
      features: [
        'keys.list',
        'keys.revoke',
        'keys.rotate',
        'keys.restrict',
        'keys.owner',
        'keys.expiry',
        'system-keys.rotate',
        'system-keys.expiry',
      ],
    },
    { probe: () => '/v1/admin/activity?size=1', features: ['activity'] },
    {
      probe: (ids) =>
        `/v1/admin/users/${encodeURIComponent(ids.user ?? '00000000-0000-0000-0000-000000000000')}/access`,
      features: [
        'users.access',
        'users.get',
        'users.invite',
        'service-accounts',
        'users.update',
        'users.suspend',
        'users.remove',
        'users.resend-invitation',
        'users.onboarding',
        'transfers',
        'invitations.accept',
        // Invitation lists and role changes come with the extended user routes (one probe fewer).
        'invitations.list',
        'invitations.cancel',
        'roles.update',
        // POST-only and sandbox-only: it comes with the sandbox's extended user routes.
        'sandbox.act-as',
      ],
    },
    {
      probe: (ids) =>
        `/v1/admin/groups/${encodeURIComponent(ids.group ?? '00000000-0000-0000-0000-000000000000')}/members?size=1`,
      features: ['members.list', 'members.manage', 'members.terms', 'workspaces.get', 'workspaces.update'],
    },
  ];

export async function probeStates(
  client: ApiClient,
  key: KeyInfo | undefined,
): Promise<Map<FeatureId, FeatureState>> {
  const states = new Map<FeatureId, FeatureState>();
  for (const f of FEATURES as readonly Feature[]) {
    if (f.public) states.set(f.id as FeatureId, { available: true, reason: 'public API (assumed)' });
  }
  const [users, groups] = await Promise.all([
    key?.holder?.id ? undefined : rawGet(client, '/v1/admin/users?size=1'),
    rawGet(client, '/v1/admin/groups'),
  ]);
  const ids = {
    user: key?.holder?.id ?? (users && users.status === 200 ? firstId(users.text) : undefined),
    group: groups.status === 200 ? firstId(groups.text) : undefined,
  };
  await Promise.all(
    FAMILIES.map(async (fam) => {
      const path = fam.probe(ids);
      const r = await rawGet(client, path);
      const v = classifyProbe(`GET ${path.split('?')[0]}`, r.status, r.type, r.text);
      for (const id of fam.features) states.set(id, { available: v.present, reason: v.reason });
    }),
  );
  return states;
}

// ---------------------------------------------------------------------------------------------
// The cache: one file in the config dir, entries per profile and server.

export const CACHE_TTL_MS = 24 * 60 * 60 * 1000;

interface CacheEntry {
  at: number;
  via: 'openapi' | 'probe';
  keyHash: string;
  fingerprint?: string;
  key?: KeyInfo;
  states: Record<string, FeatureState>;
}

export interface DiscoverOptions {
  client: ApiClient;
  server: string;
  profileName: string;
  apiKey: string;
  /** The cache file (capabilities.json in the config dir); none: no cache. */
  cacheFile?: string;
  now?: () => number;
  ttlMs?: number;
  /** Ignore the cache (after a "not available" the cache did not predict). */
  refresh?: boolean;
}

const entryKey = (profile: string, server: string) => `${profile} ${server.replace(/\/+$/, '')}`;
const hashKey = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 16);

function readCache(file: string): Record<string, CacheEntry> {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return isObj(j) ? (j as Record<string, CacheEntry>) : {};
  } catch {
    return {};
  }
}

function writeCache(file: string, data: Record<string, CacheEntry>): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs a rediscovery next run.
  }
}

export function forgetCapabilities(cacheFile: string, profileName: string, server: string): void {
  const data = readCache(cacheFile);
  const k = entryKey(profileName, server);
  if (!(k in data)) return;
  delete data[k];
  writeCache(cacheFile, data);
}

function validEntry(e: unknown): e is CacheEntry {
  return isObj(e) && typeof e.at === 'number' && typeof e.keyHash === 'string' && isObj(e.states);
}

async function readKey(client: ApiClient): Promise<KeyInfo | undefined> {
  try {
    const me = await client.get<unknown>('/v1/admin/me');
    if (!isObj(me)) return undefined;
    const holder = isObj(me.holder) && typeof me.holder.id === 'string' ? me.holder : undefined;
    return {
      id: typeof me.id === 'string' ? me.id : undefined,
      name: typeof me.name === 'string' ? me.name : undefined,
      kind: typeof me.kind === 'string' ? me.kind : undefined,
      tenant_admin: typeof me.tenant_admin === 'boolean' ? me.tenant_admin : undefined,
      holder: holder
        ? { id: holder.id as string, email: typeof holder.email === 'string' ? holder.email : undefined }
        : me.holder === null
          ? null
          : undefined,
    };
  } catch (e) {
    if (e instanceof AuthError) throw e;
    return undefined;
  }
}

async function fetchOpenApi(client: ApiClient): Promise<Json | undefined> {
  // A missing, hidden (403), HTML or garbage document all mean the same thing: probe instead.
  const r = await rawGet(client, '/openapi.json');
  if (r.status !== 200) return undefined;
  try {
    const doc = JSON.parse(r.text) as unknown;
    return isObj(doc) && isObj(doc.paths) ? doc : undefined;
  } catch {
    return undefined;
  }
}

export async function discoverCapabilities(o: DiscoverOptions): Promise<Capabilities> {
  const now = o.now ?? Date.now;
  const k = entryKey(o.profileName, o.server);
  const keyHash = hashKey(o.apiKey);
  if (o.cacheFile && !o.refresh) {
    const e = readCache(o.cacheFile)[k];
    if (validEntry(e) && e.keyHash === keyHash && now() - e.at < (o.ttlMs ?? CACHE_TTL_MS) && now() >= e.at) {
      return new Capabilities(
        'cache',
        o.server,
        new Map(Object.entries(e.states)) as Map<FeatureId, FeatureState>,
        {
          fingerprint: e.fingerprint,
          discoveredAt: new Date(e.at).toISOString(),
          key: e.key,
          via: e.via,
        },
      );
    }
  }
  const [doc, key] = await Promise.all([fetchOpenApi(o.client), readKey(o.client)]);
  let caps: Capabilities;
  const at = now();
  if (doc) {
    const routes = parseOpenApi(doc) ?? new Map();
    caps = new Capabilities('openapi', o.server, statesFromOpenApi(routes), {
      fingerprint: openApiFingerprint(doc),
      discoveredAt: new Date(at).toISOString(),
      key,
      via: 'openapi',
    });
  } else {
    const states = await probeStates(o.client, key);
    caps = new Capabilities('probe', o.server, states, {
      discoveredAt: new Date(at).toISOString(),
      key,
      via: 'probe',
    });
  }
  if (o.cacheFile) {
    const data = readCache(o.cacheFile);
    data[k] = {
      at,
      via: caps.extra.via as 'openapi' | 'probe',
      keyHash,
      fingerprint: caps.extra.fingerprint,
      key,
      states: Object.fromEntries(caps.all().map((x) => [x.id, x.state])),
    };
    writeCache(o.cacheFile, data);
  }
  return caps;
}
