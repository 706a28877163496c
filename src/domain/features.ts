// The feature catalogue: what an admin can do, the routes each feature needs, and whether the public
// Noxus API confirms them (docs/api.md). One home for three users of it: the sandbox's public-only
// mode serves exactly the public routes, the CLI's capability discovery decides per feature what a
// server supports, and the README's "works on real Noxus" table is generated from it.

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `METHOD /path/{param}`; parameter names do not matter when matching (see routeKey). */
export type RouteSpec = `${Method} /${string}`;

export interface Feature {
  id: string;
  /** Noun phrase for messages: "<title> <is|are> not available on this server". */
  title: string;
  plural: boolean;
  /** Every route the feature needs. */
  routes: readonly RouteSpec[];
  /** Optional request-body fields the feature adds to a route (extension fields on a public route). */
  fields?: { route: RouteSpec; names: readonly string[] };
  /** Confirmed by the public API (the SDK calls it). */
  public: boolean;
  /** Where an operator does it by hand in the Noxus web console, when the API cannot. */
  console?: string;
}

const F = <const T extends string>(id: T, f: Omit<Feature, 'id'>) => ({ ...f, id }) as Feature & { id: T };

const KEYS_CREATE = 'POST /v1/admin/groups/{group_id}/api-keys' as const;
const USERS_CREATE = 'POST /v1/admin/users' as const;
const MEMBERS_SET = 'PUT /v1/admin/groups/{group_id}/members/{user_id}' as const;

export const FEATURES = [
  // Confirmed public endpoints.
  F('identity', { title: 'key identity', plural: false, routes: ['GET /v1/admin/me'], public: true }),
  F('workspaces.list', {
    title: 'listing workspaces',
    plural: false,
    routes: ['GET /v1/admin/groups'],
    public: true,
  }),
  F('workspaces.create', {
    title: 'creating workspaces',
    plural: false,
    routes: ['POST /v1/admin/groups'],
    public: true,
  }),
  F('workspaces.delete', {
    title: 'deleting workspaces',
    plural: false,
    routes: ['DELETE /v1/admin/groups/{group_id}'],
    public: true,
  }),
  F('keys.create', { title: 'workspace API keys', plural: true, routes: [KEYS_CREATE], public: true }),
  F('system-keys.list', {
    title: 'listing system keys',
    plural: false,
    routes: ['GET /v1/admin/system-keys'],
    public: true,
  }),
  F('system-keys.create', {
    title: 'creating system keys',
    plural: false,
    routes: ['POST /v1/admin/system-keys'],
    public: true,
  }),
  F('system-keys.delete', {
    title: 'revoking system keys',
    plural: false,
    routes: ['DELETE /v1/admin/system-keys/{key_id}'],
    public: true,
  }),
  F('users.list', { title: 'listing users', plural: false, routes: ['GET /v1/admin/users'], public: true }),
  F('roles.list', { title: 'listing roles', plural: false, routes: ['GET /v1/admin/roles'], public: true }),
  F('roles.create', {
    title: 'creating roles',
    plural: false,
    routes: ['POST /v1/admin/roles'],
    public: true,
  }),
  F('roles.delete', {
    title: 'deleting roles',
    plural: false,
    routes: ['DELETE /v1/admin/roles/{role_id}'],
    public: true,
  }),
  F('resources', {
    title: 'reading workspace resources',
    plural: false,
    routes: ['GET /v1/workflows', 'GET /v1/agents', 'GET /v1/knowledge-bases'],
    public: true,
  }),

  // Extensions: Noxus has them privately (its console uses them); the sandbox implements them.
  F('permissions.catalogue', {
    title: 'the permission catalogue',
    plural: false,
    routes: ['GET /v1/admin/permissions'],
    public: false,
  }),
  F('users.get', {
    title: 'reading one user',
    plural: false,
    routes: ['GET /v1/admin/users/{user_id}'],
    public: false,
  }),
  F('users.invite', {
    title: 'adding users with an email invitation',
    plural: false,
    routes: [USERS_CREATE],
    public: false,
    console: 'Settings → Users → Add user',
  }),
  F('service-accounts', {
    title: 'service accounts',
    plural: true,
    routes: [USERS_CREATE],
    fields: { route: USERS_CREATE, names: ['kind'] },
    public: false,
  }),
  F('users.update', {
    title: "changing a user's profile or organization role",
    plural: false,
    routes: ['PATCH /v1/admin/users/{user_id}'],
    public: false,
    console: 'Settings → Users → (the user) → Edit',
  }),
  F('users.suspend', {
    title: 'suspending and reactivating users',
    plural: false,
    routes: ['POST /v1/admin/users/{user_id}/suspend', 'POST /v1/admin/users/{user_id}/reactivate'],
    public: false,
  }),
  F('users.remove', {
    title: 'removing users from the organization',
    plural: false,
    routes: ['DELETE /v1/admin/users/{user_id}'],
    public: false,
    console: 'Settings → Users → (the user) → Remove',
  }),
  F('users.resend-invitation', {
    title: 'resending invitations',
    plural: false,
    routes: ['POST /v1/admin/users/{user_id}/invitation'],
    public: false,
  }),
  F('users.access', {
    title: 'per-user access reports',
    plural: true,
    routes: ['GET /v1/admin/users/{user_id}/access'],
    public: false,
  }),
  F('users.onboarding', {
    title: 'onboarding status',
    plural: false,
    routes: ['GET /v1/admin/users/{user_id}/onboarding', 'POST /v1/admin/users/{user_id}/onboarding/tour'],
    public: false,
  }),
  F('workspaces.get', {
    title: 'reading one workspace',
    plural: false,
    routes: ['GET /v1/admin/groups/{group_id}'],
    public: false,
  }),
  F('workspaces.update', {
    title: 'renaming workspaces',
    plural: false,
    routes: ['PATCH /v1/admin/groups/{group_id}'],
    public: false,
  }),
  F('members.list', {
    title: 'workspace member lists',
    plural: true,
    routes: ['GET /v1/admin/groups/{group_id}/members'],
    public: false,
  }),
  F('members.manage', {
    title: 'adding, changing and removing workspace members',
    plural: false,
    routes: [MEMBERS_SET, 'DELETE /v1/admin/groups/{group_id}/members/{user_id}'],
    public: false,
    console: 'Workspace settings → Users → Add users',
  }),
  F('members.terms', {
    title: 'reasons and expiry on workspace grants',
    plural: true,
    routes: [MEMBERS_SET],
    fields: { route: MEMBERS_SET, names: ['reason', 'expires_at'] },
    public: false,
  }),
  F('keys.list', {
    title: 'listing workspace keys',
    plural: false,
    routes: ['GET /v1/admin/api-keys', 'GET /v1/admin/api-keys/{key_id}'],
    public: false,
    console: 'Workspace Control → API keys',
  }),
  F('keys.restrict', {
    title: 'restricted keys',
    plural: true,
    routes: [KEYS_CREATE],
    fields: { route: KEYS_CREATE, names: ['permissions'] },
    public: false,
    console: 'Workspace Control → API keys → Restrict permissions',
  }),
  F('keys.owner', {
    title: 'keys owned by service accounts',
    plural: true,
    routes: [KEYS_CREATE],
    fields: { route: KEYS_CREATE, names: ['owner_id'] },
    public: false,
  }),
  F('keys.expiry', {
    title: 'key expiry',
    plural: false,
    routes: [KEYS_CREATE],
    fields: { route: KEYS_CREATE, names: ['expires_at'] },
    public: false,
  }),
  F('keys.revoke', {
    title: 'revoking workspace keys',
    plural: false,
    routes: ['DELETE /v1/admin/api-keys/{key_id}'],
    public: false,
    console: 'Workspace Control → API keys → Revoke',
  }),
  F('keys.rotate', {
    title: 'rotating workspace keys',
    plural: false,
    routes: ['POST /v1/admin/api-keys/{key_id}/rotate'],
    public: false,
  }),
  F('system-keys.expiry', {
    title: 'system key expiry',
    plural: false,
    routes: ['POST /v1/admin/system-keys'],
    fields: { route: 'POST /v1/admin/system-keys', names: ['expires_at'] },
    public: false,
  }),
  F('system-keys.rotate', {
    title: 'rotating system keys in one call',
    plural: false,
    routes: ['POST /v1/admin/system-keys/{key_id}/rotate'],
    public: false,
  }),
  F('transfers', {
    title: 'transferring resource ownership',
    plural: false,
    routes: ['POST /v1/admin/transfers'],
    public: false,
  }),
  F('activity', {
    title: 'the activity log',
    plural: false,
    routes: ['GET /v1/admin/activity'],
    public: false,
  }),
  F('invitations.accept', {
    title: 'accepting invitations through the API',
    plural: false,
    routes: ['GET /v1/invitations/{token}', 'POST /v1/invitations/{token}/accept'],
    public: false,
  }),
  F('invitations.list', {
    title: 'listing invitations',
    plural: false,
    routes: ['GET /v1/admin/invitations'],
    public: false,
  }),
  F('invitations.cancel', {
    title: 'cancelling invitations',
    plural: false,
    routes: ['DELETE /v1/admin/invitations/{invitation_id}'],
    public: false,
  }),
  F('roles.update', {
    title: 'changing roles',
    plural: false,
    routes: ['PATCH /v1/admin/roles/{role_id}'],
    public: false,
  }),
  F('sandbox.act-as', {
    title: 'acting as a user',
    plural: false,
    routes: ['POST /v1/sandbox/act-as'],
    public: false,
  }),
] as const;

export type FeatureId = (typeof FEATURES)[number]['id'];

const BY_ID = new Map<string, Feature>(FEATURES.map((f: Feature) => [f.id, f]));

export function feature(id: FeatureId): Feature {
  return BY_ID.get(id) as Feature;
}

/** "restricted keys are not available on this server" */
export function notAvailableMessage(id: FeatureId): string {
  const f = feature(id);
  return `${f.title} ${f.plural ? 'are' : 'is'} not available on this server`;
}

/** Normal form of a route for matching: parameter names dropped (`/groups/{id}` = `/groups/{group_id}`). */
export function routeKey(method: string, path: string): string {
  const p = path.replace(/\{[^}]*\}|:[A-Za-z_][A-Za-z0-9_]*/g, '{}').replace(/\/+$/, '');
  return `${method.toUpperCase()} ${p}`;
}

export function splitRoute(r: RouteSpec): { method: Method; path: string } {
  const i = r.indexOf(' ');
  return { method: r.slice(0, i) as Method, path: r.slice(i + 1) };
}

/** The route keys the public Noxus API confirms (plus GET /v1/nodes, which the SDK calls at start-up). */
export function publicRouteKeys(): Set<string> {
  const keys = new Set<string>([routeKey('GET', '/v1/nodes')]);
  for (const f of FEATURES) {
    if (!f.public) continue;
    for (const r of f.routes) {
      const { method, path } = splitRoute(r);
      keys.add(routeKey(method, path));
    }
  }
  // Workspace resources are paged CRUD on confirmed paths.
  for (const base of ['/v1/workflows', '/v1/agents', '/v1/knowledge-bases']) {
    for (const [m, p] of [
      ['GET', base],
      ['POST', base],
      ['GET', `${base}/{}`],
      ['PATCH', `${base}/{}`],
      ['PUT', `${base}/{}`],
      ['DELETE', `${base}/{}`],
      ['POST', `${base}/{}/${base.endsWith('knowledge-bases') ? 'query' : 'run'}`],
    ] as const) {
      keys.add(routeKey(m, p));
    }
  }
  return keys;
}

/**
 * The feature a concrete request belongs to (`GET /v1/admin/users/u1/access` → users.access), so a
 * "not available" names the feature rather than the endpoint. Features that only add body fields to
 * a route (restricted keys) are not chosen here: the route itself is the other feature's.
 */
export function featureForRoute(method: string, path: string): FeatureId | undefined {
  const m = method.toUpperCase();
  const p = path.split('?')[0]?.replace(/\/+$/, '') ?? '';
  for (const f of FEATURES as readonly Feature[]) {
    if (f.fields) continue;
    for (const r of f.routes) {
      const s = splitRoute(r);
      if (s.method !== m) continue;
      const re = new RegExp(
        `^${s.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]*\}/g, '[^/]+')}$`,
      );
      if (re.test(p)) return f.id as FeatureId;
    }
  }
  return undefined;
}
