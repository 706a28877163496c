import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../errors.js';
import type { Model } from '../model.js';
import type { UserRow } from '../store.js';
import { str } from './common.js';

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .header('referrer-policy', 'no-referrer')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .2rem}input,select{font:inherit;padding:.3rem;width:100%}button{font:inherit;margin-top:1rem;padding:.4rem 1rem}
code{background:#eee;padding:.1rem .3rem;word-break:break-all}.err{color:#a00}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`);
}

export function registerPublicRoutes(app: FastifyInstance, model: Model): void {
  const grantsOf = (u: UserRow) =>
    model.isOrgAdmin(u)
      ? [{ group_id: null, workspace: 'every workspace', role: 'Admin (org admin)' }]
      : model.store.membershipsOfUser(u.id).map((m) => ({
          group_id: m.group_id,
          workspace: model.store.group(m.group_id)?.name ?? m.group_id,
          role: model.store.role(m.role_id)?.name ?? m.role_id,
        }));

  const acceptBody = {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: str(500),
      display_name: str(500),
      create_key: {
        type: 'object',
        additionalProperties: false,
        required: ['group_id'],
        properties: { group_id: str(200), name: str(200) },
      },
    },
  } as const;

  const accept = (
    token: string,
    body: { name?: string; display_name?: string; create_key?: { group_id: string; name?: string } },
    requestId: string,
  ) => {
    // One transaction: a refused key leaves the invitation unused.
    return model.store.tx(() => {
      const g = body.create_key ? model.requireGroup(body.create_key.group_id) : undefined;
      const user = model.acceptInvitation(
        token,
        { name: body.name, display_name: body.display_name },
        requestId,
      );
      let key: (ReturnType<Model['keyView']> & { value: string }) | undefined;
      if (body.create_key && g) {
        const created = model.createWorkspaceKey(
          { userId: user.id, email: user.email, keyId: null, requestId },
          {
            groupRef: g.id,
            name: body.create_key.name ?? 'personal key',
            permissions: undefined,
            creator: user,
            callerKeyId: null,
            callerBound: null,
            seenBy: [{ userId: user.id, how: 'invitation' }],
          },
        );
        key = { ...model.keyView(created.key), value: created.secret };
      }
      return { user, key };
    });
  };

  app.get<{ Params: { token: string } }>('/v1/invitations/:token', async (req) => {
    const { inv, user } = model.invitationByToken(req.params.token);
    return {
      email: user.email,
      name: user.name,
      display_name: user.display_name,
      organization: model.organizationName(),
      expires_at: inv.expires_at,
      workspaces: grantsOf(user),
    };
  });

  app.post<{
    Params: { token: string };
    Body: { name?: string; display_name?: string; create_key?: { group_id: string; name?: string } } | null;
  }>(
    '/v1/invitations/:token/accept',
    { schema: { body: { ...acceptBody, type: ['object', 'null'] } } },
    async (req) => {
      const { user, key } = accept(req.params.token, req.body ?? {}, req.id);
      return { user: model.userView(user), api_key: key };
    },
  );

  app.get<{ Params: { token: string } }>('/invite/:token', async (req, reply) => {
    let found: ReturnType<Model['invitationByToken']>;
    try {
      found = model.invitationByToken(req.params.token);
    } catch (e) {
      if (e instanceof HttpError)
        return page(reply, e.status, 'Invitation unavailable', `<p class="err">${esc(String(e.detail))}</p>`);
      throw e;
    }
    const { inv, user } = found;
    const grants = grantsOf(user);
    const options = grants
      .filter((g) => g.group_id)
      .map((g) => `<option value="${esc(g.group_id as string)}">${esc(g.workspace)}</option>`)
      .join('');
    const allGroups = model.isOrgAdmin(user)
      ? model.store
          .groups()
          .map((g) => `<option value="${esc(g.id)}">${esc(g.name)}</option>`)
          .join('')
      : options;
    return page(
      reply,
      200,
      `Join ${model.organizationName()}`,
      `<p>You were invited as <strong>${esc(user.email)}</strong>. The invitation expires ${esc(inv.expires_at)}.</p>
<ul>${grants.map((g) => `<li>${esc(g.workspace)}: ${esc(g.role)}</li>`).join('')}</ul>
<form method="post" action="/invite/${esc(req.params.token)}">
<label for="name">Name</label><input id="name" name="name" required maxlength="200" value="${esc(user.name)}">
<label for="display_name">Display name</label><input id="display_name" name="display_name" required maxlength="200" value="${esc(user.display_name)}">
${allGroups ? `<label for="key_group">Create a personal API key for (optional)</label><select id="key_group" name="key_group"><option value="">no key</option>${allGroups}</select>` : ''}
<button type="submit" id="accept">Create account</button></form>`,
    );
  });

  app.post<{ Params: { token: string }; Body: Record<string, string> | undefined }>(
    '/invite/:token',
    async (req, reply) => {
      const raw = (req.body ?? {}) as Record<string, unknown>;
      const b: Record<string, string> = {};
      for (const f of ['name', 'display_name', 'key_group']) {
        const v = raw[f];
        if (v !== undefined && typeof v !== 'string')
          return page(reply, 422, 'Could not create the account', `<p class="err">${f} must be text</p>`);
        if (typeof v === 'string') b[f] = v;
      }
      try {
        const { user, key } = accept(
          req.params.token,
          {
            name: b.name || undefined,
            display_name: b.display_name || undefined,
            create_key: b.key_group ? { group_id: b.key_group } : undefined,
          },
          req.id,
        );
        return page(
          reply,
          200,
          'Welcome aboard',
          `<p id="done">Your account <strong>${esc(user.email)}</strong> is active.</p>${
            key
              ? `<p>Your personal API key for ${esc(key.group_name ?? '')} (shown once, store it now):</p><p><code id="key">${esc(key.value)}</code></p>`
              : ''
          }<p>Next: take the workspace tour, then open your workspace.</p>`,
        );
      } catch (e) {
        if (e instanceof HttpError) {
          const msg = typeof e.detail === 'string' ? e.detail : e.detail.map((d) => d.msg).join('; ');
          return page(reply, e.status, 'Could not create the account', `<p class="err">${esc(msg)}</p>`);
        }
        throw e;
      }
    },
  );
}
