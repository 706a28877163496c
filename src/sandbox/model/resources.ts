// Workflows, agents and knowledge bases, and moving their ownership between users.

import { nameProblem } from '../../domain/validate.js';
import { conflict, unprocessable } from '../errors.js';
import { newId } from '../secrets.js';
import { type ResourceRow, type ResourceType, toResource } from '../store.js';
import { Aggregate } from './base.js';
import type { Actor } from './types.js';

const RESOURCE_EDIT: Record<ResourceType, string> = {
  workflow: 'flows_edit',
  agent: 'agents_edit',
  knowledge_base: 'kbs_edit',
};

export class Resources extends Aggregate {
  resourceView(r: ResourceRow) {
    const owner = this.store.user(r.owner_id);
    return {
      id: r.id,
      type: r.type === 'workflow' ? (r.subtype ?? 'flow') : r.type,
      resource_type: r.type,
      group_id: r.group_id,
      name: r.name,
      description: r.description,
      definition: r.definition,
      owner_id: r.owner_id,
      owner_email: owner?.email ?? null,
      user_id: r.owner_id,
      created_by: r.created_by,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  /** JSON nested deeper than this is refused (stringifying it would overflow the stack). */
  static readonly MAX_DEPTH = 64;

  private checkDefinition(def: unknown): void {
    const stack: Array<[unknown, number]> = [[def, 1]];
    while (stack.length) {
      const [v, d] = stack.pop() as [unknown, number];
      if (d > Resources.MAX_DEPTH)
        throw unprocessable(
          ['body', 'definition'],
          `definition is nested deeper than ${Resources.MAX_DEPTH} levels`,
        );
      if (v && typeof v === 'object') for (const c of Object.values(v)) stack.push([c, d + 1]);
    }
  }

  createResource(
    actor: Actor,
    type: ResourceType,
    groupId: string,
    ownerId: string,
    body: { name: string; description?: string; definition?: unknown; type?: string },
  ) {
    const np = nameProblem(body.name);
    if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    this.checkDefinition(body.definition);
    if (
      type === 'workflow' &&
      body.type !== undefined &&
      body.type !== 'flow' &&
      body.type !== 'agent_flow'
    ) {
      throw unprocessable(['body', 'type'], 'type must be flow or agent_flow');
    }
    return this.store.tx(() => {
      const id = newId();
      const t = this.now();
      this.store.run(
        `INSERT INTO resources(id, type, subtype, group_id, name, description, definition, owner_id, created_by, created_at, updated_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
        id,
        type,
        type === 'workflow' ? (body.type ?? 'flow') : null,
        groupId,
        body.name,
        body.description ?? '',
        JSON.stringify(body.definition ?? {}),
        ownerId,
        ownerId,
        t,
        t,
      );
      this.m.audit(actor, 'create', type, id, groupId, { name: body.name });
      return this.store.resource(id) as ResourceRow;
    });
  }

  updateResource(
    actor: Actor,
    r: ResourceRow,
    body: { name?: string; description?: string; definition?: unknown },
  ) {
    this.checkDefinition(body.definition);
    if (body.name !== undefined) {
      const np = nameProblem(body.name);
      if (np) throw unprocessable(['body', 'name'], `name ${np}`);
    }
    return this.store.tx(() => {
      this.store.run(
        'UPDATE resources SET name = ?, description = ?, definition = ?, updated_at = ? WHERE id = ?',
        body.name ?? r.name,
        body.description ?? r.description,
        JSON.stringify(body.definition ?? r.definition),
        this.now(),
        r.id,
      );
      this.m.audit(actor, 'update', r.type, r.id, r.group_id, { fields: Object.keys(body) });
      return this.store.resource(r.id) as ResourceRow;
    });
  }

  deleteResource(actor: Actor, r: ResourceRow) {
    this.store.tx(() => {
      this.store.run('DELETE FROM resources WHERE id = ?', r.id);
      this.m.audit(actor, 'delete', r.type, r.id, r.group_id, { name: r.name, owner_id: r.owner_id });
    });
  }

  listResources(q: {
    type?: ResourceType;
    group_id?: string;
    owner_id?: string;
    subtype?: string;
    offset: number;
    limit: number;
  }) {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [col, v] of [
      ['type', q.type],
      ['group_id', q.group_id],
      ['owner_id', q.owner_id],
      ['subtype', q.subtype],
    ] as const) {
      if (v) {
        where.push(`${col} = ?`);
        params.push(v);
      }
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      this.store.get<{ n: number }>(`SELECT COUNT(*) n FROM resources ${clause}`, ...params) as { n: number }
    ).n;
    const rows = this.store
      .all(
        `SELECT * FROM resources ${clause} ORDER BY created_at, id LIMIT ? OFFSET ?`,
        ...params,
        q.limit,
        q.offset,
      )
      .map(toResource);
    return { rows, total };
  }

  /** Moves ownership; all-or-nothing, and every target must be able to edit that kind of resource there. */
  transfer(actor: Actor, body: { from_user: string; to_user: string; resource_ids?: string[] }) {
    return this.store.tx(() => {
      const from = this.m.requireUser(body.from_user);
      const to = this.m.requireUser(body.to_user);
      if (from.id === to.id)
        throw unprocessable(['body', 'to_user'], 'cannot transfer resources to the same user');
      if (to.status !== 'active')
        throw conflict(`transfer target ${to.email} is ${to.status}; pick an active user`);
      let rows = this.store
        .all('SELECT * FROM resources WHERE owner_id = ? ORDER BY created_at, id', from.id)
        .map(toResource);
      if (body.resource_ids) {
        const wanted = new Set(body.resource_ids);
        rows = rows.filter((r) => wanted.has(r.id));
      }
      const refused = rows.filter(
        (r) => !this.m.userPermissionsIn(to, r.group_id).includes(RESOURCE_EDIT[r.type]),
      );
      if (refused.length) {
        const groups = [...new Set(refused.map((r) => this.store.group(r.group_id)?.name ?? r.group_id))];
        throw conflict(
          `${to.email} cannot own ${refused.length} resource(s): no ${[...new Set(refused.map((r) => RESOURCE_EDIT[r.type]))].join('/')} in ${groups.join(', ')}; give them a role there first`,
          { refused: refused.map((r) => r.id) },
        );
      }
      const t = this.now();
      for (const r of rows) {
        this.store.run('UPDATE resources SET owner_id = ?, updated_at = ? WHERE id = ?', to.id, t, r.id);
        this.m.audit(actor, 'update', r.type, r.id, r.group_id, {
          owner: { before: from.email, after: to.email },
        });
      }
      return {
        from_user: from.id,
        to_user: to.id,
        transferred: rows.map((r) => ({ id: r.id, type: r.type, group_id: r.group_id, name: r.name })),
      };
    });
  }
}
