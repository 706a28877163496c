// Sandbox only: a stand-in for the Noxus web console. What an operator does there by hand (add a
// user, add users to a workspace, remove a user, revoke a key) is done here with JSON calls, so tests
// can play the operator between the CLI's guided steps. Every mode keeps these routes: they are not
// part of the API (nothing under /v1), just as the real console is not.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, type Principal, readKey } from '../auth.js';
import { HttpError } from '../errors.js';
import type { Model } from '../model.js';
import { str } from './common.js';

const workspaceRoles = {
  type: 'array',
  maxItems: 500,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['workspace', 'role'],
    properties: { workspace: str(500), role: str(200) },
  },
} as const;

export function registerConsoleRoutes(app: FastifyInstance, model: Model): void {
  // The console is signed in as a person; the sandbox takes an org admin's key for that person.
  const operator = (req: FastifyRequest): Principal => {
    const p = authenticate(model, readKey(req.headers), req.id);
    if (!p.holder || !model.isOrgAdmin(p.holder)) {
      throw new HttpError(403, 'the console stand-in needs the key of an org admin');
    }
    p.actor.route = req.routeOptions.url;
    p.actor.method = req.method;
    return p;
  };

  // Settings → Users → Add user: the user is invited by email.
  app.post<{
    Body: {
      email: string;
      name: string;
      display_name?: string;
      org_role?: string;
      workspaces?: Array<{ workspace: string; role: string }>;
    };
  }>(
    '/console/users',
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
            org_role: str(200),
            workspaces: workspaceRoles,
          },
        },
      },
    },
    async (req, reply) => {
      const p = operator(req);
      const b = req.body;
      const { user, delivery } = await model.createUser(p.actor, {
        email: b.email,
        name: b.name,
        display_name: b.display_name,
        org_role: b.org_role,
        workspaces: b.workspaces?.map((w) => ({ group_id: w.workspace, role: w.role })),
        send_invitation: true,
      });
      reply.status(201);
      return { user: model.userView(user), invitation: delivery };
    },
  );

  // Settings → Users → (the user) → Remove.
  app.delete<{ Params: { user: string } }>('/console/users/:user', async (req) => {
    const p = operator(req);
    const { user, revoked_keys } = model.removeUser(p.actor, req.params.user);
    return { user: model.userView(user), revoked_keys };
  });

  // Workspace settings → Users → Add users: several users, a role each.
  app.post<{ Params: { workspace: string }; Body: { users: Array<{ user: string; role: string }> } }>(
    '/console/workspaces/:workspace/users',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['users'],
          properties: {
            users: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['user', 'role'],
                properties: { user: str(500), role: str(200) },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const p = operator(req);
      const g = model.requireGroup(req.params.workspace);
      // The console's dialog adds everyone or no one.
      const added = model.store.tx(() =>
        req.body.users.map((u) => {
          const r = model.setMember(p.actor, g.id, u.user, u.role);
          return { user_id: r.user.id, email: r.user.email, role: r.role.name, created: r.created };
        }),
      );
      return { workspace: { id: g.id, name: g.name }, users: added };
    },
  );

  // Workspace Control → API keys: the list the operator picks from, and Revoke.
  app.get<{ Params: { workspace: string } }>('/console/workspaces/:workspace/api-keys', async (req) => {
    operator(req);
    const g = model.requireGroup(req.params.workspace);
    return model.listKeys({ kind: 'workspace', group_id: g.id, status: 'active' }).map((k) => ({
      id: k.id,
      name: k.name,
      holder_id: k.owner_id ?? k.created_by,
      created_at: k.created_at,
    }));
  });

  app.delete<{ Params: { id: string } }>('/console/api-keys/:id', async (req) => {
    const p = operator(req);
    const k = model.store.key(req.params.id);
    if (k?.kind !== 'workspace') throw new HttpError(404, `API key ${req.params.id} not found`);
    const r = model.revokeKey(p.actor, k.id);
    return { id: r.key.id, name: r.key.name, revoked: true, changed: r.changed };
  });
}
