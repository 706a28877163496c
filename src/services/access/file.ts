// The access file: reading it (bounded, every structural problem at its line and column), checking it
// against a server's roles and permissions, and writing it in one deterministic form. The format is
// described for its readers in docs/access.md and docs/access.schema.json.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import {
  type CST,
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  Parser,
  parseDocument,
  visit,
} from 'yaml';
import type { PermissionInfo, Role } from '../../api/roles.js';
import { FEATURES } from '../../domain/features.js';
import {
  foldName,
  grantedPermissions,
  isOrgAdminRole,
  matchRef,
  ROLE_REF,
  type RoleLike,
  roleScope,
} from '../../domain/identity.js';
import { expandWorkspacePermissions } from '../../domain/permissions.js';
import { emailProblem, nameProblem, parseDuration } from '../../domain/validate.js';
import { UsageError } from '../../errors.js';
import { inputError } from '../bulk.js';
import { looksBuiltin } from '../roles.js';
import {
  ACCESS_KIND,
  type AccessFile,
  type AccessGap,
  type AccessKey,
  type AccessPerson,
  type AccessRole,
  type AccessServiceAccount,
  type AccessWorkspace,
  type AccountGrant,
  type FilePath,
  type FileProblem,
  type LocatedAccessFile,
  type MemberGrant,
  type Position,
} from './model.js';

const MIB = 1024 * 1024;
export const MAX_ACCESS_FILE_BYTES = 5 * MIB;
/** Aliases a file may expand: a real access file needs few; a "billion laughs" needs millions. */
export const MAX_ALIAS_COUNT = 100;
/** Collections inside collections: an access file needs 6; YAML's own reader overflows near 1000. */
export const MAX_NESTING = 32;
export const ACCESS_FILE_HEADER =
  ' Noxus access file: the format is in docs/access.md, the schema in docs/access.schema.json';

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: string, b: string) => cmp(foldName(a), foldName(b)) || cmp(a, b);

function sizeText(n: number): string {
  if (n >= MIB) return Number.isInteger(n / MIB) ? `${n / MIB} MiB` : `${(n / MIB).toFixed(1)} MiB`;
  return `${n} bytes`;
}

// ---------------------------------------------------------------------------------------------------
// Reading

/** Reads and parses an access file; any problem (size, YAML, structure) is an InputErrors (exit 2). */
export function readAccessFile(path: string, opts: { maxBytes?: number } = {}): LocatedAccessFile {
  const max = opts.maxBytes ?? MAX_ACCESS_FILE_BYTES;
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`cannot read ${path}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Refused before reading: a huge file costs neither the memory nor the parse.
  if (size > max)
    throw inputError(path, [
      { line: 1, column: 1, message: `the file is ${sizeText(size)}; the limit is ${sizeText(max)}` },
    ]);
  return parseAccessFile(path, readFileSync(path));
}

/** Parses an access file's bytes (readAccessFile without the file system). */
export function parseAccessFile(file: string, bytes: Uint8Array): LocatedAccessFile {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw inputError(file, [{ line: 1, column: 1, message: 'the file is not valid UTF-8' }]);
  }
  const lines = new LineCounter();
  const tooDeep = deepestOffset(text);
  if (tooDeep !== undefined) {
    const before = text.slice(0, tooDeep).split('\n');
    throw inputError(file, [
      {
        line: before.length,
        column: (before.at(-1)?.length ?? 0) + 1,
        message: `nesting too deep (more than ${MAX_NESTING} levels)`,
      },
    ]);
  }
  const ydoc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const pos = (offset: number): Position => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (ydoc.errors.length)
    throw inputError(
      file,
      ydoc.errors.map((e) => ({
        ...pos(e.pos[0]),
        message:
          e.code === 'DUPLICATE_KEY'
            ? 'duplicate key (each key may appear once in a mapping)'
            : e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, ''),
      })),
    );
  let value: unknown;
  try {
    value = ydoc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    let first = 0;
    visit(ydoc, {
      Alias(_, node) {
        first = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    throw inputError(file, [
      {
        ...pos(first),
        message: `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} expansions); write the values out`,
      },
    ]);
  }

  const at = (path: FilePath, key = false): Position => pos(locate(ydoc, path, key));
  const problems: Array<{ path: FilePath; key?: boolean; message: string }> = [];
  const doc = new Shape((path, message, key) => problems.push({ path, message, key })).file(value);
  if (problems.length)
    throw inputError(
      file,
      problems.map((p) => ({ ...at(p.path, p.key), message: p.message })),
    );
  return { file, doc: doc as AccessFile, sha256, at: (path) => at(path) };
}

/**
 * Where the first collection deeper than MAX_NESTING starts, found on the syntax tree (read without
 * recursion) before YAML builds the document, which recurses once per level.
 */
function deepestOffset(text: string): number | undefined {
  const stack: Array<[CST.Token | undefined, number]> = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  while (stack.length) {
    const [t, depth] = stack.pop() as [CST.Token | undefined, number];
    if (!t) continue;
    if (t.type === 'document') stack.push([t.value, depth]);
    else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth + 1 > MAX_NESTING) return t.offset;
      for (const item of t.items) {
        stack.push([item.key ?? undefined, depth + 1]);
        stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

/** The offset of the value at `path` (of its key with `key`), or of the nearest enclosing node. */
function locate(doc: Document, path: FilePath, key: boolean): number {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p: Pair) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg),
      ) as Pair<Node, Node | null> | undefined;
      if (!pair) break;
      const keyOffset = pair.key?.range?.[0] ?? offset;
      const v = pair.value;
      // `key:` with nothing after it, or the key itself asked for: point at the key.
      if ((key && i === path.length - 1) || !v || (isScalar(v) && v.value === null && !v.source)) {
        offset = keyOffset;
        if (!v || i === path.length - 1) break;
      }
      node = v;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else break;
    if (!node || !(node as Node).range) break;
    offset = (node as Node).range![0];
  }
  return offset;
}

type Report = (path: FilePath, message: string, key?: boolean) => void;

const label = (path: FilePath): string =>
  path.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${seg}` : seg), '');

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const SECTIONS: AccessGap['section'][] = ['members', 'service_accounts', 'keys', 'people'];
const FEATURE_IDS = new Set<string>(FEATURES.map((f) => f.id));
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** `YYYY-MM-DD` (00:00 UTC) or an ISO 8601 instant with an offset, as `toISOString()`; else undefined. */
export function parseExpiry(text: string): string | undefined {
  const m = DAY.exec(text) ?? INSTANT.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date accepts 2027-02-30 as March 2nd: the day must exist in its month.
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d)
    return undefined;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]?.slice(1, 3) ?? 0) > 59))
    return undefined;
  const t = m[4] === undefined ? check.getTime() : Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** The file's structure: every problem reported, a typed document built from what is valid. */
class Shape {
  constructor(private readonly report: Report) {}

  private map(
    v: unknown,
    path: FilePath,
    required: readonly string[],
    optional: readonly string[],
  ): Record<string, unknown> | undefined {
    if (!isObject(v)) {
      this.report(
        path,
        `${label(path) || 'the file'}: must be a mapping (${[...required, ...optional].join(', ')})`,
      );
      return undefined;
    }
    const known = [...required, ...optional];
    for (const k of Object.keys(v))
      if (!known.includes(k))
        this.report([...path, k], `${label([...path, k])}: unknown key (expected ${known.join(', ')})`, true);
    for (const k of required) if (!(k in v)) this.report(path, `${label(path) || 'the file'}: missing ${k}`);
    return v;
  }

  private list<T>(v: unknown, path: FilePath, item: (x: unknown, p: FilePath) => T | undefined): T[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.report(path, `${label(path)}: must be a list`);
      return [];
    }
    return v.map((x, i) => item(x, [...path, i])).filter((x): x is T => x !== undefined);
  }

  private string(
    v: unknown,
    path: FilePath,
    problem: (s: unknown) => string | undefined = (s) =>
      typeof s === 'string' ? undefined : 'must be a string',
  ): string {
    if (v === undefined) return '';
    const p = problem(v);
    if (p) this.report(path, `${label(path)}: ${p}`);
    return typeof v === 'string' ? v : '';
  }

  private name = (v: unknown, path: FilePath) => this.string(v, path, (s) => nameProblem(s));

  private optionalString(v: unknown, path: FilePath): string | null | undefined {
    if (v === undefined || v === null) return v as null | undefined;
    return this.string(v, path);
  }

  private expiry(v: unknown, path: FilePath): string | null | undefined {
    if (v === undefined || v === null) return v as null | undefined;
    const iso = typeof v === 'string' ? parseExpiry(v) : undefined;
    if (iso === undefined)
      this.report(
        path,
        `${label(path)}: ${JSON.stringify(v)} is not a date (YYYY-MM-DD) or an ISO 8601 instant with an offset (2027-01-31T17:00:00Z)`,
      );
    return iso ?? null;
  }

  private permissions(v: unknown, path: FilePath): string[] {
    return this.list(v, path, (x, p) => {
      if (typeof x === 'string' && x.trim() !== '') return x;
      this.report(p, `${label(p)}: must be a permission name`);
      return undefined;
    });
  }

  file(v: unknown): AccessFile | undefined {
    if (v === null || v === undefined) {
      this.report([], 'the file is empty; it starts with version: 1 and kind: noxus-access');
      return undefined;
    }
    const m = this.map(
      v,
      [],
      ['version', 'kind', 'roles', 'people', 'workspaces', 'service_accounts'],
      ['server', 'organization', 'unreadable', 'offboarding'],
    );
    if (!m) return undefined;
    if ('version' in m && m.version !== 1)
      this.report(['version'], `version: must be 1, got ${JSON.stringify(m.version)}`);
    if ('kind' in m && m.kind !== ACCESS_KIND)
      this.report(['kind'], `kind: must be ${ACCESS_KIND}, got ${JSON.stringify(m.kind)}`);
    const doc: AccessFile = {
      version: 1,
      kind: ACCESS_KIND,
      roles: [],
      people: [],
      workspaces: [],
      service_accounts: [],
    };
    if (m.server !== undefined) doc.server = this.string(m.server, ['server']);
    if (m.organization !== undefined)
      doc.organization = this.optionalString(m.organization, ['organization']);
    if (m.unreadable !== undefined)
      doc.unreadable = this.list(m.unreadable, ['unreadable'], (x, p) => this.gap(x, p));
    if (m.offboarding !== undefined) {
      const o = this.map(m.offboarding, ['offboarding'], ['transfer_to'], []);
      if (o) doc.offboarding = { transfer_to: this.string(o.transfer_to, ['offboarding', 'transfer_to']) };
    }
    doc.roles = this.list(m.roles, ['roles'], (x, p) => this.role(x, p));
    doc.people = this.list(m.people, ['people'], (x, p) => this.person(x, p));
    doc.workspaces = this.list(m.workspaces, ['workspaces'], (x, p) => this.workspace(x, p));
    doc.service_accounts = this.list(m.service_accounts, ['service_accounts'], (x, p) => this.account(x, p));
    return doc;
  }

  private gap(v: unknown, p: FilePath): AccessGap | undefined {
    const m = this.map(v, p, ['section', 'feature', 'reason'], []);
    if (!m) return undefined;
    const section = this.string(m.section, [...p, 'section'], (s) =>
      SECTIONS.includes(s as AccessGap['section']) ? undefined : `must be one of ${SECTIONS.join(', ')}`,
    );
    const feature = this.string(m.feature, [...p, 'feature'], (s) =>
      typeof s === 'string' && FEATURE_IDS.has(s) ? undefined : 'must be a feature id',
    );
    return {
      section: section as AccessGap['section'],
      feature: feature as AccessGap['feature'],
      reason: this.string(m.reason, [...p, 'reason']),
    };
  }

  private role(v: unknown, p: FilePath): AccessRole | undefined {
    const m = this.map(v, p, ['name', 'scope', 'permissions'], []);
    if (!m) return undefined;
    return {
      name: this.name(m.name, [...p, 'name']),
      scope: this.string(m.scope, [...p, 'scope'], (s) =>
        s === 'org' || s === 'workspace' ? undefined : 'must be org or workspace',
      ) as AccessRole['scope'],
      permissions: this.permissions(m.permissions, [...p, 'permissions']),
    };
  }

  private person(v: unknown, p: FilePath): AccessPerson | undefined {
    const m = this.map(v, p, ['email', 'name', 'org_role'], ['suspended']);
    if (!m) return undefined;
    const person: AccessPerson = {
      email: this.string(m.email, [...p, 'email'], emailProblem),
      name: this.name(m.name, [...p, 'name']),
      org_role: this.name(m.org_role, [...p, 'org_role']),
    };
    if (m.suspended !== undefined) {
      if (typeof m.suspended !== 'boolean')
        this.report([...p, 'suspended'], `${label([...p, 'suspended'])}: must be true or false`);
      else person.suspended = m.suspended;
    }
    return person;
  }

  private terms(
    m: Record<string, unknown>,
    p: FilePath,
  ): { role: string; reason?: string | null; expires?: string | null } {
    const g: { role: string; reason?: string | null; expires?: string | null } = {
      role: this.name(m.role, [...p, 'role']),
    };
    if (m.reason !== undefined) g.reason = this.optionalString(m.reason, [...p, 'reason']);
    if (m.expires !== undefined) g.expires = this.expiry(m.expires, [...p, 'expires']);
    return g;
  }

  private workspace(v: unknown, p: FilePath): AccessWorkspace | undefined {
    const m = this.map(v, p, ['name', 'members'], []);
    if (!m) return undefined;
    return {
      name: this.name(m.name, [...p, 'name']),
      members: this.list(m.members, [...p, 'members'], (x, q) => {
        const g = this.map(x, q, ['user', 'role'], ['reason', 'expires']);
        if (!g) return undefined;
        return {
          user: this.string(g.user, [...q, 'user'], emailProblem),
          ...this.terms(g, q),
        } as MemberGrant;
      }),
    };
  }

  private account(v: unknown, p: FilePath): AccessServiceAccount | undefined {
    const m = this.map(v, p, ['email', 'name', 'org_role', 'workspaces', 'keys'], []);
    if (!m) return undefined;
    return {
      email: this.string(m.email, [...p, 'email'], emailProblem),
      name: this.name(m.name, [...p, 'name']),
      org_role: this.name(m.org_role, [...p, 'org_role']),
      workspaces: this.list(m.workspaces, [...p, 'workspaces'], (x, q) => {
        const g = this.map(x, q, ['workspace', 'role'], ['reason', 'expires']);
        if (!g) return undefined;
        return {
          workspace: this.name(g.workspace, [...q, 'workspace']),
          ...this.terms(g, q),
        } as AccountGrant;
      }),
      keys: this.list(m.keys, [...p, 'keys'], (x, q) => this.key(x, q)),
    };
  }

  private key(v: unknown, p: FilePath): AccessKey | undefined {
    const m = this.map(v, p, ['name', 'workspace'], ['restrict', 'expires', 'rotate_every']);
    if (!m) return undefined;
    const k: AccessKey = {
      name: this.name(m.name, [...p, 'name']),
      workspace: this.name(m.workspace, [...p, 'workspace']),
    };
    if (m.restrict !== undefined) {
      k.restrict = m.restrict === null ? null : this.permissions(m.restrict, [...p, 'restrict']);
      // The server refuses an empty restriction rather than read it as "nothing" or "everything".
      if (Array.isArray(m.restrict) && m.restrict.length === 0)
        this.report(
          [...p, 'restrict'],
          `${label([...p, 'restrict'])}: must list at least one permission; leave it out for an unrestricted key`,
        );
    }
    if (m.expires !== undefined) k.expires = this.expiry(m.expires, [...p, 'expires']);
    if (m.rotate_every !== undefined)
      k.rotate_every = this.string(m.rotate_every, [...p, 'rotate_every'], (s) =>
        typeof s === 'string' && s === s.trim() && parseDuration(s) !== undefined
          ? undefined
          : `must be a duration such as 90d, 12w or 24h, got ${JSON.stringify(s)}`,
      );
    return k;
  }
}

// ---------------------------------------------------------------------------------------------------
// Checking against a server

/** A role the file can name: a server role, or a custom role of the file (which wins over its namesake). */
export interface NamedRole extends RoleLike {
  scope: 'org' | 'workspace';
  /** True for a role the file defines under `roles`. */
  fromFile: boolean;
}

/** The roles a file's references resolve against: the file's custom roles, then the server's others. */
export function accessRoles(doc: AccessFile, serverRoles: readonly Role[]): NamedRole[] {
  const taken = new Set<string>();
  const own: NamedRole[] = [];
  // A duplicate custom role is a problem of its own; references resolve to the first.
  doc.roles.forEach((r, i) => {
    if (taken.has(foldName(r.name))) return;
    taken.add(foldName(r.name));
    own.push({ id: `file:${i}`, name: r.name, scope: r.scope, permissions: r.permissions, fromFile: true });
  });
  return [
    ...own,
    ...serverRoles
      .filter((r) => !taken.has(foldName(r.name)))
      .map((r) => ({
        id: r.id,
        name: r.name,
        scope: roleScope(r),
        permissions: grantedPermissions(r),
        fromFile: false,
      })),
  ];
}

/** The role a file names, by name only (files never hold ids): folded as ROLE_REF matches names. */
export function findAccessRole(
  roles: readonly NamedRole[],
  name: string,
): { role?: NamedRole; ambiguous?: NamedRole[] } {
  const m = matchRef(
    roles.map((r) => ({ ...r, id: `\0${r.id}` })),
    name,
    ROLE_REF,
  );
  if (m.kind === 'one') return { role: roles.find((r) => `\0${r.id}` === m.item.id) };
  if (m.kind === 'ambiguous')
    return { ambiguous: m.items.map((x) => roles.find((r) => `\0${r.id}` === x.id)!) };
  return {};
}

/** The semantic rules of the file (docs/access.md "Rules"): every problem, sorted by position. */
export function checkAccessFile(
  f: LocatedAccessFile,
  lists: {
    roles: Role[];
    permissions?: PermissionInfo[];
    /**
     * Whether the server already holds this account key with this restriction. Such a key is not
     * refused for lacking a grant or exceeding its account's role: the server keeps it degraded
     * (it does less, by the live rule), and the plan neither creates nor changes it.
     */
    held?: (account: string, key: AccessKey) => boolean;
  },
  now: Date,
): FileProblem[] {
  const doc = f.doc;
  const problems: FileProblem[] = [];
  const report = (path: FilePath, message: string) =>
    problems.push({ ...f.at(path), message: `${label(path)}: ${message}` });
  const line = (path: FilePath) => f.at(path).line;
  const roles = accessRoles(doc, lists.roles);
  const catalogue = lists.permissions ? new Map(lists.permissions.map((p) => [p.name, p])) : undefined;

  const role = (path: FilePath, name: string, scope: 'org' | 'workspace'): NamedRole | undefined => {
    const { role: r, ambiguous } = findAccessRole(roles, name);
    if (ambiguous) {
      report(path, `role name "${name}" matches ${ambiguous.length} roles on the server; rename one`);
      return undefined;
    }
    const names = roles.filter((x) => x.scope === scope).map((x) => x.name);
    if (!r) {
      report(path, `unknown role "${name}" (${scope} roles: ${names.join(', ') || 'none'})`);
      return undefined;
    }
    if (r.scope !== scope) {
      report(
        path,
        `"${r.name}" is ${r.scope === 'org' ? 'an org' : 'a workspace'} role; ${scope === 'org' ? 'org_role needs an org role' : 'a grant needs a workspace role'} (${names.join(', ') || 'none'})`,
      );
      return undefined;
    }
    return r;
  };
  const expiry = (path: FilePath, value: string | null | undefined) => {
    if (value && Date.parse(value) <= now.getTime())
      report(path, `${value} is in the past (now ${now.toISOString()})`);
  };
  const known = (path: FilePath, p: string, scope: 'org' | 'workspace'): boolean => {
    if (!catalogue) return true;
    const info = catalogue.get(p);
    if (!info && !(scope === 'org' && p.endsWith(':*'))) {
      report(path, `unknown permission "${p}"`);
      return false;
    }
    if (info && info.scope !== scope) {
      report(
        path,
        `"${p}" is ${info.scope === 'org' ? 'an org' : 'a workspace'} permission; ${scope === 'org' ? 'an org role takes org permissions' : 'workspace roles and keys take workspace permissions'}`,
      );
      return false;
    }
    return true;
  };
  const seen = <T>(
    list: readonly T[],
    key: (t: T) => string,
    path: (i: number) => FilePath,
    what: (t: T) => string,
  ) => {
    const first = new Map<string, number>();
    list.forEach((t, i) => {
      const k = key(t);
      const j = first.get(k);
      if (j === undefined) first.set(k, i);
      else report(path(i), `duplicate ${what(t)} (first at line ${line(path(j))})`);
    });
  };

  // Custom roles
  seen(
    doc.roles,
    (r) => foldName(r.name),
    (i) => ['roles', i, 'name'],
    (r) => `role "${r.name}"`,
  );
  doc.roles.forEach((r, i) => {
    const server = lists.roles.find((s) => foldName(s.name) === foldName(r.name));
    if (server && (server.builtin === true || (server.builtin === undefined && looksBuiltin(server))))
      report(['roles', i, 'name'], `"${server.name}" is a built-in role; the file lists custom roles only`);
    else if (server && roleScope(server) !== r.scope)
      report(
        ['roles', i, 'scope'],
        `role "${server.name}" is ${roleScope(server) === 'org' ? 'an org' : 'a workspace'} role on the server; a role's scope cannot change`,
      );
    r.permissions.forEach((p, j) => {
      known(['roles', i, 'permissions', j], p, r.scope);
    });
  });

  // People and accounts: who is who, and who is an org admin in the desired state
  const firstIndex = (emails: string[]) => {
    const m = new Map<string, number>();
    emails.forEach((e, i) => {
      if (!m.has(foldName(e))) m.set(foldName(e), i);
    });
    return m;
  };
  const personByEmail = firstIndex(doc.people.map((p) => p.email));
  const accountByEmail = firstIndex(doc.service_accounts.map((a) => a.email));
  seen(
    doc.people,
    (p) => foldName(p.email),
    (i) => ['people', i, 'email'],
    (p) => `person "${p.email}"`,
  );
  seen(
    doc.service_accounts,
    (a) => foldName(a.email),
    (i) => ['service_accounts', i, 'email'],
    (a) => `service account "${a.email}"`,
  );
  const admin = new Map<string, NamedRole>();
  // A duplicate entry is reported as such and feeds no other rule: the first one is the person.
  doc.people.forEach((p, i) => {
    const r = role(['people', i, 'org_role'], p.org_role, 'org');
    if (r && isOrgAdminRole(r) && personByEmail.get(foldName(p.email)) === i) admin.set(foldName(p.email), r);
  });
  doc.service_accounts.forEach((a, i) => {
    const both = personByEmail.get(foldName(a.email));
    if (both !== undefined)
      report(
        ['service_accounts', i, 'email'],
        `"${a.email}" is also listed under people (line ${line(['people', both, 'email'])}); an email is a person or a service account`,
      );
    const r = role(['service_accounts', i, 'org_role'], a.org_role, 'org');
    if (r && isOrgAdminRole(r) && accountByEmail.get(foldName(a.email)) === i)
      admin.set(foldName(a.email), r);
  });

  // Workspaces and people's grants
  const workspaces = new Set(doc.workspaces.map((w) => foldName(w.name)));
  const workspaceNames = [...new Set(doc.workspaces.map((w) => w.name))].join(', ') || 'none';
  seen(
    doc.workspaces,
    (w) => foldName(w.name),
    (i) => ['workspaces', i, 'name'],
    (w) => `workspace "${w.name}"`,
  );
  const adminGrant = (path: FilePath, email: string, r: NamedRole) =>
    report(
      path,
      `${email} is an org admin (org role ${r.name}): admin on every workspace, so no grant is listed`,
    );
  doc.workspaces.forEach((w, i) => {
    seen(
      w.members,
      (g) => foldName(g.user),
      (j) => ['workspaces', i, 'members', j, 'user'],
      (g) => `grant of ${g.user} in ${w.name}`,
    );
    w.members.forEach((g, j) => {
      const p: FilePath = ['workspaces', i, 'members', j];
      const who = foldName(g.user);
      if (!personByEmail.has(who)) {
        if (accountByEmail.has(who))
          report(
            [...p, 'user'],
            `${g.user} is a service account: service account grants are listed under service_accounts[].workspaces`,
          );
        else report([...p, 'user'], `unknown person "${g.user}" (not in people)`);
      }
      const a = admin.get(who);
      if (a && personByEmail.has(who)) adminGrant([...p, 'user'], g.user, a);
      role([...p, 'role'], g.role, 'workspace');
      expiry([...p, 'expires'], g.expires);
    });
  });

  // Service accounts: grants and keys
  doc.service_accounts.forEach((acct, i) => {
    const base: FilePath = ['service_accounts', i];
    const isAdmin = admin.get(foldName(acct.email));
    seen(
      acct.workspaces,
      (g) => foldName(g.workspace),
      (j) => [...base, 'workspaces', j, 'workspace'],
      (g) => `grant in ${g.workspace}`,
    );
    const grantRole = new Map<string, NamedRole | undefined>();
    acct.workspaces.forEach((g, j) => {
      const p: FilePath = [...base, 'workspaces', j];
      if (!workspaces.has(foldName(g.workspace)))
        report([...p, 'workspace'], `unknown workspace "${g.workspace}" (workspaces: ${workspaceNames})`);
      if (isAdmin) adminGrant([...p, 'workspace'], acct.email, isAdmin);
      const r = role([...p, 'role'], g.role, 'workspace');
      if (!grantRole.has(foldName(g.workspace))) grantRole.set(foldName(g.workspace), r);
      expiry([...p, 'expires'], g.expires);
    });
    seen(
      acct.keys,
      (k) => `${foldName(k.workspace)}\0${foldName(k.name)}`,
      (j) => [...base, 'keys', j, 'name'],
      (k) => `key "${k.name}" in ${k.workspace}`,
    );
    acct.keys.forEach((k, j) => {
      const p: FilePath = [...base, 'keys', j];
      const ws = foldName(k.workspace);
      const held = lists.held?.(acct.email, k) === true;
      if (!workspaces.has(ws))
        report([...p, 'workspace'], `unknown workspace "${k.workspace}" (workspaces: ${workspaceNames})`);
      else if (!isAdmin && !held && !grantRole.has(ws))
        report(
          [...p, 'workspace'],
          `${acct.email} has no grant in ${k.workspace}: list one under its workspaces, or move the key`,
        );
      const r = grantRole.get(ws);
      const bound = isAdmin ? undefined : r ? expandWorkspacePermissions(grantedPermissions(r)) : undefined;
      (k.restrict ?? []).forEach((perm, n) => {
        if (!known([...p, 'restrict', n], perm, 'workspace')) return;
        if (!held && bound && !expandWorkspacePermissions([perm]).every((q) => bound.includes(q)))
          report(
            [...p, 'restrict', n],
            `"${perm}" is beyond what role ${r!.name} grants ${acct.email} in ${k.workspace}`,
          );
      });
      expiry([...p, 'expires'], k.expires);
    });
  });

  if (doc.offboarding) {
    const to = doc.offboarding.transfer_to;
    if (!personByEmail.has(foldName(to)))
      report(
        ['offboarding', 'transfer_to'],
        accountByEmail.has(foldName(to))
          ? `${to} is a service account; work is transferred to a person in people`
          : `unknown person "${to}" (not in people)`,
      );
  }
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

// ---------------------------------------------------------------------------------------------------
// Writing

const terms = <T extends { reason?: string | null; expires?: string | null }>(g: T) => ({
  ...(g.reason ? { reason: g.reason } : {}),
  ...(g.expires ? { expires: new Date(g.expires).toISOString() } : {}),
});

/** The file's deterministic form: sorted, model field order, absent instead of null or false. */
export function normalizeAccess(doc: AccessFile): AccessFile {
  const out: AccessFile = { version: 1, kind: ACCESS_KIND } as AccessFile;
  if (doc.server !== undefined) out.server = doc.server;
  if (doc.organization !== undefined && doc.organization !== null) out.organization = doc.organization;
  if (doc.unreadable !== undefined)
    out.unreadable = doc.unreadable
      .map((g) => ({ section: g.section, feature: g.feature, reason: g.reason }))
      .sort((a, b) => cmp(a.section, b.section) || cmp(a.feature, b.feature));
  if (doc.offboarding) out.offboarding = { transfer_to: doc.offboarding.transfer_to };
  out.roles = doc.roles
    .map((r) => ({ name: r.name, scope: r.scope, permissions: [...new Set(r.permissions)].sort(cmp) }))
    .sort((a, b) => cmp(a.scope, b.scope) || byName(a.name, b.name));
  out.people = doc.people
    .map((p) => ({
      email: p.email,
      name: p.name,
      org_role: p.org_role,
      ...(p.suspended ? { suspended: true } : {}),
    }))
    .sort((a, b) => byName(a.email, b.email));
  out.workspaces = doc.workspaces
    .map((w) => ({
      name: w.name,
      members: w.members
        .map((g) => ({ user: g.user, role: g.role, ...terms(g) }))
        .sort((a, b) => byName(a.user, b.user)),
    }))
    .sort((a, b) => byName(a.name, b.name));
  out.service_accounts = doc.service_accounts
    .map((a) => ({
      email: a.email,
      name: a.name,
      org_role: a.org_role,
      workspaces: a.workspaces
        .map((g) => ({ workspace: g.workspace, role: g.role, ...terms(g) }))
        .sort((x, y) => byName(x.workspace, y.workspace)),
      keys: a.keys
        .map((k) => ({
          name: k.name,
          workspace: k.workspace,
          ...(k.restrict ? { restrict: [...new Set(k.restrict)].sort(cmp) } : {}),
          ...(k.expires ? { expires: new Date(k.expires).toISOString() } : {}),
          ...(k.rotate_every ? { rotate_every: k.rotate_every } : {}),
        }))
        .sort((x, y) => byName(x.workspace, y.workspace) || byName(x.name, y.name)),
    }))
    .sort((a, b) => byName(a.email, b.email));
  return out;
}

/** The file's text: a header naming the docs, then the normalised document. */
export function formatAccessFile(doc: AccessFile): string {
  const d = new Document(normalizeAccess(doc));
  visit(d, {
    Pair(_, pair) {
      if (!isPair(pair) || !isScalar(pair.key) || !isSeq(pair.value)) return;
      if (pair.key.value === 'restrict' || pair.key.value === 'permissions') pair.value.flow = true;
    },
  });
  return `#${ACCESS_FILE_HEADER}\n${d.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}

/**
 * The JSON that says what access a document describes: normalised, without what the server assigns
 * (server, organization, unreadable) or only the file holds (offboarding, rotate_every). Plan and
 * apply compare its hash to tell whether the server changed.
 */
export function canonicalAccessJson(doc: AccessFile): string {
  const n = normalizeAccess(doc);
  const { server: _s, organization: _o, unreadable: _u, offboarding: _b, ...rest } = n;
  return JSON.stringify({
    ...rest,
    service_accounts: rest.service_accounts.map((a) => ({
      ...a,
      keys: a.keys.map(({ rotate_every: _r, ...k }) => k),
    })),
  });
}

export function accessSha256(doc: AccessFile): string {
  return createHash('sha256').update(canonicalAccessJson(doc), 'utf8').digest('hex');
}
