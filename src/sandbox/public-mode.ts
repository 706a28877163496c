// Which routes the sandbox serves and how it answers the others. `full` serves everything it
// implements; `public` serves only what the public Noxus API confirms (the feature catalogue), so the
// CLI can be tried against a faithful stand-in of the real backend. Unknown routes are answered as a
// FastAPI app answers them, or as a deployment behind nginx or an API gateway does.

import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { FEATURES, publicRouteKeys, routeKey, splitRoute } from '../domain/features.js';

export type ApiMode = 'full' | 'public';
export type UnknownRoutes = 'fastapi' | 'html' | 'gateway-403';

export interface RouteModeOptions {
  api?: ApiMode;
  unknownRoutes?: UnknownRoutes;
  /** Serve /openapi.json (default true); off makes clients fall back to probing. */
  openapi?: boolean;
  version?: string;
}

export interface RouteEntry {
  method: string;
  url: string;
  pattern: RegExp;
  schema?: { body?: unknown; querystring?: unknown };
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Routes outside the API that every mode keeps: the web console's stand-ins and the health check. */
function outsideApi(url: string): boolean {
  return url === '/healthz' || url.startsWith('/console/') || url.startsWith('/invite/');
}

function patternOf(url: string): RegExp {
  const esc = url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${esc}/?$`);
}

/** Body fields that extensions add to public routes: absent from the public API's request models. */
function extensionFields(): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const f of FEATURES) {
    if (f.public || !('fields' in f) || !f.fields) continue;
    const { method, path } = splitRoute(f.fields.route);
    const k = routeKey(method, path);
    const s = m.get(k) ?? new Set<string>();
    for (const n of f.fields.names) s.add(n);
    m.set(k, s);
  }
  return m;
}

function withoutFields(body: unknown, drop: Set<string>): unknown {
  const b = body as { properties?: Record<string, unknown>; required?: string[] };
  if (!b || typeof b !== 'object' || !b.properties) return body;
  const properties = Object.fromEntries(Object.entries(b.properties).filter(([k]) => !drop.has(k)));
  const required = b.required?.filter((k) => !drop.has(k));
  return { ...b, properties, ...(required ? { required } : {}) };
}

const NGINX_404 = `<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>nginx</center>
</body>
</html>
`;

/**
 * Installs the route filter; call before registering any route (it watches registrations).
 * Returns nothing: the filter answers requests itself and serves /openapi.json when asked to.
 */
export function installRouteModes(app: FastifyInstance, opts: RouteModeOptions): void {
  const api = opts.api ?? 'full';
  const unknown = opts.unknownRoutes ?? 'fastapi';
  const publicKeys = publicRouteKeys();
  const dropFields = extensionFields();
  const routes: RouteEntry[] = [];

  const served = (method: string, url: string): boolean =>
    api === 'full' ||
    outsideApi(url) ||
    (url === '/openapi.json' && method === 'GET') ||
    publicKeys.has(routeKey(method, url));

  app.addHook('onRoute', (r: RouteOptions) => {
    const methods = (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase());
    for (const method of methods) {
      if (!METHODS.has(method)) continue;
      if (api === 'public') {
        const drop = dropFields.get(routeKey(method, r.url));
        if (drop && r.schema?.body) r.schema = { ...r.schema, body: withoutFields(r.schema.body, drop) };
      }
      routes.push({
        method,
        url: r.url,
        pattern: patternOf(r.url),
        schema: r.schema as RouteEntry['schema'],
      });
    }
  });

  const refuse = (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    if (unknown === 'html') return reply.status(404).type('text/html').send(NGINX_404);
    if (unknown === 'gateway-403') return reply.status(403).send({ message: 'Forbidden' });
    const allow = [
      ...new Set(routes.filter((r) => served(r.method, r.url) && r.pattern.test(path)).map((r) => r.method)),
    ];
    if (allow.length) {
      return reply.status(405).header('allow', allow.join(', ')).send({ detail: 'Method Not Allowed' });
    }
    return reply.status(404).send({ detail: 'Not Found' });
  };

  app.addHook('onRequest', async (req, reply) => {
    const url = req.routeOptions.url;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (url !== undefined && !served(method, url)) return refuse(req, reply);
  });
  app.setNotFoundHandler(refuse);

  if (opts.openapi !== false) {
    let doc: unknown;
    app.get('/openapi.json', async () => {
      doc ??= openApiDocument(
        routes.filter((r) => r.url.startsWith('/v1/') && served(r.method, r.url)),
        api,
        opts.version ?? 'dev',
      );
      return doc;
    });
  }
}

function operationId(method: string, url: string): string {
  return `${method.toLowerCase()}_${url
    .replace(/^\/v1\//, '')
    .replace(/:([A-Za-z_]+)/g, 'by_$1')
    .replace(/[^A-Za-z0-9]+/g, '_')}`;
}

const pascal = (s: string) =>
  s
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');

/** An OpenAPI 3.1 document shaped as FastAPI writes it: request bodies as `$ref`s into components. */
export function openApiDocument(routes: readonly RouteEntry[], api: ApiMode, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const id = operationId(r.method, r.url);
    const parameters: unknown[] = [...r.url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string', title: pascal(m[1] as string) },
    }));
    const query = r.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
    for (const [name, schema] of Object.entries(query?.properties ?? {})) {
      parameters.push({ name, in: 'query', required: false, schema });
    }
    const op: Record<string, unknown> = {
      operationId: id,
      responses: {
        '200': { description: 'Successful Response', content: { 'application/json': { schema: {} } } },
        '422': { description: 'Validation Error' },
      },
    };
    if (parameters.length) op.parameters = parameters;
    if (r.schema?.body) {
      const name = `${pascal(id)}Request`;
      schemas[name] = { title: name, ...(r.schema.body as object) };
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
      };
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: api === 'public' ? 'Noxus API (sandbox, public endpoints only)' : 'Noxus API (sandbox)',
      version,
    },
    paths,
    components: { schemas },
  };
}
