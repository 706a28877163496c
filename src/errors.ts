// The single family of errors every layer throws. Only src/main.ts turns them into an exit code and a
// message. It sits below every layer and has no dependencies, so api/, config/, services/, domain/
// and sandbox/ use it without knowing anything of the CLI.

export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  PARTIAL: 3,
  AUTH: 4,
  NOT_FOUND: 5,
  FORBIDDEN: 6,
  CONFLICT: 7,
  NOT_AVAILABLE: 8,
  /** Not an error: `access plan --detailed-exitcode` found changes to apply (Context.exitCode). */
  CHANGES_PENDING: 9,
  CANCELLED: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  /** What to run next, or how to fix it. Printed on its own line. */
  hint?: string;
  /** The server's request id (x-request-id), shown so support can find the call. */
  requestId?: string;
  /** HTTP status when the error came from the server. */
  status?: number;
  /** Structured data for --json error output (e.g. missing permissions, close matches). */
  data?: Record<string, unknown>;
  /** Why, in words for programs (e.g. `{ kind: 'unauthorized', keySource: 'env' }`): the layer that
   * knows the commands (src/cli/hints.ts) turns it into what to run next. Never printed as is. */
  reason?: ErrorReason;
  cause?: unknown;
}

export interface ErrorReason {
  readonly kind: string;
  readonly [field: string]: unknown;
}

export class NoxusError extends Error {
  readonly exitCode: ExitCodeValue = ExitCode.FAILURE;
  readonly code: string = 'failure';
  readonly hint?: string;
  readonly requestId?: string;
  readonly status?: number;
  readonly data?: Record<string, unknown>;
  readonly reason?: ErrorReason;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.hint = details.hint;
    this.requestId = details.requestId;
    this.status = details.status;
    this.data = details.data;
    this.reason = details.reason;
  }
}

/** Bad flags, bad input files, missing values without a terminal, server-side validation (422). */
export class UsageError extends NoxusError {
  override readonly exitCode = ExitCode.USAGE;
  override readonly code = 'usage';
}

/** Some items of a bulk or multi-step operation failed while others succeeded. */
export class PartialError extends NoxusError {
  override readonly exitCode = ExitCode.PARTIAL;
  override readonly code = 'partial';
}

/** No key, a key the server rejects (401), or a credential store that cannot be used. */
export class AuthError extends NoxusError {
  override readonly exitCode = ExitCode.AUTH;
  override readonly code = 'auth';
}

export class NotFoundError extends NoxusError {
  override readonly exitCode = ExitCode.NOT_FOUND;
  override readonly code = 'not_found';
}

/** 403: the key or its holder lacks a permission. */
export class PermissionError extends NoxusError {
  override readonly exitCode = ExitCode.FORBIDDEN;
  override readonly code = 'forbidden';
}

/** 409: the change conflicts with current state (last admin, role in use, duplicate email…). */
export class ConflictError extends NoxusError {
  override readonly exitCode = ExitCode.CONFLICT;
  override readonly code = 'conflict';
}

/** The server does not implement an endpoint (404/405 on an extension endpoint). */
export class NotAvailableError extends NoxusError {
  override readonly exitCode = ExitCode.NOT_AVAILABLE;
  override readonly code = 'not_available';
}

export class CancelledError extends NoxusError {
  override readonly exitCode = ExitCode.CANCELLED;
  override readonly code = 'cancelled';
}

export function isNoxusError(e: unknown): e is NoxusError {
  return e instanceof NoxusError;
}
