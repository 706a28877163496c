import type { FastifyInstance } from 'fastify';
import {
  canActAs,
  canChangeSystemKey,
  canCreateWorkspaceKey,
  canManageSystemKeys,
  canRevokeKey,
  canRotateKey,
  maySeeKey,
  type Principal,
} from '../authz.js';
import { HttpError } from '../errors.js';
import type { Model } from '../model.js';
import type { KeyRow } from '../store.js';
import { pageOf, paging, pagingQuery, principal, str } from './common.js';

const expiresAt = { type: ['string', 'null'], maxLength: 40 } as const;

export function registerKeyRoutes(app: FastifyInstance, model: Model): void {
  const visibleKey = (p: Principal, id: string): KeyRow => {
    const k = model.store.key(id);
    if (k?.kind !== 'workspace' || !maySeeKey(p, k)) throw new HttpError(404, `API key ${id} not found`);
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
      canCreateWorkspaceKey(p, g, req.body);
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
        .filter((k) => maySeeKey(p, k))
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
    canRevokeKey(p, k);
    const r = model.revokeKey(p.actor, k.id);
    return { ...model.keyView(r.key), changed: r.changed };
  });

  const rotateSchema = {
    schema: {
      body: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: {
          overlap_seconds: { type: 'integer', minimum: 0, maximum: 30 * 86400 },
          expires_at: expiresAt,
        },
      },
    },
  };
  app.post<{ Params: { id: string }; Body: { overlap_seconds?: number; expires_at?: string | null } | null }>(
    '/v1/admin/api-keys/:id/rotate',
    rotateSchema,
    async (req, reply) => {
      const p = principal(req);
      const k = visibleKey(p, req.params.id);
      canRotateKey(p, k);
      const r = model.rotateKey(
        p.actor,
        k.id,
        req.body?.overlap_seconds ?? 0,
        p.key.id,
        req.body?.expires_at,
      );
      reply.status(201);
      return { ...model.keyView(r.key), value: r.secret, replaces: model.keyView(r.old) };
    },
  );

  // ---- system keys ----
  app.get('/v1/admin/system-keys', async (req) => {
    const p = principal(req);
    canManageSystemKeys(p);
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
      canManageSystemKeys(p);
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

  // Authorized before the lookup, so that a 404 never tells a caller without the right which keys exist.
  const systemKey = (p: Principal, id: string): KeyRow => {
    canManageSystemKeys(p);
    const k = model.store.key(id);
    if (k?.kind !== 'system') throw new HttpError(404, `system key ${id} not found`);
    return k;
  };

  app.delete<{ Params: { id: string } }>('/v1/admin/system-keys/:id', async (req) => {
    const p = principal(req);
    const k = systemKey(p, req.params.id);
    canChangeSystemKey(p, k);
    model.revokeKey(p.actor, k.id);
    return { success: true };
  });

  app.post<{ Params: { id: string }; Body: { overlap_seconds?: number; expires_at?: string | null } | null }>(
    '/v1/admin/system-keys/:id/rotate',
    rotateSchema,
    async (req, reply) => {
      const p = principal(req);
      const k = systemKey(p, req.params.id);
      canChangeSystemKey(p, k);
      const r = model.rotateKey(
        p.actor,
        k.id,
        req.body?.overlap_seconds ?? 0,
        p.key.id,
        req.body?.expires_at,
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
      canActAs(p);
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
          seenBy: [
            { userId: p.actor.userId, how: 'act_as_caller' },
            { userId: user.id, how: 'act_as_target' },
          ],
        },
      );
      reply.status(201);
      return { ...model.keyView(key), value: secret, act_as: true, minted_by: p.actor.email };
    },
  );
}
