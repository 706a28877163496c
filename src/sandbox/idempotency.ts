// Idempotency-Key records. A replay can carry a secret (a new key, a rotated one, an act-as key),
// so the stored response is sealed with AES-256-GCM under a key derived from the Idempotency-Key
// itself, which only the client holds; the row is found by a second value derived from it, never
// by the key. A copy of the database (or its WAL) therefore holds nothing a replay could reveal
// without the client's Idempotency-Key.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { now, type Store } from './store.js';

const RETENTION_MS = 86_400_000;
const NONCE = 12;
const TAG = 16;

export interface IdemRecord {
  method: string;
  path: string;
  status: number | null;
  body: Buffer | null;
}

export interface IdemRef {
  principal: string;
  /** Hex; the primary key with principal. */
  lookup: string;
  /** The AES-256-GCM key of this record's body; never stored. */
  secret: Buffer;
}

export class IdempotencyStore {
  private readonly salt: Buffer;

  constructor(private readonly store: Store) {
    let salt = store.meta('idempotency_salt');
    if (!salt) {
      salt = randomBytes(32).toString('hex');
      store.setMeta('idempotency_salt', salt);
    }
    this.salt = Buffer.from(salt, 'hex');
  }

  /** HKDF-SHA256 of the Idempotency-Key with the database's salt, bound to the caller's key id. */
  ref(principal: string, idempotencyKey: string): IdemRef {
    const okm = Buffer.from(
      hkdfSync('sha256', idempotencyKey, this.salt, `noxus idempotency v1\0${principal}`, 64),
    );
    return { principal, lookup: okm.subarray(0, 32).toString('hex'), secret: okm.subarray(32) };
  }

  find(r: IdemRef): IdemRecord | undefined {
    return this.store.get<IdemRecord>(
      'SELECT method, path, status, body FROM idempotency WHERE principal = ? AND key_hash = ?',
      r.principal,
      r.lookup,
    );
  }

  claim(r: IdemRef, method: string, path: string): void {
    this.store.run(
      'DELETE FROM idempotency WHERE created_at < ?',
      new Date(Date.now() - RETENTION_MS).toISOString(),
    );
    this.store.run(
      'INSERT INTO idempotency(principal, key_hash, method, path, created_at) VALUES (?,?,?,?,?)',
      r.principal,
      r.lookup,
      method,
      path,
      now(),
    );
  }

  complete(r: IdemRef, method: string, path: string, status: number, body: string): void {
    this.store.run(
      'UPDATE idempotency SET status = ?, body = ? WHERE principal = ? AND key_hash = ?',
      status,
      seal(r.secret, aad(r, method, path, status), Buffer.from(body, 'utf8')),
      r.principal,
      r.lookup,
    );
  }

  /** A request that failed (5xx) leaves nothing behind: the retry runs again. */
  drop(r: IdemRef): void {
    this.store.run(
      'DELETE FROM idempotency WHERE principal = ? AND key_hash = ? AND status IS NULL',
      r.principal,
      r.lookup,
    );
  }

  /** The stored response; undefined when the body does not open (it was not sealed for this key). */
  open(r: IdemRef, rec: IdemRecord): string | undefined {
    if (rec.status === null || !rec.body) return undefined;
    try {
      return open(r.secret, aad(r, rec.method, rec.path, rec.status), rec.body).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * Called once at start-up: an in-flight row whose request died with the previous process would
   * otherwise answer "still in progress" to every retry until it expires. Returns how many.
   */
  reclaimInFlight(): number {
    return this.store.run('DELETE FROM idempotency WHERE status IS NULL');
  }
}

function aad(r: IdemRef, method: string, path: string, status: number): Buffer {
  return Buffer.from(`${r.principal}\0${r.lookup}\0${method}\0${path}\0${status}`, 'utf8');
}

function seal(key: Buffer, ad: Buffer, plain: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(ad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, c.getAuthTag(), body]);
}

function open(key: Buffer, ad: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
  d.setAAD(ad);
  d.setAuthTag(sealed.subarray(NONCE, NONCE + TAG));
  return Buffer.concat([d.update(sealed.subarray(NONCE + TAG)), d.final()]);
}
