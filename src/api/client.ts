import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { type Dispatcher, EnvHttpProxyAgent, request as undiciRequest } from 'undici';
import {
  type FeatureId,
  featureForRoute,
  feature as featureOf,
  notAvailableMessage,
} from '../domain/features.js';
import {
  AuthError,
  ConflictError,
  NotAvailableError,
  NotFoundError,
  NoxusError,
  PermissionError,
  UsageError,
} from '../errors.js';
import type { ApiReason } from './reasons.js';
import { redactBody, redactHeaders, redactText } from './redact.js';

export type QueryValue = string | number | boolean | undefined | string[];
export type Query = Record<string, QueryValue>;
export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface ApiClientOptions {
  baseUrl: string;
  apiKey?: string;
  /** Per attempt (including redirects followed within it). Default 30 000. */
  timeoutMs?: number;
  /** Overall, across all attempts and back-off waits. Default 120 000. */
  deadlineMs?: number;
  /** Default 5. */
  maxAttempts?: number;
  /** Caps both the exponential back-off and a server's Retry-After. Default 30 000. */
  maxBackoffMs?: number;
  /** Default: `new EnvHttpProxyAgent()`, so HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply. */
  dispatcher?: Dispatcher;
  /** Receives redacted request/response lines (--debug). */
  trace?: (line: string) => void;
  userAgent?: string;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Clock for the overall deadline; tests that inject `sleep` can advance it. Default Date.now. */
  now?: () => number;
  /** Carried in a 401's reason, so the CLI can name the profile to log in again. */
  profileName?: string;
  /** Where the key came from, carried in a 401's reason ('env' when NOXUS_API_KEY). */
  keySource?: string;
  /** Told about every retry (e.g. a 429), so bulk work can slow down. */
  onRetry?: (info: { status?: number; delayMs: number }) => void;
  /** Told when a route answers "not available" (the capability cache may be stale). */
  onNotAvailable?: (feature: FeatureId | undefined) => void;
  /** Largest response body read, in bytes. Default 64 MiB. */
  maxBodyBytes?: number;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Makes a POST/PATCH retry-safe; sent as `Idempotency-Key`. */
  idempotencyKey?: string;
  /** The endpoint is one of our extensions to the public API: an unknown-route 404/405 means NotAvailableError. */
  extension?: boolean;
  /** Capability probes: any final status comes back as a response (401 still throws); `data` unparsed. */
  raw?: boolean;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  requestId?: string;
  headers: ResponseHeaders;
  /** The body as received (raw requests only). */
  text?: string;
}

const DEFAULTS = {
  timeoutMs: 30_000,
  deadlineMs: 120_000,
  maxAttempts: 5,
  maxBackoffMs: 30_000,
  baseBackoffMs: 250,
  maxRedirects: 5,
  maxBodyBytes: 64 * 1024 * 1024,
} as const;

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRY_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
}

type Failure =
  | { kind: 'http'; response: RawResponse }
  | { kind: 'network'; error: unknown; code?: string }
  | { kind: 'timeout' };

class TimeoutSignal {
  constructor(readonly which: 'attempt' | 'deadline') {}
}

/** Renders a duration the way people say it: 30s, 1.5s, 50ms. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1).replace(/\.0$/, '')}s`;
}

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The sandbox's answer to a retry whose first attempt has not finished (same Idempotency-Key). */
function isInProgress(failure: Failure): boolean {
  if (failure.kind !== 'http' || failure.response.status !== 409) return false;
  try {
    return (JSON.parse(failure.response.text) as { code?: unknown })?.code === 'idempotency_in_progress';
  } catch {
    return false;
  }
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isConnectionReset(err: unknown): boolean {
  return /socket hang up|other side closed/i.test(errorMessage(err));
}

function mediaType(headers: ResponseHeaders): string | undefined {
  return headerValue(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase() || undefined;
}

function isJsonMedia(type: string | undefined): boolean {
  return type === 'application/json' || (type?.endsWith('+json') ?? false);
}

interface ParsedBody {
  ok: boolean;
  json?: unknown;
}

function parseJson(text: string): ParsedBody {
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** FastAPI 422: `[{loc: ['body', 'email'], msg, type}]` → `body.email: msg; …`. */
function renderDetail(detail: unknown): string | undefined {
  if (detail === undefined || detail === null) return undefined;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    const parts = detail.map((item) => {
      if (item && typeof item === 'object') {
        const { loc, msg } = item as { loc?: unknown; msg?: unknown };
        const where = Array.isArray(loc) ? loc.join('.') : typeof loc === 'string' ? loc : undefined;
        const what = typeof msg === 'string' ? msg : JSON.stringify(item);
        return where ? `${where}: ${what}` : what;
      }
      return String(item);
    });
    return parts.join('; ');
  }
  return JSON.stringify(detail);
}

function pickFastApiDetail(json: unknown): boolean {
  return !!json && typeof json === 'object' && !Array.isArray(json) && 'detail' in json;
}

function pickDetail(json: unknown): unknown {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  for (const field of ['detail', 'message', 'error']) {
    if (body[field] !== undefined && body[field] !== null) return body[field];
  }
  return undefined;
}

export class ApiClient {
  readonly baseUrl: URL;
  private readonly apiKey?: string;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly maxAttempts: number;
  private readonly maxBackoffMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly traceFn?: (line: string) => void;
  private readonly userAgent: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly profileName?: string;
  private readonly keySource?: string;
  private readonly onRetry?: (info: { status?: number; delayMs: number }) => void;
  private readonly onNotAvailable?: (feature: FeatureId | undefined) => void;
  private readonly maxBodyBytes: number;

  constructor(options: ApiClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new UsageError(`invalid server URL: ${options.baseUrl}`, {
        hint: 'use a full URL such as https://backend.noxus.ai',
      });
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new UsageError(`invalid server URL: ${options.baseUrl} (only http and https are supported)`);
    }
    base.search = '';
    base.hash = '';
    this.baseUrl = base;
    this.apiKey = options.apiKey || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.deadlineMs = options.deadlineMs ?? DEFAULTS.deadlineMs;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULTS.maxAttempts);
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULTS.maxBackoffMs;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new EnvHttpProxyAgent();
    this.traceFn = options.trace;
    this.userAgent = options.userAgent ?? `noxus-cli node/${process.versions.node}`;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.profileName = options.profileName;
    this.keySource = options.keySource;
    this.onRetry = options.onRetry;
    this.onNotAvailable = options.onNotAvailable;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  }

  get origin(): string {
    return this.baseUrl.origin;
  }

  /** Closes the dispatcher if this client created it. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  async get<T>(path: string, query?: Query, opts: Omit<RequestOptions, 'query' | 'body'> = {}): Promise<T> {
    return (await this.request<T>('GET', path, { ...opts, query })).data;
  }

  /** Always carries an Idempotency-Key (generated when not given) so that it can be retried. */
  async post<T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    const idempotencyKey = opts.idempotencyKey ?? randomUUID();
    return (await this.request<T>('POST', path, { ...opts, body, idempotencyKey })).data;
  }

  async put<T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return (await this.request<T>('PUT', path, { ...opts, body })).data;
  }

  async patch<T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return (await this.request<T>('PATCH', path, { ...opts, body })).data;
  }

  async delete<T>(path: string, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return (await this.request<T>('DELETE', path, opts)).data;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const verb = method.toUpperCase();
    const url = this.buildUrl(path, opts.query);
    const what = `${verb} ${url.pathname}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const retrySafe = IDEMPOTENT_METHODS.has(verb) || opts.idempotencyKey !== undefined;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;

    const started = this.now();
    const deadlineAt = started + this.deadlineMs;
    let last: Failure | undefined;

    for (let attempt = 1; ; attempt++) {
      const tag = `attempt ${attempt}/${this.maxAttempts}`;
      let failure: Failure;
      try {
        const response = await this.attempt(verb, url, headers, body, deadlineAt, tag);
        if (opts.raw && response.status !== 401 && !RETRY_STATUSES.has(response.status)) {
          const { status, headers: h, text } = response;
          return { data: undefined as T, status, requestId: this.requestIdOf(h), headers: h, text };
        }
        if (response.status >= 200 && response.status < 300) {
          return this.success<T>(verb, what, response);
        }
        failure = { kind: 'http', response };
      } catch (err) {
        if (err instanceof NoxusError) throw err;
        if (err instanceof TimeoutSignal) {
          if (err.which === 'deadline') throw this.deadlineError(what, attempt, last);
          failure = { kind: 'timeout' };
        } else {
          failure = { kind: 'network', error: err, code: errorCode(err) };
        }
      }
      last = failure;

      // Our own earlier attempt (a timeout, a lost reply) still runs on the server: its result is
      // coming, so wait for it within the deadline; it is never a conflict.
      const waiting = opts.idempotencyKey !== undefined && isInProgress(failure);
      if (!waiting && (!retrySafe || !this.isRetryable(failure, attempt))) {
        throw this.finalError(what, failure, opts, '');
      }
      if (!waiting && attempt >= this.maxAttempts) {
        throw this.finalError(what, failure, opts, attempt === 1 ? '' : ` after ${attempt} attempts`);
      }
      const delay = this.backoff(failure, attempt);
      const remaining = deadlineAt - this.now();
      if (delay >= remaining && waiting) {
        throw new NoxusError(
          `gave up after ${formatDuration(this.deadlineMs)} (overall deadline): ${what} was still in progress on the server (Idempotency-Key ${opts.idempotencyKey}); it may complete`,
          {
            requestId: this.requestIdOf((failure as { response: RawResponse }).response.headers),
            reason: { kind: 'still_in_progress' } satisfies ApiReason,
          },
        );
      }
      if (delay >= remaining) {
        throw this.finalError(
          what,
          failure,
          opts,
          ` after ${attempt} attempt${attempt === 1 ? '' : 's'}; gave up because the next retry (in ${formatDuration(delay)}) would pass the ${formatDuration(this.deadlineMs)} overall deadline`,
        );
      }
      this.trace(
        `retry ${verb} ${this.show(url)} in ${delay}ms after ${this.describeFailure(failure)} (${tag})`,
      );
      this.onRetry?.({
        status: failure.kind === 'http' ? failure.response.status : undefined,
        delayMs: delay,
      });
      await this.sleep(delay);
    }
  }

  private buildUrl(path: string, query?: Query): URL {
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      throw new UsageError(`internal: API paths must be relative to the server URL, got ${path}`);
    }
    const url = new URL(this.baseUrl.href);
    const prefix = url.pathname.replace(/\/+$/, '');
    const [pathname, search] = path.split('?', 2) as [string, string | undefined];
    url.pathname = `${prefix}${pathname.startsWith('/') ? '' : '/'}${pathname}`;
    const params = new URLSearchParams(search ?? '');
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) params.append(name, v);
      else params.set(name, String(value));
    }
    url.search = params.toString();
    return url;
  }

  private async attempt(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    deadlineAt: number,
    tag: string,
  ): Promise<RawResponse> {
    const controller = new AbortController();
    let fired: TimeoutSignal | undefined;
    // The deadline timer is armed first so that, when both are due together, the deadline is reported.
    const deadlineTimer = setTimeout(
      () => {
        fired ??= new TimeoutSignal('deadline');
        controller.abort();
      },
      Math.max(0, deadlineAt - this.now()),
    );
    const attemptTimer = setTimeout(() => {
      fired ??= new TimeoutSignal('attempt');
      controller.abort();
    }, this.timeoutMs);

    let currentUrl = url;
    let currentMethod = method;
    let currentBody = body;
    let currentHeaders = headers;
    try {
      for (let hop = 0; ; hop++) {
        const t0 = performance.now();
        this.trace(
          `> ${currentMethod} ${this.show(currentUrl)} (${tag}) headers ${JSON.stringify(this.redactH(currentHeaders))}` +
            (currentBody === undefined ? '' : ` body ${this.redactB(currentBody)}`),
        );
        let status: number;
        let resHeaders: ResponseHeaders;
        let text: string;
        try {
          const res = await undiciRequest(currentUrl, {
            method: currentMethod as Dispatcher.HttpMethod,
            headers: currentHeaders,
            body: currentBody,
            dispatcher: this.dispatcher,
            signal: controller.signal,
          });
          status = res.statusCode;
          resHeaders = res.headers as ResponseHeaders;
          try {
            text = await this.readCapped(res.body, resHeaders, `${currentMethod} ${currentUrl.pathname}`);
          } catch (bodyErr) {
            if (bodyErr instanceof NoxusError) throw bodyErr;
            // Headers arrived, the body did not: keep what the server did say for the message.
            if (bodyErr && typeof bodyErr === 'object') {
              (bodyErr as { partial?: { status: number; requestId?: string } }).partial = {
                status,
                requestId: this.requestIdOf(resHeaders),
              };
            }
            throw bodyErr;
          }
        } catch (err) {
          const ms = Math.round(performance.now() - t0);
          const reason = fired
            ? fired.which === 'attempt'
              ? 'per-attempt timeout'
              : 'overall deadline'
            : (errorCode(err) ?? errorMessage(err));
          this.trace(
            `! ${currentMethod} ${this.show(currentUrl)} failed after ${ms}ms (${tag}): ${redactText(reason, [this.apiKey])}`,
          );
          throw fired ?? err;
        }
        const ms = Math.round(performance.now() - t0);
        const rid = this.requestIdOf(resHeaders);
        this.trace(
          `< ${status} ${currentMethod} ${this.show(currentUrl)} ${ms}ms (${tag})` +
            (rid ? ` request-id ${rid}` : '') +
            ` headers ${JSON.stringify(this.redactH(resHeaders))}` +
            (text ? ` body ${this.redactB(text)}` : ''),
        );

        if (!REDIRECT_STATUSES.has(status)) return { status, headers: resHeaders, text };
        const location = headerValue(resHeaders, 'location');
        if (!location) return { status, headers: resHeaders, text };
        let target: URL;
        try {
          target = new URL(location, currentUrl);
        } catch {
          throw new NoxusError(
            `the server answered ${method} ${url.pathname} with an invalid redirect (HTTP ${status})${this.ridSuffix(rid)}`,
            { status, requestId: rid },
          );
        }
        if (target.origin !== this.origin) {
          throw new NoxusError(
            `the server redirected ${method} ${url.pathname} to ${target.origin}, which was not followed so the API key is not sent there${this.ridSuffix(rid)}`,
            {
              status,
              requestId: rid,
              hint: `if that is the right server, use it as the server URL instead of ${this.origin}`,
              data: { location: target.origin },
            },
          );
        }
        if (hop >= DEFAULTS.maxRedirects) {
          throw new NoxusError(
            `too many redirects (more than ${DEFAULTS.maxRedirects}) for ${method} ${url.pathname}${this.ridSuffix(rid)}`,
            { status, requestId: rid },
          );
        }
        if (status === 303 && currentMethod !== 'HEAD') {
          currentMethod = 'GET';
          currentBody = undefined;
          const { 'content-type': _dropped, ...rest } = currentHeaders;
          currentHeaders = rest;
        }
        currentUrl = target;
      }
    } finally {
      clearTimeout(attemptTimer);
      clearTimeout(deadlineTimer);
    }
  }

  /** Reads a body up to maxBodyBytes: a runaway proxy or a wrong URL must not exhaust memory. */
  private async readCapped(
    body: Dispatcher.ResponseData['body'],
    headers: ResponseHeaders,
    what: string,
  ): Promise<string> {
    const tooLarge = () =>
      new NoxusError(
        `the response to ${what} is larger than ${Math.round(this.maxBodyBytes / 1024 / 1024)} MiB, which is more than any Noxus API answer; it was not read`,
        { hint: 'check the server URL: a proxy or a file server may be answering instead of the Noxus API' },
      );
    const declared = Number(headerValue(headers, 'content-length'));
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > this.maxBodyBytes) {
        body.destroy();
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private success<T>(method: string, what: string, response: RawResponse): ApiResponse<T> {
    const { status, headers, text } = response;
    const requestId = this.requestIdOf(headers);
    const type = mediaType(headers);
    let data: unknown;
    if (status === 204 || status === 205 || method === 'HEAD') {
      data = undefined;
    } else if (text.length === 0) {
      if (isJsonMedia(type)) throw this.invalidResponse(what, response, 'the body is empty');
      data = undefined;
    } else if (type === undefined || isJsonMedia(type)) {
      const parsed = parseJson(text);
      if (!parsed.ok) throw this.invalidResponse(what, response, 'the JSON body is truncated or malformed');
      data = parsed.json;
    } else {
      throw this.invalidResponse(what, response, 'expected JSON');
    }
    return { data: data as T, status, requestId, headers };
  }

  private invalidResponse(what: string, response: RawResponse, problem: string, suffix = ''): NoxusError {
    const requestId = this.requestIdOf(response.headers);
    const type = mediaType(response.headers) ?? 'no content type';
    return new NoxusError(
      `server returned an invalid response (HTTP ${response.status}, ${type}) to ${what}: ${problem}${suffix}${this.ridSuffix(requestId)}`,
      {
        status: response.status,
        requestId,
        hint: 'a proxy or gateway may have answered instead of the Noxus API: check the server URL and proxy settings (HTTPS_PROXY, NO_PROXY), or try again later',
      },
    );
  }

  private isRetryable(failure: Failure, attempt: number): boolean {
    switch (failure.kind) {
      case 'http':
        return RETRY_STATUSES.has(failure.response.status);
      case 'timeout':
        return true;
      case 'network':
        // Refused on the first try means nothing is listening (wrong URL, server down): fail fast.
        // Refused on a later try is a server restarting between attempts: keep going.
        if (failure.code === 'ECONNREFUSED') return attempt > 1;
        return (
          (failure.code !== undefined && RETRY_CODES.has(failure.code)) || isConnectionReset(failure.error)
        );
    }
  }

  private backoff(failure: Failure, attempt: number): number {
    if (failure.kind === 'http') {
      const retryAfter = this.retryAfterMs(headerValue(failure.response.headers, 'retry-after'));
      if (retryAfter !== undefined) return Math.min(retryAfter, this.maxBackoffMs);
    }
    const ceiling = Math.min(this.maxBackoffMs, DEFAULTS.baseBackoffMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private retryAfterMs(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    return Math.max(0, date - this.now());
  }

  private requestIdOf(headers: ResponseHeaders): string | undefined {
    return headerValue(headers, 'x-request-id') ?? headerValue(headers, 'x-noxus-request-id');
  }

  private ridSuffix(requestId: string | undefined): string {
    return requestId ? ` (request id ${requestId})` : '';
  }

  private describeFailure(failure: Failure): string {
    switch (failure.kind) {
      case 'http': {
        const rid = this.requestIdOf(failure.response.headers);
        return `HTTP ${failure.response.status}${this.ridSuffix(rid)}`;
      }
      case 'timeout':
        return `the per-attempt timeout (${formatDuration(this.timeoutMs)})`;
      case 'network':
        return failure.code ?? redactText(errorMessage(failure.error), [this.apiKey]);
    }
  }

  private deadlineError(what: string, attempt: number, last: Failure | undefined): NoxusError {
    const lastNote = last ? `; last error: ${this.describeFailure(last)}` : '';
    return new NoxusError(
      `gave up after ${formatDuration(this.deadlineMs)} (overall deadline): ${what} did not complete in ${attempt} attempt${attempt === 1 ? '' : 's'}${lastNote}`,
      {
        hint: 'the server is slow or unreachable; try again later',
        status: last?.kind === 'http' ? last.response.status : undefined,
        requestId: last?.kind === 'http' ? this.requestIdOf(last.response.headers) : undefined,
      },
    );
  }

  private finalError(what: string, failure: Failure, opts: RequestOptions, suffix: string): NoxusError {
    if (failure.kind === 'timeout') {
      return new NoxusError(
        `request timed out after ${formatDuration(this.timeoutMs)} (per-attempt timeout): ${what}${suffix}`,
        { hint: 'the server is slow or unreachable; try again later' },
      );
    }
    if (failure.kind === 'network') return this.networkError(failure, suffix);
    return this.httpError(what, failure.response, opts, suffix);
  }

  private networkError(failure: Extract<Failure, { kind: 'network' }>, suffix: string): NoxusError {
    const { code, error } = failure;
    const cause = error;
    const message = redactText(errorMessage(error), [this.apiKey]);
    const partial = (error as { partial?: { status: number; requestId?: string } } | undefined)?.partial;
    if (partial) {
      return new NoxusError(
        `the server's response was cut short (HTTP ${partial.status}, the body is truncated: ${message})${suffix}${this.ridSuffix(partial.requestId)}`,
        {
          hint: 'the connection broke mid-response; try again',
          requestId: partial.requestId,
          status: partial.status,
          cause,
        },
      );
    }
    const proxyHint =
      'check the server URL, your network, and proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)';
    if (code === 'ECONNREFUSED') {
      return new NoxusError(`could not connect to ${this.origin}: connection refused${suffix}`, {
        hint: `is the server running? ${proxyHint}`,
        cause,
      });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new NoxusError(`could not resolve ${this.baseUrl.hostname}${suffix}`, {
        hint: proxyHint,
        cause,
      });
    }
    if (code && TLS_CODES.has(code)) {
      return new NoxusError(`TLS verification failed for ${this.origin}: ${message}${suffix}`, {
        hint: 'if the server uses a private certificate authority, set NODE_EXTRA_CA_CERTS to its PEM file; verification cannot be turned off',
        cause,
      });
    }
    const reason = code && code !== message ? `${message} (${code})` : message;
    return new NoxusError(`connection to ${this.origin} failed: ${reason}${suffix}`, {
      hint: proxyHint,
      cause,
    });
  }

  private httpError(what: string, response: RawResponse, opts: RequestOptions, suffix: string): NoxusError {
    const { status, headers, text } = response;
    const requestId = this.requestIdOf(headers);
    const rid = this.ridSuffix(requestId);
    const parsed = parseJson(text);
    const rawDetail = parsed.ok ? pickDetail(parsed.json) : undefined;
    const detail = renderDetail(rawDetail);
    const data: Record<string, unknown> = rawDetail === undefined ? {} : { detail: rawDetail };
    const base = { status, requestId, data };
    const said = `${detail ?? what}${suffix}${requestId && detail?.includes(requestId) ? '' : rid}`;

    const prefix = this.baseUrl.pathname.replace(/\/+$/, '');
    const path = what.slice(what.indexOf(' ') + 1);
    const routeFeature = featureForRoute(
      what.slice(0, what.indexOf(' ')),
      prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path,
    );
    // A route the public API does not confirm may simply not exist on this server.
    const mayLack = opts.extension || (routeFeature !== undefined && !featureOf(routeFeature).public);
    if (mayLack && (status === 405 || (status === 404 && (!parsed.ok || detail === 'Not Found')))) {
      this.onNotAvailable?.(routeFeature);
      const named = routeFeature
        ? notAvailableMessage(routeFeature)
        : `${what} is not available on this server`;
      const consoleStep = routeFeature ? featureOf(routeFeature).console : undefined;
      const said = routeFeature
        ? `${named} (${what} answered HTTP ${status}${requestId ? `, request id ${requestId}` : ''})`
        : `${named}${rid}`;
      return new NotAvailableError(said, {
        ...base,
        data: { ...data, ...(routeFeature ? { feature: routeFeature } : {}) },
        hint: consoleStep ? `in the Noxus web console: ${consoleStep}` : undefined,
        reason: { kind: 'not_extended' } satisfies ApiReason,
      });
    }
    switch (status) {
      case 400:
      case 422:
        return new UsageError(`invalid request (HTTP ${status}): ${said}`, base);
      case 401:
        return new AuthError(
          this.apiKey
            ? `the server rejected the API key (HTTP 401): ${said}`
            : `no API key was sent and the server requires one (HTTP 401): ${said}`,
          {
            ...base,
            reason: {
              kind: 'unauthorized',
              keySent: this.apiKey !== undefined,
              keySource: this.keySource,
              profileName: this.profileName,
            } satisfies ApiReason,
          },
        );
      case 403: {
        const body = parsed.ok && parsed.json && typeof parsed.json === 'object' ? parsed.json : {};
        const missing = (body as { missing?: unknown }).missing;
        if (Array.isArray(missing)) data.missing = missing;
        const deniedBy = (body as { denied_by?: unknown }).denied_by;
        if (typeof deniedBy === 'string') data.denied_by = deniedBy;
        // FastAPI always answers {detail}; a 403 without it on a route the server may lack is
        // most likely a gateway in front of Noxus refusing routes it does not know.
        const fastapi = parsed.ok && pickFastApiDetail(parsed.json);
        const gatewayHint =
          mayLack && !fastapi
            ? `the 403 did not come from the Noxus API (no FastAPI "detail" in the body): a gateway may be refusing ${what}, which this server may not have${routeFeature ? ` (${featureOf(routeFeature).title})` : ''}`
            : undefined;
        if (gatewayHint) data.gateway = true;
        return new PermissionError(`permission denied (HTTP 403): ${said}`, {
          ...base,
          hint:
            [
              Array.isArray(missing) && missing.length > 0 ? `missing: ${missing.join(', ')}` : undefined,
              gatewayHint,
            ]
              .filter(Boolean)
              .join('\n') || undefined,
          reason: gatewayHint ? ({ kind: 'gateway_refused' } satisfies ApiReason) : undefined,
        });
      }
      case 404:
        return new NotFoundError(
          `not found (HTTP 404): ${detail && detail !== 'Not Found' ? detail : what}${suffix}${rid}`,
          base,
        );
      case 409:
        return new ConflictError(`conflict (HTTP 409): ${said}`, base);
      case 429:
        return new NoxusError(`rate limited by the server (HTTP 429): ${said}`, {
          ...base,
          hint: 'wait a little and try again, or lower the concurrency',
        });
    }
    if (status >= 500 && !parsed.ok && text.trim() !== '') {
      return this.invalidResponse(what, response, 'expected JSON', suffix);
    }
    if (status >= 500) {
      const reason = STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : '';
      return new NoxusError(`server error (HTTP ${status}${reason}): ${said}`, {
        ...base,
        hint: requestId
          ? 'try again later; if it persists, report the request id to Noxus support'
          : 'try again later',
      });
    }
    return new NoxusError(`request failed (HTTP ${status}): ${said}`, base);
  }

  private show(url: URL): string {
    return redactText(url.href, [this.apiKey]);
  }

  private redactH(headers: Record<string, unknown>): Record<string, unknown> {
    return redactHeaders(headers, [this.apiKey]);
  }

  private redactB(body: string): string {
    return redactBody(body, [this.apiKey]);
  }

  private trace(line: string): void {
    this.traceFn?.(redactText(line, [this.apiKey]));
  }
}
