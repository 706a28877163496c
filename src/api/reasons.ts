// Why a request failed, as data: api/ names no command, so the CLI (src/cli/hints.ts) words what to
// run next from these.
export type ApiReason =
  /** A 401: the key was rejected, or none was sent. */
  | { kind: 'unauthorized'; keySent: boolean; keySource?: string; profileName?: string }
  /** An extension endpoint this server does not have (404/405 on an unknown route). */
  | { kind: 'not_extended' }
  /** A 403 that did not come from the Noxus API (no FastAPI detail), on a route the server may lack. */
  | { kind: 'gateway_refused' }
  /** A body the Noxus API never sends (wrong shape): a proxy or another server may be answering. */
  | { kind: 'unexpected_response' }
  /** The deadline passed while the server still ran an earlier attempt (same Idempotency-Key). */
  | { kind: 'still_in_progress' }
  /** A user status filter the server's users cannot answer (they only say active or not). */
  | { kind: 'status_filter_unsupported' };
