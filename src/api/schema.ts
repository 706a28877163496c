// A tiny response validator for the API boundary: each endpoint states the shape it relies on, and
// anything else becomes one clean error ("invalid response from GET /v1/admin/me: …", exit 1)
// instead of a TypeError or an "undefined" row further on. Fields not declared pass through untouched.

import { NoxusError } from '../errors.js';
import type { ApiReason } from './reasons.js';

export type Check<T> = (value: unknown, at: string) => T;

class Mismatch extends Error {}

const fail = (at: string, expected: string, value: unknown): never => {
  const got =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'an array'
        : value === undefined
          ? 'nothing'
          : typeof value;
  throw new Mismatch(`${at || 'the body'} should be ${expected}, got ${got}`);
};

export const str: Check<string> = (v, at) => (typeof v === 'string' ? v : fail(at, 'a string', v));
export const bool: Check<boolean> = (v, at) => (typeof v === 'boolean' ? v : fail(at, 'a boolean', v));
export const num: Check<number> = (v, at) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fail(at, 'a number', v);
export const unknownValue: Check<unknown> = (v) => v;

/** Absent or null: the fallback (undefined when none). */
export function opt<T>(check: Check<T>): Check<T | undefined>;
export function opt<T>(check: Check<T>, fallback: T): Check<T>;
export function opt<T>(check: Check<T>, fallback?: T): Check<T | undefined> {
  return (v, at) => (v === undefined || v === null ? fallback : check(v, at));
}

/** May be null (kept as null) or absent (undefined). */
export const nullable =
  <T>(check: Check<T>): Check<T | null | undefined> =>
  (v, at) =>
    v === null ? null : v === undefined ? undefined : check(v, at);

export const arr =
  <T>(check: Check<T>): Check<T[]> =>
  (v, at) =>
    Array.isArray(v) ? v.map((x, i) => check(x, `${at}[${i}]`)) : fail(at, 'an array', v);

export const record =
  <T>(check: Check<T>): Check<Record<string, T>> =>
  (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(at, 'an object', v);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v)) out[k] = check(x, `${at}.${k}`);
    return out;
  };

export const oneOf =
  <A, B>(a: Check<A>, b: Check<B>, expected: string): Check<A | B> =>
  (v, at) => {
    try {
      return a(v, at);
    } catch (e) {
      if (!(e instanceof Mismatch)) throw e;
      try {
        return b(v, at);
      } catch (e2) {
        if (!(e2 instanceof Mismatch)) throw e2;
        return fail(at, expected, v);
      }
    }
  };

type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** An object with at least these fields; the others are kept as they are. */
export const obj =
  <S extends Shape>(shape: S): Check<Out<S> & Record<string, unknown>> =>
  (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(at, 'an object', v);
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, check] of Object.entries(shape)) {
      const x = check((v as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
      if (x === undefined) delete out[k];
      else out[k] = x;
    }
    return out as Out<S> & Record<string, unknown>;
  };

/** Validates a response body; `what` is "GET /v1/admin/me". */
export function parse<T>(what: string, check: Check<T>, value: unknown): T {
  try {
    return check(value, '');
  } catch (e) {
    if (!(e instanceof Mismatch)) throw e;
    throw new NoxusError(`invalid response from ${what}: ${e.message}`, {
      hint: 'the server, or a proxy in front of it, answered with something the Noxus API does not send; check the server URL',
      reason: { kind: 'unexpected_response' } satisfies ApiReason,
    });
  }
}

/** Validates one item of a list, naming the item. */
export const item =
  <T>(check: Check<T>): ((v: unknown, what: string, index: number) => T) =>
  (v, what, index) =>
    parse(what, (x) => check(x, `item ${index}`), v);
