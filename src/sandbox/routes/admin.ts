import type { FastifyInstance } from 'fastify';
import { maskKey } from '../../domain/keys.js';
import { permissionCatalogue, sortPermissions } from '../../domain/permissions.js';
import {
  canActOnUser,
  canListUsers,
  canManageMember,
  canReactivateUser,
  canRemoveMember,
  canRemoveUser,
  canSeeWorkspace,
  canSetOrgRole,
  canSuspendUser,
  type Principal,
  requireOrg,
  seesOwnWorkspace,
} from '../authz.js';
import { HttpError } from '../errors.js';
import type { Model } from '../model.js';
import type { UserRow } from '../store.js';
import { paged, pageOf, paging, pagingQuery, principal, str } from './common.js';

/** A grant's extension fields (issue 16); the model checks them (length, characters, a future expiry). */
const grantTerms = {
  reason: { type: ['string', 'null'], maxLength: 2000 },
  expires_at: { type: ['string', 'null'], maxLength: 40 },
} as const;

const workspacesSchema = {
  type: 'array',
  maxItems: 500,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['group_id', 'role'],
    properties: { group_id: str(200), role: str(200), ...grantTerms },
  },
} as const;

export function registerAdminRoutes(app: FastifyInstance, model: Model): void {
  // Checked before the lookup, so that a 404 never tells a caller without the permission who exists.
  const selfOr = (p: Principal, ref: string, perm: string): UserRow => {
    canActOnUser(p, model.findUser(ref), perm);
    return model.requireUser(ref);
  };
  const roleRef = (ref: string | undefined) =>
    ref === undefined ? undefined : (model.store.role(ref) ?? model.store.roleByName(ref));

  app.get('/v1/nodes', async () => []);

  app.get('/v1/admin/me', async (req) => {
    const p = principal(req);
    const k = p.key;
    const group = k.group_id ? model.store.group(k.group_id) : undefined;
    const role = p.holder ? model.store.role(p.holder.org_role_id) : undefined;
    return {
      id: k.id,
      name: k.name,
      tenant_admin: k.tenant_admin,
      value: maskKey('noxus_', k.last4),
      permissions: sortPermissions([...p.orgPerms, ...p.wsPerms]),
      kind: k.kind,
      group_id: k.group_id,
      group_name: group?.name ?? null,
      restricted: k.restriction !== null,
      restriction: k.restriction,
      effective_permissions: sortPermissions(p.wsPerms),
      org_permissions: sortPermissions(p.orgPerms),
      holder: p.holder
        ? {
            id: p.holder.id,
            email: p.holder.email,
            display_name: p.holder.display_name,
            kind: p.holder.kind,
            org_role: role?.name ?? null,
            org_admin: model.isOrgAdmin(p.holder),
          }
        : null,
      created_by: k.created_by,
      created_at: k.created_at,
      expires_at: k.expires_at,
      organization: model.organizationName(),
    };
  });

  app.get('/v1/admin/permissions', async () => permissionCatalogue());

  // ---- roles ----
  app.get('/v1/admin/roles', async (req) => {
    principal(req);
    return model.store.roles().map((r) => model.roleView(r));
  });
  app.get<{ Params: { id: string } }>('/v1/admin/roles/:id', async (req) => {
    principal(req);
    const r = model.store.role(req.params.id) ?? model.store.roleByName(req.params.id);
    if (!r) throw new HttpError(404, `role ${req.params.id} not found`);
    return model.roleView(r);
  });
  app.post<{ Body: { name: string; description?: string; permissions: Record<string, boolean> } }>(
    '/v1/admin/roles',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'permissions'],
          properties: {
            name: str(200),
            description: str(2000),
            permissions: { type: 'object', maxProperties: 100, additionalProperties: { type: 'boolean' } },
          },
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      requireOrg(p, 'org:admin');
      reply.status(201);
      return model.roleView(model.createRole(p.actor, req.body));
    },
  );
  app.delete<{ Params: { id: string } }>('/v1/admin/roles/:id', async (req) => {
    const p = principal(req);
    requireOrg(p, 'org:admin');
    return model.roleView(model.deleteRole(p.actor, req.params.id));
  });

  app.patch<{
    Params: { id: string };
    Body: { name?: string; description?: string; permissions?: Record<string, boolean> };
  }>(
    '/v1/admin/roles/:id',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: str(200),
            description: str(2000),
            permissions: { type: 'object', maxProperties: 100, additionalProperties: { type: 'boolean' } },
          },
        },
      },
    },
    async (req) => {
      const p = principal(req);
      requireOrg(p, 'org:admin');
      const { role, changed } = model.updateRole(p.actor, req.params.id, req.body ?? {});
      return { ...model.roleView(role), changed };
    },
  );

  // ---- invitations ----
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/v1/admin/invitations',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pagingQuery,
            status: { type: 'string', enum: ['pending', 'accepted', 'expired', 'cancelled', 'all'] },
          },
        },
      },
    },
    async (req) => {
      requireOrg(principal(req), 'users:read');
      const all = model.invitations.list(
        (req.query.status as 'pending' | 'accepted' | 'expired' | 'cancelled' | 'all' | undefined) ??
          'pending',
      );
      const pg = paging(req.query, 100, true);
      return pg ? pageOf(all, pg) : all;
    },
  );
  app.delete<{ Params: { id: string } }>('/v1/admin/invitations/:id', async (req) => {
    const p = principal(req);
    requireOrg(p, 'users:write');
    const { invitation, changed } = model.invitations.cancel(p.actor, req.params.id);
    return { ...invitation, changed };
  });

  // ---- users ----
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/v1/admin/users',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pagingQuery,
            status: { type: 'string', enum: ['invited', 'active', 'suspended', 'removed'] },
            kind: { type: 'string', enum: ['human', 'service'] },
            group_id: str(200),
            q: str(200),
          },
        },
      },
    },
    async (req) => {
      const p = principal(req);
      // Workspace admins may list users so that they can add existing ones to their workspace.
      canListUsers(p);
      const q = req.query;
      const pg = paging(q, 50, true);
      const { rows, total } = model.listUsers(
        {
          status: q.status as string,
          kind: q.kind as string,
          group_id: q.group_id as string,
          q: q.q as string,
        },
        pg ? { offset: pg.offset, limit: pg.size } : undefined,
      );
      const roles = new Map(model.store.roles().map((r) => [r.id, r]));
      const views = rows.map((u) => model.userView(u, roles));
      return pg ? paged(views, total, pg) : views;
    },
  );

  app.post<{ Body: Parameters<Model['createUser']>[1] }>(
    '/v1/admin/users',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'name'],
          properties: {
            email: str(500),
            name: str(500),
            display_name: str(500),
            avatar_url: str(2000),
            org_role: str(200),
            workspaces: workspacesSchema,
            kind: { type: 'string', enum: ['human', 'service'] },
            send_invitation: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      canSetOrgRole(p, undefined, roleRef(req.body.org_role), model);
      const { user, delivery } = await model.createUser(p.actor, req.body);
      reply.status(201);
      return { ...model.userView(user), invitation: delivery };
    },
  );

  app.get<{ Params: { id: string } }>('/v1/admin/users/:id', async (req) =>
    model.userView(selfOr(principal(req), req.params.id, 'users:read')),
  );

  app.patch<{ Params: { id: string }; Body: Parameters<Model['updateUser']>[2] }>(
    '/v1/admin/users/:id',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: str(500),
            display_name: str(500),
            avatar_url: { type: ['string', 'null'], maxLength: 2000 },
            org_role: str(200),
          },
        },
      },
    },
    async (req) => {
      const p = principal(req);
      if (req.body?.org_role !== undefined)
        canSetOrgRole(p, model.findUser(req.params.id), roleRef(req.body.org_role), model);
      else requireOrg(p, 'users:write');
      const { user, changed } = model.updateUser(p.actor, req.params.id, req.body ?? {});
      return { ...model.userView(user), changed };
    },
  );

  app.delete<{ Params: { id: string } }>('/v1/admin/users/:id', async (req) => {
    const p = principal(req);
    canRemoveUser(p, model.findUser(req.params.id), model);
    const { user, changed, revoked_keys } = model.removeUser(p.actor, req.params.id);
    return { ...model.userView(user), changed, revoked_keys };
  });

  app.post<{ Params: { id: string } }>('/v1/admin/users/:id/suspend', async (req) => {
    const p = principal(req);
    canSuspendUser(p, model.findUser(req.params.id), model);
    const { user, changed } = model.suspendUser(p.actor, req.params.id);
    return { ...model.userView(user), changed };
  });

  app.post<{ Params: { id: string } }>('/v1/admin/users/:id/reactivate', async (req) => {
    const p = principal(req);
    canReactivateUser(p);
    const { user, changed } = model.reactivateUser(p.actor, req.params.id);
    return { ...model.userView(user), changed };
  });

  app.post<{ Params: { id: string } }>('/v1/admin/users/:id/invitation', async (req) => {
    const p = principal(req);
    requireOrg(p, 'users:write');
    const { user, delivery } = await model.resendInvitation(p.actor, req.params.id);
    return { ...model.userView(user), invitation: delivery };
  });

  app.get<{ Params: { id: string } }>('/v1/admin/users/:id/access', async (req) => {
    const p = principal(req);
    requireOrg(p, 'users:read');
    return model.access(req.params.id);
  });

  app.get<{ Params: { id: string } }>('/v1/admin/users/:id/onboarding', async (req) =>
    model.onboarding(selfOr(principal(req), req.params.id, 'users:read').id),
  );

  app.post<{ Params: { id: string } }>('/v1/admin/users/:id/onboarding/tour', async (req) => {
    const p = principal(req);
    const u = selfOr(p, req.params.id, 'users:write');
    model.markTourDone(p.actor, u.id);
    return model.onboarding(u.id);
  });

  // ---- workspaces (groups) ----
  app.get('/v1/admin/groups', async (req) => {
    const p = principal(req);
    if (p.orgPerms.has('workspace:read')) return model.store.groups().map((g) => model.groupView(g));
    const own = p.key.group_id ? model.store.group(p.key.group_id) : undefined;
    return own && seesOwnWorkspace(p, own.id) ? [model.groupView(own)] : [];
  });

  app.get<{ Params: { id: string } }>('/v1/admin/groups/:id', async (req) => {
    const p = principal(req);
    const g = model.requireGroup(req.params.id);
    canSeeWorkspace(p, g.id);
    return model.groupView(g);
  });

  const groupBody = {
    type: 'object',
    additionalProperties: false,
    properties: { name: str(500), description: str(5000) },
  } as const;
  app.post<{ Body: { name: string; description?: string } }>(
    '/v1/admin/groups',
    { schema: { body: { ...groupBody, required: ['name'] } } },
    async (req, reply) => {
      const p = principal(req);
      requireOrg(p, 'workspace:write');
      reply.status(201);
      return model.groupView(model.createGroup(p.actor, req.body));
    },
  );
  app.patch<{ Params: { id: string }; Body: { name?: string; description?: string } }>(
    '/v1/admin/groups/:id',
    { schema: { body: groupBody } },
    async (req) => {
      const p = principal(req);
      requireOrg(p, 'workspace:write');
      return model.groupView(model.updateGroup(p.actor, req.params.id, req.body ?? {}));
    },
  );
  // A JSON body, never an empty 204: the official SDK parses every response as JSON.
  app.delete<{ Params: { id: string } }>('/v1/admin/groups/:id', async (req) => {
    const p = principal(req);
    requireOrg(p, 'workspace:write');
    model.deleteGroup(p.actor, req.params.id);
    return { success: true };
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, number> }>(
    '/v1/admin/groups/:id/members',
    { schema: { querystring: { type: 'object', properties: pagingQuery } } },
    async (req) => {
      const p = principal(req);
      const g = model.requireGroup(req.params.id);
      canSeeWorkspace(p, g.id);
      const { members } = model.members(g.id);
      const pg = paging(req.query, 100, true);
      return pg ? pageOf(members, pg) : members;
    },
  );

  app.put<{
    Params: { id: string; user_id: string };
    Body: { role: string; reason?: string | null; expires_at?: string | null };
  }>(
    '/v1/admin/groups/:id/members/:user_id',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role: str(200), ...grantTerms },
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const g = model.requireGroup(req.params.id);
      canManageMember(
        p,
        g,
        model.findUser(req.params.user_id),
        model.findRole(req.body.role, 'workspace'),
        model,
      );
      const { role, reason, expires_at } = req.body;
      const r = model.setMember(p.actor, g.id, req.params.user_id, role, { reason, expires_at });
      reply.status(r.created ? 201 : 200);
      return {
        group_id: r.group.id,
        user_id: r.user.id,
        email: r.user.email,
        role: { id: r.role.id, name: r.role.name },
        reason: r.reason,
        expires_at: r.expires_at,
        created: r.created,
        changed: r.changed,
      };
    },
  );

  app.delete<{ Params: { id: string; user_id: string } }>(
    '/v1/admin/groups/:id/members/:user_id',
    async (req) => {
      const p = principal(req);
      const g = model.requireGroup(req.params.id);
      canRemoveMember(p, g, model.findUser(req.params.user_id), model);
      const r = model.removeMember(p.actor, g.id, req.params.user_id);
      return { group_id: r.group.id, user_id: r.user.id, removed: true };
    },
  );

  // ---- transfers and activity ----
  app.post<{ Body: { from_user: string; to_user: string; resource_ids?: string[] } }>(
    '/v1/admin/transfers',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['from_user', 'to_user'],
          properties: {
            from_user: str(500),
            to_user: str(500),
            resource_ids: { type: 'array', maxItems: 10000, items: str(200) },
          },
        },
      },
    },
    async (req) => {
      const p = principal(req);
      requireOrg(p, 'users:write');
      return model.transfer(p.actor, req.body);
    },
  );

  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/v1/admin/activity',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pagingQuery,
            actor: str(500),
            action: { type: 'string', enum: ['create', 'update', 'delete', 'execute', 'login', 'lapse'] },
            resource_type: str(100),
            resource_id: str(500),
            group_id: str(200),
            since: { type: 'string', maxLength: 40 },
            until: { type: 'string', maxLength: 40 },
          },
        },
      },
    },
    async (req) => {
      const p = principal(req);
      requireOrg(p, 'org:read');
      const q = req.query;
      for (const f of ['since', 'until'] as const) {
        if (q[f] !== undefined && Number.isNaN(Date.parse(String(q[f])))) {
          throw new HttpError(422, [
            { loc: ['query', f], msg: `${f} must be an ISO 8601 date-time`, type: 'value_error' },
          ]);
        }
      }
      const pg = paging(q, 100);
      const { rows, total } = model.activity({
        actor: q.actor as string | undefined,
        action: q.action as string | undefined,
        resource_type: q.resource_type as string | undefined,
        resource_id: q.resource_id as string | undefined,
        group_id: q.group_id as string | undefined,
        since: q.since ? new Date(String(q.since)).toISOString() : undefined,
        until: q.until ? new Date(String(q.until)).toISOString() : undefined,
        offset: pg.offset,
        limit: pg.size,
      });
      return {
        items: rows,
        total,
        page: pg.page,
        size: pg.size,
        pages: Math.max(1, Math.ceil(total / pg.size)),
      };
    },
  );
}
