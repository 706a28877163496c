// Saved access plans made by hand, for the apply tests: one item of any kind, and a plan around
// items with every other field filled as `noxus access plan` fills it.
import type { AccessFile, AccessPlan, PlanItem } from '../../src/services/access/model.js';

export const EMPTY_ACCESS: AccessFile = {
  version: 1,
  kind: 'noxus-access',
  roles: [],
  people: [],
  workspaces: [],
  service_accounts: [],
};

/** An item of `kind` with id `<kind>:<id>`, carried out by the API unless `over` says otherwise. */
export function planItem(
  kind: PlanItem['kind'],
  op: PlanItem['op'],
  id: string,
  after: Record<string, unknown> | null,
  before: Record<string, unknown> | null = null,
  over: Partial<PlanItem> = {},
): PlanItem {
  return {
    id: `${kind}:${id}`,
    op,
    kind,
    subject: id,
    changes: [],
    effects: [],
    after,
    before,
    feature: 'users.list',
    availability: 'api',
    ...over,
  };
}

/** A plan for `server` made of `items`, with no prune and no transfer target unless `over` sets them. */
export function planOf(server: string, items: PlanItem[], over: Partial<AccessPlan> = {}): AccessPlan {
  return {
    schema_version: 1,
    kind: 'noxus-access-plan',
    server,
    tool_version: 'test',
    created_at: '2026-01-01T00:00:00.000Z',
    file: 'access.yaml',
    file_sha256: 'f'.repeat(64),
    base_sha256: 'b'.repeat(64),
    current: EMPTY_ACCESS,
    prune: false,
    transfer_to: null,
    items,
    unmanaged: [],
    findings: [],
    ...over,
  };
}
