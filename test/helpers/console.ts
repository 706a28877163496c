// Plays the operator in the Noxus web console through the sandbox's stand-in (docs/api.md,
// "Sandbox only"): what a guided step asks a person to do by hand, a test does with these calls.

export interface ConsoleUser {
  id: string;
  email: string;
  status: string;
  is_active: boolean;
}

export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`console ${what} failed with ${status}: ${JSON.stringify(body)}`);
  }
}

/** `url`: the sandbox's base URL; `adminKey`: a key held by an org admin (the signed-in operator). */
export function consoleClient(url: string, adminKey: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: {
        'x-api-key': adminKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!r.ok) throw new ConsoleError(r.status, parsed, `${method} ${path}`);
    return parsed as T;
  };
  const enc = encodeURIComponent;
  return {
    /** Settings → Users → Add user (workspace: id or name). */
    addUser: (u: {
      email: string;
      name: string;
      display_name?: string;
      org_role?: string;
      workspaces?: Array<{ workspace: string; role: string }>;
    }) =>
      call<{ user: ConsoleUser; invitation: { delivered_to?: string } | null }>('POST', '/console/users', u),
    /** Workspace settings → Users → Add users (user: id or email). */
    addToWorkspace: (workspace: string, users: Array<{ user: string; role: string }>) =>
      call<{ workspace: { id: string; name: string }; users: Array<{ user_id: string; role: string }> }>(
        'POST',
        `/console/workspaces/${enc(workspace)}/users`,
        { users },
      ),
    /** Settings → Users → (the user) → Remove (user: id or email). */
    removeUser: (user: string) =>
      call<{ user: ConsoleUser; revoked_keys: string[] }>('DELETE', `/console/users/${enc(user)}`),
    /** Workspace Control → API keys: the active keys of a workspace. */
    keys: (workspace: string) =>
      call<Array<{ id: string; name: string; holder_id: string | null }>>(
        'GET',
        `/console/workspaces/${enc(workspace)}/api-keys`,
      ),
    /** Workspace Control → API keys → Revoke. */
    revokeKey: (id: string) =>
      call<{ id: string; revoked: boolean; changed: boolean }>('DELETE', `/console/api-keys/${enc(id)}`),
  };
}
