import type { FastifyInstance } from 'fastify';
import { requireWorkspace } from '../authz.js';
import { HttpError } from '../errors.js';
import type { Model } from '../model.js';
import type { ResourceRow, ResourceType } from '../store.js';
import { paged, paging, pagingQuery, principal, str } from './common.js';

interface Kind {
  type: ResourceType;
  path: string;
  read: string[];
  edit: string;
  del: string;
  run: string;
  runPath: string;
  label: string;
}

const KINDS: Kind[] = [
  {
    type: 'workflow',
    path: '/v1/workflows',
    read: ['flows_run', 'flows_edit'],
    edit: 'flows_edit',
    del: 'flows_delete',
    run: 'flows_run',
    runPath: 'run',
    label: 'workflow',
  },
  {
    type: 'agent',
    path: '/v1/agents',
    read: ['agents_run', 'agents_edit'],
    edit: 'agents_edit',
    del: 'agents_delete',
    run: 'agents_run',
    runPath: 'run',
    label: 'agent',
  },
  {
    type: 'knowledge_base',
    path: '/v1/knowledge-bases',
    read: ['kbs_query', 'kbs_edit'],
    edit: 'kbs_edit',
    del: 'kbs_delete',
    run: 'kbs_query',
    runPath: 'query',
    label: 'knowledge base',
  },
];

const body = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: str(500),
    description: str(10_000),
    definition: { type: 'object' },
    type: { type: 'string', enum: ['flow', 'agent_flow'] },
  },
} as const;

export function registerResourceRoutes(app: FastifyInstance, model: Model): void {
  for (const k of KINDS) {
    const find = (groupId: string, id: string): ResourceRow => {
      const r = model.store.resource(id);
      if (!r || r.type !== k.type || r.group_id !== groupId)
        throw new HttpError(404, `${k.label} ${id} not found`);
      return r;
    };
    const readable = (req: Parameters<typeof principal>[0]) => {
      const p = principal(req);
      const perm = k.read.find((x) => p.wsPerms.has(x)) ?? k.read[0];
      const g = requireWorkspace(p, perm as string);
      if (p.holder) model.touchUser(p.holder, true);
      return { p, g };
    };

    app.get<{ Querystring: Record<string, string | number | undefined> }>(
      k.path,
      {
        schema: {
          querystring: { type: 'object', properties: { ...pagingQuery, owner_id: str(200), type: str(40) } },
        },
      },
      async (req) => {
        const { g } = readable(req);
        const pg = paging(req.query, 50);
        const { rows, total } = model.listResources({
          type: k.type,
          group_id: g,
          owner_id: req.query.owner_id as string | undefined,
          subtype: k.type === 'workflow' ? (req.query.type as string | undefined) : undefined,
          offset: pg.offset,
          limit: pg.size,
        });
        return paged(
          rows.map((r) => model.resourceView(r)),
          total,
          pg,
        );
      },
    );

    app.get<{ Params: { id: string } }>(`${k.path}/:id`, async (req) => {
      const { g } = readable(req);
      return model.resourceView(find(g, req.params.id));
    });

    app.post<{ Body: { name: string; description?: string; definition?: unknown; type?: string } }>(
      k.path,
      { schema: { body: { ...body, required: ['name'] } } },
      async (req, reply) => {
        const p = principal(req);
        const g = requireWorkspace(p, k.edit);
        if (!p.holder)
          throw new HttpError(403, 'resources are owned by people or service accounts; use their key');
        model.touchUser(p.holder, true);
        reply.status(201);
        return model.resourceView(model.createResource(p.actor, k.type, g, p.holder.id, req.body));
      },
    );

    const update = async (
      req: {
        params: { id: string };
        body: { name?: string; description?: string; definition?: unknown };
      } & Parameters<typeof principal>[0],
    ) => {
      const p = principal(req);
      const g = requireWorkspace(p, k.edit);
      if (p.holder) model.touchUser(p.holder, true);
      return model.resourceView(model.updateResource(p.actor, find(g, req.params.id), req.body ?? {}));
    };
    app.patch<{
      Params: { id: string };
      Body: { name?: string; description?: string; definition?: unknown };
    }>(`${k.path}/:id`, { schema: { body } }, update);
    app.put<{ Params: { id: string }; Body: { name?: string; description?: string; definition?: unknown } }>(
      `${k.path}/:id`,
      { schema: { body } },
      update,
    );

    app.delete<{ Params: { id: string } }>(`${k.path}/:id`, async (req, reply) => {
      const p = principal(req);
      const g = requireWorkspace(p, k.del);
      model.deleteResource(p.actor, find(g, req.params.id));
      return reply.status(204).send();
    });

    app.post<{ Params: { id: string } }>(`${k.path}/:id/${k.runPath}`, async (req) => {
      const p = principal(req);
      const g = requireWorkspace(p, k.run);
      const r = find(g, req.params.id);
      if (p.holder) model.touchUser(p.holder, true);
      model.store.tx(() => model.audit(p.actor, 'execute', k.type, r.id, g, { name: r.name }));
      return { id: r.id, status: 'completed', output: { echo: r.name } };
    });
  }
}
