import { randomBytes } from 'node:crypto';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { authenticate, type Principal, readKey } from './auth.js';
import type { Clock } from './clock.js';
import type { DB } from './db.js';
import { HttpError } from './errors.js';
import { IdempotencyStore, type IdemRef } from './idempotency.js';
import type { Mailer } from './model.js';
import { Model } from './model.js';
import { type ApiMode, installRouteModes, type UnknownRoutes } from './public-mode.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerPublicRoutes } from './routes/public.js';
import { registerResourceRoutes } from './routes/resources.js';
import { Store } from './store.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface ServerOptions {
  db: DB;
  mailer?: Mailer;
  /** Requests per second across all callers; 0 or undefined disables it. */
  rateLimit?: number;
  invitationTtlMs?: number;
  /** Where "now" comes from (default: the system clock); tests pass a manual one. */
  clock?: Clock;
  version?: string;
  /** Fault injection for reliability tests: fail the next N requests matching a route with a status. */
  faults?: FaultRule[];
  /** How often the invitation outbox looks for due deliveries (default 1 s). */
  deliveryIntervalMs?: number;
  /** Invitation delivery attempts before 'failed', and the first retry wait (see model/invitations.ts). */
  deliveryAttempts?: number;
  deliveryRetryMs?: number;
  /** `public` serves only the routes the public Noxus API confirms (docs/api.md). */
  api?: ApiMode;
  /** How routes the sandbox does not serve are answered. */
  unknownRoutes?: UnknownRoutes;
  /** Serve /openapi.json (default true). */
  openapi?: boolean;
}

export interface FaultRule {
  method: string;
  /** Matched against the route pattern, e.g. /v1/admin/users/:id/suspend. */
  route: string;
  status: number;
  times: number;
  /** Fail after the handler ran (the change is committed, the reply is lost). */
  after?: boolean;
}

export interface Sandbox {
  app: FastifyInstance;
  model: Model;
  setPublicUrl(url: string): void;
}

const MAX_BODY = 1024 * 1024;

export function buildServer(opts: ServerOptions): Sandbox {
  let publicUrl = 'http://127.0.0.1';
  let outbox: NodeJS.Timeout | undefined;
  const store = new Store(opts.db, opts.clock);
  const idem = new IdempotencyStore(store);
  // No request survives its process: rows still in flight were left by a crash.
  const reclaimed = idem.reclaimInFlight();
  if (reclaimed > 0)
    process.stderr.write(`sandbox: reclaimed ${reclaimed} idempotency record(s) left in flight by a crash\n`);
  const model = new Model(store, {
    publicUrl: () => publicUrl,
    deliveryAttempts: opts.deliveryAttempts,
    deliveryRetryMs: opts.deliveryRetryMs,
    mailer: opts.mailer,
    invitationTtlMs: opts.invitationTtlMs,
    clock: opts.clock,
  });
  const app = Fastify({
    bodyLimit: MAX_BODY,
    logger: false,
    genReqId: () => `req_${randomBytes(9).toString('base64url')}`,
    // Errors fastify raises before routing (bad %-escapes, over-long parameters) get our shape too.
    frameworkErrors: (error, req, reply) => {
      reply.header('x-request-id', req.id);
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      (reply as FastifyReply).code(status >= 400 && status < 500 ? status : 400).send({
        detail: status === 414 ? 'a path parameter is too long' : 'malformed URL',
      });
    },
    ajv: undefined,
  });

  // Bodies are validated strictly (no coercion, unknown fields refused); query strings are coerced.
  const bodyAjv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    coerceTypes: false,
    useDefaults: true,
    strict: false,
  });
  const queryAjv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    coerceTypes: 'array',
    useDefaults: true,
    strict: false,
  });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object),
  );

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const limiter = opts.rateLimit && opts.rateLimit > 0 ? makeLimiter(opts.rateLimit) : undefined;
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (limiter && !limiter()) {
      reply.header('retry-after', '1');
      throw new HttpError(
        429,
        `rate limit exceeded (${opts.rateLimit} requests per second); retry after 1 s`,
      );
    }
    // Grants whose expiry has come are logged as lapsed before this request can see or change
    // anything (reads already ignore them: the live rule in store.ts).
    model.workspaces.lapseDue();
  });

  const faults = opts.faults ?? [];
  app.addHook('preHandler', async (req) => {
    const f = faults.find(
      (r) => !r.after && r.times > 0 && r.method === req.method && req.routeOptions.url === r.route,
    );
    if (f) {
      f.times--;
      throw new HttpError(f.status, `injected fault (${f.status})`);
    }
  });

  // Authentication before body validation (as FastAPI's dependencies do): a caller without a valid
  // key gets 401, never a schema error.
  app.addHook('preValidation', async (req) => {
    const url = req.routeOptions.url ?? '';
    if (!url.startsWith('/v1/') || url.startsWith('/v1/invitations/')) return;
    req.principal = authenticate(model, readKey(req.headers), req.id);
    req.principal.actor.route = url;
    req.principal.actor.method = req.method;
  });

  // Requests that recorded an Idempotency-Key row; only they may complete or drop it, so a refused
  // reuse (other path, still in progress, invalid body) never overwrites the stored response.
  const claimed = new WeakMap<FastifyRequest, IdemRef>();
  app.addHook('preHandler', async (req, reply) => {
    if (req.principal && req.method === 'POST') return idempotencyCheck(idem, req, reply, claimed);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const ref = claimed.get(req);
    if (ref) {
      if (reply.statusCode < 500 && reply.getHeader('idempotent-replayed') !== 'true') {
        idem.complete(ref, req.method, req.url, reply.statusCode, typeof payload === 'string' ? payload : '');
      } else if (reply.statusCode >= 500) {
        idem.drop(ref);
      }
    }
    const f = faults.find(
      (r) => r.after && r.times > 0 && r.method === req.method && req.routeOptions.url === r.route,
    );
    if (f) {
      f.times--;
      reply.raw.destroy();
    }
    return payload;
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.status).send({ detail: err.detail, ...err.extra });
    }
    const e = err as {
      validation?: unknown[];
      validationContext?: string;
      code?: string;
      statusCode?: number;
      message?: string;
      name?: string;
    };
    if (e.validation) {
      return reply
        .status(422)
        .send({ detail: validationDetail(e.validation as AjvError[], e.validationContext ?? 'body') });
    }
    if (
      e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (e.name === 'SyntaxError' && e.message?.includes('JSON'))
    ) {
      return reply
        .status(422)
        .send({ detail: [{ loc: ['body'], msg: `invalid JSON body: ${e.message}`, type: 'json_invalid' }] });
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ detail: `request body larger than ${MAX_BODY} bytes` });
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send({ detail: 'unsupported content type; send application/json' });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send({ detail: e.message ?? 'bad request' });
    }
    req.log.error(err);
    process.stderr.write(
      // The route pattern, not the URL: a path can carry an invitation token.
      `sandbox: internal error on ${req.method} ${req.routeOptions.url ?? '?'} (${req.id}): ${(err as Error)?.stack ?? err}\n`,
    );
    return reply.status(500).send({ detail: `internal error (request id ${req.id})` });
  });

  installRouteModes(app, {
    api: opts.api,
    unknownRoutes: opts.unknownRoutes,
    openapi: opts.openapi,
    version: opts.version,
  });

  app.get('/healthz', async () => ({
    ok: true,
    version: opts.version ?? 'dev',
    organization: model.organizationName(),
  }));

  app.addHook('onClose', async () => {
    if (outbox) clearInterval(outbox);
    await model.invitations.idle();
  });

  registerAdminRoutes(app, model);
  registerKeyRoutes(app, model);
  registerResourceRoutes(app, model);
  registerPublicRoutes(app, model);
  registerConsoleRoutes(app, model);

  return {
    app,
    model,
    setPublicUrl(url: string) {
      publicUrl = url.replace(/\/$/, '');
      // The outbox starts once links can be built: pending deliveries of a crashed run go out now.
      if (!outbox) {
        let busy = false;
        const tick = () => {
          if (busy) return;
          busy = true;
          model.invitations
            .deliverDue()
            .catch((e) => process.stderr.write(`sandbox: invitation delivery: ${(e as Error).message}\n`))
            .finally(() => {
              busy = false;
            });
        };
        outbox = setInterval(tick, opts.deliveryIntervalMs ?? 1000);
        outbox.unref();
        tick();
      }
    },
  };
}

function idemKey(req: FastifyRequest): string | undefined {
  const v = req.headers['idempotency-key'];
  return typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined;
}

function idempotencyCheck(
  idem: IdempotencyStore,
  req: FastifyRequest,
  reply: FastifyReply,
  claimed: WeakMap<FastifyRequest, IdemRef>,
): FastifyReply | undefined {
  const key = idemKey(req);
  const principal = req.principal;
  if (!key || !principal) return undefined;
  const ref = idem.ref(principal.key.id, key);
  const prior = idem.find(ref);
  if (!prior) {
    idem.claim(ref, req.method, req.url);
    claimed.set(req, ref);
    principal.actor.idempotency = ref.lookup;
    return undefined;
  }
  if (prior.path !== req.url) {
    throw new HttpError(422, `Idempotency-Key ${key} was already used for ${prior.method} ${prior.path}`);
  }
  if (prior.status === null) {
    // Distinguishable from a real conflict: the client waits and asks again with the same key.
    reply.header('retry-after', '1');
    throw new HttpError(409, `a request with Idempotency-Key ${key} is still in progress`, {
      code: 'idempotency_in_progress',
    });
  }
  const body = idem.open(ref, prior);
  if (body === undefined)
    throw new HttpError(500, 'the stored response of this Idempotency-Key does not open');
  reply.header('idempotent-replayed', 'true');
  return reply.status(prior.status).type('application/json; charset=utf-8').send(body);
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function validationDetail(errors: AjvError[], context: string) {
  return errors.map((e) => {
    const loc: Array<string | number> = [
      context === 'querystring' ? 'query' : context,
      ...e.instancePath
        .split('/')
        .filter(Boolean)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    ];
    if (e.keyword === 'additionalProperties') {
      loc.push(String(e.params.additionalProperty));
      return { loc, msg: 'unknown field', type: 'extra_forbidden' };
    }
    if (e.keyword === 'required') {
      loc.push(String(e.params.missingProperty));
      return { loc, msg: 'field required', type: 'missing' };
    }
    return { loc, msg: e.message ?? 'invalid value', type: e.keyword };
  });
}

/** A fixed one-second window per server: predictable for tests, and enough to exercise client back-off. */
function makeLimiter(perSecond: number): () => boolean {
  let windowStart = 0;
  let windowCount = 0;
  return () => {
    const t = Math.floor(Date.now() / 1000);
    if (t !== windowStart) {
      windowStart = t;
      windowCount = 0;
    }
    windowCount++;
    return windowCount <= perSecond;
  };
}
