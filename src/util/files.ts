// File helpers shared by every layer: names built from server text, and writes no reader sees half done.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

const STEM_MAX = 100;
const UNSAFE = /[^A-Za-z0-9._@-]+/g;
// Names Windows maps to devices whatever the extension.
const DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
const EXT = /^(\.[A-Za-z0-9]+)*$/;

/**
 * One file name, safe to join to a directory, from text that may come from a server (ids, names,
 * emails). The result is ASCII letters, digits and `._@-`, starts with a letter or digit, is at most
 * about 120 bytes, and cannot name another directory. A name that had to change carries a hash of
 * the original, so two different inputs never share a file; a name already safe is kept as is.
 */
export function safeFileName(name: string, ext = ''): string {
  if (!EXT.test(ext)) throw new Error(`not a file extension: ${JSON.stringify(ext)}`);
  let stem = name
    .replace(UNSAFE, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[._]+$/, '');
  const changed = stem !== name || stem.length > STEM_MAX || DEVICE.test(stem) || stem === '';
  if (!changed) return `${stem}${ext}`;
  stem = stem.slice(0, STEM_MAX).replace(/[._]+$/, '');
  if (DEVICE.test(stem)) stem = stem.replace(/^[A-Za-z]+\d?/, '$&_');
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 12);
  return `${stem ? `${stem}-` : ''}${hash}${ext}`;
}

/** `dir/<safe name>`, checked to be a direct child of `dir`. */
export function fileInDir(dir: string, name: string, ext = ''): string {
  const base = resolve(dir);
  const file = join(base, safeFileName(name, ext));
  if (dirname(file) !== base || basename(file) !== safeFileName(name, ext)) {
    throw new Error(`refusing a file name that leaves ${base}: ${JSON.stringify(name)}`);
  }
  return file;
}

/** Writes `content` to `path` with mode 0600 so that no reader ever sees a partial file. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.chmod(0o600);
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  // Make the rename itself durable; not all platforms can open a directory.
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {}
}

/** writeFileAtomic for callers that must not yield (the profile store's setters are synchronous). */
export function writeFileAtomicSync(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      fchmodSync(fd, 0o600);
      writeFileSync(fd, content, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {}
}
