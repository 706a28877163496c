// The README's examples run as written: every line of every ```bash block, in order, against a
// fresh demo sandbox, through a `noxus` on the PATH that is the built bin/noxus.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
const lines = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] as string).split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')),
);

describe('README examples', () => {
  const work = mkdtempSync(join(tmpdir(), 'noxus-readme-'));
  const bin = mkdtempSync(join(tmpdir(), 'noxus-readme-bin-'));
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: work,
    NOXUS_CONFIG_DIR: join(work, 'config'),
    CI: 'true',
    NO_COLOR: '1',
  };
  const sh = (cmd: string) =>
    spawnSync('bash', ['-c', cmd], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });

  beforeAll(() => {
    writeFileSync(join(bin, 'noxus'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'noxus'), 0o755);
    const r = sh('noxus sandbox start --detach --seed demo --port 0');
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);

  afterAll(() => {
    sh('noxus sandbox stop');
  });

  it('has runnable examples', () => {
    expect(lines.length).toBeGreaterThan(25);
  });

  it('every example runs as written, with the exit code the README says', () => {
    for (const line of lines) {
      const expected = Number(/# → exit (\d+)\s*$/.exec(line)?.[1] ?? 0);
      const r = sh(line);
      expect({ line, code: r.status, stderr: expected === r.status ? '' : r.stderr }).toEqual({
        line,
        code: expected,
        stderr: '',
      });
    }
    // The examples did what they say.
    const members = sh('noxus ws members Finance --json');
    expect(
      JSON.parse(members.stdout).items.map(
        (m: { email: string; role: { name: string } }) => `${m.email}=${m.role.name}`,
      ),
    ).toContain('katherine@example.com=Editor');
    // Offboarded: removed, and `users get` says so (the account and its history stay).
    const linus = sh('noxus users get linus@example.com --json');
    expect(linus.status).toBe(0);
    expect(JSON.parse(linus.stdout).items[0]).toMatchObject({
      email: 'linus@example.com',
      status: 'removed',
    });
  }, 240_000);
});
