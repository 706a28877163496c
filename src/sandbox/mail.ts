import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InvitationMail, Mailer } from './model.js';

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export function renderInvitation(m: InvitationMail): { subject: string; text: string; html: string } {
  const subject = `${m.inviter} invited you to ${m.organization} on Noxus`;
  const grants = m.grants.map((g) => `  - ${g.workspace}: ${g.role}`).join('\n') || '  (no workspace yet)';
  const text = `Hello ${m.toName},

${m.inviter} invited you to join ${m.organization} on Noxus (organization role: ${m.orgRole}).

Workspaces and roles:
${grants}

Accept the invitation and create your account:
${m.acceptUrl}

This link works once and expires ${m.expiresAt}.
If you did not expect this email, you can ignore it.
`;
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello ${esc(m.toName)},</p>
<p><strong>${esc(m.inviter)}</strong> invited you to join <strong>${esc(m.organization)}</strong> on Noxus (organization role: ${esc(m.orgRole)}).</p>
<p>Workspaces and roles:</p><ul>${m.grants.map((g) => `<li>${esc(g.workspace)}: ${esc(g.role)}</li>`).join('') || '<li>(no workspace yet)</li>'}</ul>
<p><a href="${esc(m.acceptUrl)}">Accept the invitation</a></p>
<p style="color:#666">This link works once and expires ${esc(m.expiresAt)}. If you did not expect this email, you can ignore it.</p>
</body></html>`;
  return { subject, text, html };
}

/** SMTP when a URL is given (smtp://host:port), otherwise .eml files in the outbox folder. */
export async function createMailer(opts: {
  smtpUrl?: string;
  outboxDir: string;
  from: string;
}): Promise<Mailer & { close(): void }> {
  const nodemailer = (await import('nodemailer')).default;
  if (opts.smtpUrl) {
    // One pooled connection set instead of a new SMTP session per invitation.
    const url = new URL(opts.smtpUrl);
    url.searchParams.set('pool', 'true');
    const transport = nodemailer.createTransport(url.toString());
    const host = new URL(opts.smtpUrl).host;
    return {
      async sendInvitation(m) {
        const r = renderInvitation(m);
        await transport.sendMail({ from: opts.from, to: { name: m.toName, address: m.to }, ...r });
        return `smtp://${host}`;
      },
      // The pool keeps connections open; a stopped sandbox must not hold the mail server's.
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  mkdirSync(opts.outboxDir, { recursive: true });
  return {
    async sendInvitation(m) {
      const r = renderInvitation(m);
      const info = await transport.sendMail({ from: opts.from, to: { name: m.toName, address: m.to }, ...r });
      const safe = m.to.replace(/[^A-Za-z0-9@._-]/g, '_').slice(0, 80);
      const file = join(
        opts.outboxDir,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}-${safe}.eml`,
      );
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      return `outbox:${file}`;
    },
    close: () => transport.close(),
  };
}
