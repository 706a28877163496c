// Real sockets for the reliability suite: a fault-injecting reverse proxy in front of the sandbox, a
// tiny forward proxy (HTTP_PROXY) and a "foreign origin" that records every connection it gets.
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  connect as netConnect,
  type Socket,
} from 'node:net';

/** What the proxy does with one request. Requests no rule matches are forwarded unchanged. */
export type Fault =
  /** Answer without forwarding; `headers` may be computed when the answer is sent (dates). */
  | {
      type: 'respond';
      status: number;
      headers?: Record<string, string> | (() => Record<string, string>);
      body?: string;
    }
  /** Forward, wait until the upstream answer is complete (the change is committed), then destroy the client socket without a byte of reply. */
  | { type: 'reset-after-upstream' }
  /** Wait `ms` before forwarding (nothing is forwarded if the client gives up first). */
  | { type: 'delay'; ms: number }
  /** Write these raw bytes (status line, headers, body) on the socket, then close it. */
  | { type: 'raw'; data: string };

export interface FaultRule {
  method?: string;
  /** Exact pathname (query ignored), or a RegExp tested against the whole request target. */
  path?: string | RegExp;
  /** How many matching requests get the fault; default 1. `Infinity` for every one. */
  times?: number;
  fault: Fault;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request head arrived. */
  at: number;
  /** The fault applied, if any. */
  fault?: Fault['type'];
  /** The upstream status, when it was forwarded and answered. */
  upstreamStatus?: number;
}

export interface FaultProxy {
  url: string;
  requests: SeenRequest[];
  /** Every request since the proxy started; `reset` leaves it alone. */
  history: SeenRequest[];
  /** Adds rules, tried in order; a rule is used up after `times` matches. */
  script(...rules: FaultRule[]): void;
  /** Forgets the rules and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  server.closeAllConnections();
  return new Promise<void>((done) => server.close(() => done()));
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function forward(target: URL, method: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      target,
      { method, headers: { ...headers, host: target.host, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function reply(res: ServerResponse, up: Upstream): void {
  const headers = { ...up.headers };
  delete headers.connection;
  delete headers['keep-alive'];
  delete headers['transfer-encoding'];
  headers['content-length'] = String(up.body.length);
  res.writeHead(up.status, headers);
  res.end(up.body);
}

function matches(rule: FaultRule, method: string, url: string): boolean {
  if ((rule.times ?? 1) <= 0) return false;
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  if (typeof rule.path === 'string') return url.split('?')[0] === rule.path;
  return rule.path.test(url);
}

/** A reverse proxy on 127.0.0.1:0 forwarding to `upstream` (the sandbox), with scripted faults. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const base = new URL(upstream);
  let rules: FaultRule[] = [];
  const requests: SeenRequest[] = [];
  const history: SeenRequest[] = [];

  const server = createServer(async (req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const seen: SeenRequest = { method, url, headers: req.headers, body: '', at: Date.now() };
    requests.push(seen);
    history.push(seen);
    const body = await readBody(req);
    seen.body = body.toString('utf8');

    const rule = rules.find((r) => matches(r, method, url));
    if (rule) rule.times = (rule.times ?? 1) - 1;
    const fault = rule?.fault;
    seen.fault = fault?.type;
    const target = new URL(url, base);

    try {
      switch (fault?.type) {
        case 'respond':
          res.writeHead(fault.status, {
            'content-length': String(Buffer.byteLength(fault.body ?? '')),
            ...(typeof fault.headers === 'function' ? fault.headers() : fault.headers),
          });
          res.end(fault.body ?? '');
          return;
        case 'raw':
          req.socket.end(fault.data);
          return;
        case 'delay': {
          const gone = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), fault.ms);
            req.socket.once('close', () => {
              clearTimeout(timer);
              resolve(true);
            });
          });
          if (gone) return;
          break;
        }
        case 'reset-after-upstream': {
          const up = await forward(target, method, req.headers, body);
          seen.upstreamStatus = up.status;
          req.socket.destroy();
          return;
        }
      }
      const up = await forward(target, method, req.headers, body);
      seen.upstreamStatus = up.status;
      if (!req.socket.destroyed) reply(res, up);
    } catch (err) {
      if (!res.headersSent && !req.socket.destroyed) {
        res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream failed: ${String(err)}`);
      }
    }
  });
  const sockets = trackSockets(server);
  const url = await listen(server);
  return {
    url,
    requests,
    history,
    script(...more) {
      rules.push(...more);
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    close: () => closeServer(server, sockets),
  };
}

export interface ForwardProxy {
  url: string;
  /** `CONNECT host:port` for tunnels, `METHOD absolute-uri` for plain proxied requests. */
  seen: string[];
  close(): Promise<void>;
}

/** A forward proxy for HTTP_PROXY: tunnels CONNECT and forwards absolute-URI requests; records both. */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: string[] = [];
  const server = createServer(async (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('forward proxy: absolute URI expected');
      return;
    }
    try {
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      delete headers['proxy-authorization'];
      reply(res, await forward(target, req.method ?? 'GET', headers, await readBody(req)));
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`forward proxy: ${String(err)}`);
    }
  });
  const sockets = trackSockets(server);
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    sockets.add(client);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const url = await listen(server);
  return { url, seen, close: () => closeServer(server, sockets) };
}

export interface Recorder {
  url: string;
  port: number;
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  /** Raw bytes received on any connection. */
  received: string;
  close(): Promise<void>;
}

/** A listening "other origin" (plain TCP): records every connection and every byte, answers 200 {}. */
export async function startRecorder(): Promise<Recorder> {
  const rec = { connections: 0, received: '' };
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    rec.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      rec.received += d.toString('latin1');
      if (rec.received.includes('\r\n\r\n'))
        s.end(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}',
        );
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return rec.connections;
    },
    get received() {
      return rec.received;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}
