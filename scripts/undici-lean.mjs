// Bundled in place of the 'undici' package by scripts/build.mjs. The CLI calls request() with an
// explicit dispatcher and builds an EnvHttpProxyAgent; undici's index loads all of undici (fetch,
// WebSocket, caches, mocks: about 1 MB of code evaluated by every command that makes a request).
// These are the same modules undici's index uses for those two, set up the same way.
import api from 'undici/lib/api/index.js';
import { InvalidArgumentError } from 'undici/lib/core/errors.js';
import util from 'undici/lib/core/util.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';

// As undici's index does: every dispatcher gets request(), connect() (proxies use it), and so on.
Object.assign(Dispatcher.prototype, api);

export { EnvHttpProxyAgent };

/** undici's request(url, opts) for a URL and options that name their dispatcher. */
export function request(url, opts) {
  if (!opts || typeof opts !== 'object' || !opts.dispatcher)
    throw new InvalidArgumentError('request() needs opts.dispatcher');
  const parsed = util.parseURL(url);
  return api.request.call(opts.dispatcher, {
    ...opts,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: opts.method || (opts.body ? 'PUT' : 'GET'),
  });
}
