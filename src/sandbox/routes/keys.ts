import type { FastifyInstance } from 'fastify';
import { type Principal, requireOrg, workspaceDenied } from '../auth.js';
import { HttpError } from '../errors.js';
import type { Model } from '../model.js';
import type { KeyRow } from '../store.js';
import { pageOf, paging, pagingQuery, principal, str } from './common.js';

const expiresAt = { type: ['string', 'null'], maxLength: 40 } as const;

export function registerKeyRoutes(app: FastifyInstance, model: Model): void {
  const canManage = (p: Principal, k: KeyRow): boolean =>
    p.orgPerms.has('users:write') ||
    (k.group_id !== null && p.key.group_id === k.group_id && p.wsPerms.has('workspace_admin')) ||
    (p.holder !== undefined && (k.created_by === p.holder.id || k.owner_id === p.holder.id));
  const canSee = (p: Principal, k: KeyRow): boolean => p.orgPerms.has('users:read') || canManage(p, k);

  const visibleKey = (p: Principal, id: string): KeyRow => {
    const k = model.store.key(id);
    if (k?.kind !== 'workspace' || !canSee(p, k)) throw new HttpError(404, `API key ${id} not found`);
    return k;
  };

  app.post<{
    Params: { id: string };
    Body: {
      name: string;
      tenant_admin?: boolean;
      permissions?: string[] | null;
      owner_id?: string | null;
      expires_at?: string | null;
    };
  }>(
    '/v1/admin/groups/:id/api-keys',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: str(500),
            tenant_admin: { type: 'boolean' },
            permissions: { type: ['array', 'null'], maxItems: 100, items: str(100) },
            owner_id: { type: ['string', 'null'], maxLength: 500 },
            expires_at: expiresAt,
          },
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const g = model.requireGroup(req.params.id);
      const sameGroup = p.key.group_id === g.id;
      if (!p.holder) requireOrg(p, 'users:write');
      else if (!sameGroup) requireOrg(p, 'users:write');
      // A key without org powers must not mint one that has them.
      if (req.body.tenant_admin) requireOrg(p, 'org:admin');
      if (
        req.body.owner_id &&
        !p.orgPerms.has('users:write') &&
        !(sameGroup && p.wsPerms.has('users_edit'))
      ) {
        throw workspaceDenied(p, 'users_edit');
      }
      const { key, secret } = model.createWorkspaceKey(p.actor, {
        groupRef: g.id,
        name: req.body.name,
        permissions: req.body.permissions,
        owner_id: req.body.owner_id,
        expires_at: req.body.expires_at,
        tenant_admin: req.body.tenant_admin,
        creator: p.holder?.kind === 'human' || p.holder?.kind === 'service' ? p.holder : null,
        callerKeyId: p.key.id,
        callerBound: p.holder && sameGroup ? [...p.wsPerms] : null,
      });
      reply.status(201);
      return { ...model.keyView(key), value: secret };
    },
  );

  app.get<{ Querystring: Record<string, string | number | boolean | undefined> }>(
    '/v1/admin/api-keys',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pagingQuery,
            group_id: str(200),
            created_by: str(500),
            owner_id: str(500),
            holder_id: str(500),
            status: { type: 'string', enum: ['active', 'revoked', 'expired', 'all'] },
            degraded: { type: 'boolean' },
          },
        },
      },
    },
    async (req) => {
      const p = principal(req);
      const q = req.query;
      const userId = (ref: unknown) =>
        typeof ref === 'string' ? (model.findUser(ref)?.id ?? ref) : undefined;
      const groupId =
        typeof q.group_id === 'string' ? (model.findGroup(q.group_id)?.id ?? q.group_id) : undefined;
      let views = model
        .listKeys({
          kind: 'workspace',
          group_id: groupId,
          created_by: userId(q.created_by),
          owner_id: userId(q.owner_id),
          holder_id: userId(q.holder_id),
          status: q.status as string | undefined,
        })
        .filter((k) => canSee(p, k))
        .map((k) => model.keyView(k));
      if (q.degraded !== undefined) views = views.filter((v) => v.degraded === q.degraded);
      return pageOf(views, paging(q, 100));
    },
  );

  app.get<{ Params: { id: string } }>('/v1/admin/api-keys/:id', async (req) =>
    model.keyView(visibleKey(principal(req), req.params.id)),
  );

  app.delete<{ Params: { id: string } }>('/v1/admin/api-keys/:id', async (req) => {
    const p = principal(req);
    const k = visibleKey(p, req.params.id);
    if (!canManage(p, k))
      throw new HttpError(403, 'missing permission users:write to revoke this key', {
        missing: ['users:write'],
      });
    const r = model.revokeKey(p.actor, k.id);
    return { ...model.keyView(r.key), changed: r.changed };
  });

  const rotateSchema = {
    schema: {
      body: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: { overlap_seconds: { type: 'integer', minimum: 0, maximum: 30 * 86400 } },
      },
    },
  };
  app.post<{ Params: { id: string }; Body: { overlap_seconds?: number } | null }>(
    '/v1/admin/api-keys/:id/rotate',
    rotateSchema,
    async (req, reply) => {
      const p = principal(req);
      const k = visibleKey(p, req.params.id);
      if (!canManage(p, k))
        throw new HttpError(403, 'missing permission users:write to rotate this key', {
          missing: ['users:write'],
        });
      if (!p.orgPerms.has('users:write')) {
        // Rotation hands out a new secret: without org powers the caller must be a key of the same
        // workspace that already has everything the rotated key has (a restricted key never gets a broader one).
        if (p.key.group_id !== k.group_id)
          throw new HttpError(403, 'rotate a workspace key with a key of that workspace', {
            missing: ['users:write'],
          });
        const missing = model.keyEffective(k).filter((perm) => !p.wsPerms.has(perm));
        if (missing.length) {
          throw new HttpError(
            403,
            `missing permission ${missing.join(', ')}: the calling key cannot rotate a key that has more than it has`,
            { missing, denied_by: missing.some((x) => !p.holderWsPerms.has(x)) ? 'role' : 'restriction' },
          );
        }
      }
      const r = model.rotateKey(p.actor, k.id, req.body?.overlap_seconds ?? 0, p.key.id);
      reply.status(201);
      return { ...model.keyView(r.key), value: r.secret, replaces: model.keyView(r.old) };
    },
  );

  // ---- system keys ----
  app.get('/v1/admin/system-keys', async (req) => {
    const p = principal(req);
    requireOrg(p, 'org:admin');
    return model.listKeys({ kind: 'system', status: 'all' }).map((k) => model.keyView(k));
  });

  app.post<{
    Body: { name: string; permissions: string[]; tenant_admin?: boolean; expires_at?: string | null };
  }>(
    '/v1/admin/system-keys',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'permissions'],
          properties: {
            name: str(500),
            permissions: { type: 'array', maxItems: 100, items: str(100) },
            tenant_admin: { type: 'boolean' },
            expires_at: expiresAt,
          },
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      requireOrg(p, 'org:admin');
      if (!p.holder)
        throw new HttpError(403, 'system keys are created by an org admin, not by another system key', {
          missing: ['org:admin'],
        });
      if (req.body.expires_at != null && !(Date.parse(req.body.expires_at) > model.clock().getTime())) {
        throw new HttpError(422, [
          {
            loc: ['body', 'expires_at'],
            msg: 'expires_at must be a future ISO 8601 date-time',
            type: 'value_error',
          },
        ]);
      }
      const { key, secret } = model.createSystemKey(p.actor, req.body);
      reply.status(201);
      return { ...model.keyView(key), value: secret };
    },
  );

  const systemKey = (id: string): KeyRow => {
    const k = model.store.key(id);
    if (k?.kind !== 'system') throw new HttpError(404, `system key ${id} not found`);
    return k;
  };

  app.delete<{ Params: { id: string } }>('/v1/admin/system-keys/:id', async (req) => {
    const p = principal(req);
    requireOrg(p, 'org:admin');
    model.revokeKey(p.actor, systemKey(req.params.id).id);
    return { success: true };
  });

  app.post<{ Params: { id: string }; Body: { overlap_seconds?: number } | null }>(
    '/v1/admin/system-keys/:id/rotate',
    rotateSchema,
    async (req, reply) => {
      const p = principal(req);
      requireOrg(p, 'org:admin');
      if (!p.holder)
        throw new HttpError(403, 'system keys are created by an org admin, not by another system key', {
          missing: ['org:admin'],
        });
      const r = model.rotateKey(
        p.actor,
        systemKey(req.params.id).id,
        req.body?.overlap_seconds ?? 0,
        p.key.id,
      );
      reply.status(201);
      return { ...model.keyView(r.key), value: r.secret, replaces: model.keyView(r.old) };
    },
  );

  // ---- sandbox only: a personal key held by any user, minted by an org admin ----
  app.post<{
    Body: {
      user_id: string;
      group_id: string;
      name?: string;
      permissions?: string[] | null;
      tenant_admin?: boolean;
    };
  }>(
    '/v1/sandbox/act-as',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['user_id', 'group_id'],
          properties: {
            user_id: str(500),
            group_id: str(500),
            name: str(200),
            permissions: { type: ['array', 'null'], maxItems: 100, items: str(100) },
            tenant_admin: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      requireOrg(p, 'org:admin');
      const user = model.requireUser(req.body.user_id);
      if (user.status !== 'active')
        throw new HttpError(409, `${user.email} is ${user.status}; only active users can hold keys`);
      if (user.kind !== 'human')
        throw new HttpError(422, [
          {
            loc: ['body', 'user_id'],
            msg: 'act-as is for people; service accounts get keys with --owner',
            type: 'value_error',
          },
        ]);
      const g = model.requireGroup(req.body.group_id);
      const { key, secret } = model.createWorkspaceKey(
        { ...p.actor },
        {
          groupRef: g.id,
          name: req.body.name ?? `act-as ${user.email}`,
          permissions: req.body.permissions,
          tenant_admin: req.body.tenant_admin,
          creator: user,
          callerKeyId: p.key.id,
          callerBound: null,
        },
      );
      reply.status(201);
      return { ...model.keyView(key), value: secret, act_as: true, minted_by: p.actor.email };
    },
  );
}
