// Email for the end-to-end tests: a real SMTP sink (smtp-server on a loopback port, no TLS, no
// authentication) that keeps every message, and a small MIME reader for what nodemailer sends
// (multipart/alternative, quoted-printable or base64 parts).
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface MimePart {
  contentType: string;
  body: string;
}

export interface Mail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  raw: string;
  headers: Record<string, string>;
  parts: MimePart[];
  text: string;
  html: string;
}

function splitHead(raw: string): { headers: Record<string, string>; body: string } {
  const i = raw.indexOf('\n\n');
  const head = i < 0 ? raw : raw.slice(0, i);
  const body = i < 0 ? '' : raw.slice(i + 2);
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && last) headers[last] += ` ${line.trim()}`;
    else {
      const c = line.indexOf(':');
      if (c <= 0) continue;
      last = line.slice(0, c).trim().toLowerCase();
      headers[last] = line.slice(c + 1).trim();
    }
  }
  return { headers, body };
}

function decode(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body
      .replace(/=\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** Parses one message as sent by nodemailer (CRLF or LF line ends). */
export function parseMail(rawInput: string, to: string[] = []): Mail {
  const raw = rawInput.replace(/\r\n/g, '\n');
  const { headers, body } = splitHead(raw);
  const type = headers['content-type'] ?? 'text/plain';
  const parts: MimePart[] = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const chunks = body.split(`--${boundary}`);
    // chunks[0] is the preamble, the last one starts with "--" (the epilogue).
    for (const chunk of chunks.slice(1)) {
      if (chunk.startsWith('--')) break;
      const p = splitHead(chunk.replace(/^\n/, ''));
      parts.push({
        contentType: (p.headers['content-type'] ?? 'text/plain').split(';')[0]?.trim().toLowerCase() ?? '',
        body: decode(p.body.replace(/\n$/, ''), p.headers['content-transfer-encoding']),
      });
    }
  } else {
    parts.push({
      contentType: type.split(';')[0]?.trim().toLowerCase() ?? '',
      body: decode(body, headers['content-transfer-encoding']),
    });
  }
  const envelopeTo = to.length
    ? to
    : [...(headers.to ?? '').matchAll(/<([^>]+)>/g)].map((m) => m[1] as string).filter(Boolean);
  return {
    to: envelopeTo.map((a) => a.toLowerCase()),
    raw,
    headers,
    parts,
    text: parts.find((p) => p.contentType === 'text/plain')?.body ?? '',
    html: parts.find((p) => p.contentType === 'text/html')?.body ?? '',
  };
}

/** The accept link of an invitation email: `<base>/invite/<token>` in the plain-text part. */
export function acceptLink(mail: Mail, base: string): { url: string; token: string } {
  const esc = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(${esc}/invite/([A-Za-z0-9_-]+))`).exec(mail.text);
  if (!m) throw new Error(`no accept link for ${base} in:\n${mail.text}`);
  return { url: m[1] as string, token: m[2] as string };
}

export interface SmtpSink {
  url: string;
  messages: Mail[];
  /** Messages to one address (case-insensitive), oldest first. */
  to(address: string): Mail[];
  /** Resolves once `predicate` holds, polling every 20 ms; throws after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Resolves once no message has arrived for `quietMs` (counted from the call at the earliest). */
  settle(quietMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** `delayMs`: hold each message that long before accepting it (a slow mail server). */
export async function startSmtpSink(opts: { delayMs?: number; port?: number } = {}): Promise<SmtpSink> {
  const messages: Mail[] = [];
  const closed = new Set<string>();
  let lastAt = Date.now();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    size: 1024 * 1024,
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        const accept = () => {
          // A sender that hung up before the reply never learnt the message was accepted: drop it.
          if (closed.has(session.id)) return callback(new Error('connection closed'));
          messages.push(parseMail(Buffer.concat(chunks).toString('utf8'), rcpt));
          lastAt = Date.now();
          callback();
        };
        if (opts.delayMs) setTimeout(accept, opts.delayMs);
        else accept();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  // A sender killed mid-session (the crash tests do that) resets its connection: not the sink's error.
  server.on('error', () => {});
  const { port } = server.server.address() as AddressInfo;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (address) => messages.filter((m) => m.to.includes(address.toLowerCase())),
    async waitFor(predicate, timeoutMs = 10_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(20);
      }
    },
    async settle(quietMs = 400) {
      const start = Date.now();
      while (Date.now() - Math.max(lastAt, start) < quietMs) await sleep(50);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
