/** An error the sandbox answers with `{detail, ...extra}` and the given status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | Array<{ loc: Array<string | number>; msg: string; type: string }>,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(typeof detail === 'string' ? detail : detail.map((d) => d.msg).join('; '));
  }
}

export function unprocessable(loc: Array<string | number>, msg: string, type = 'value_error'): HttpError {
  return new HttpError(422, [{ loc, msg, type }]);
}

export const notFound = (what: string): HttpError => new HttpError(404, `${what} not found`);
export const conflict = (detail: string, extra?: Record<string, unknown>): HttpError =>
  new HttpError(409, detail, extra);
