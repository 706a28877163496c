// `noxus review verify` in-process: local only (no request at all); an intact JSON, CSV or Markdown
// export exits 0 with its hash, a modified one 1, something else 2.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, mockServer } from './mock.js';
import { interceptExport } from './review-fixture.js';
import { tempDir } from './support.js';

let server: MockServer;
afterEach(async () => {
  await server.done();
});

async function exported(format: 'json' | 'csv' | 'md'): Promise<string> {
  interceptExport(server);
  const file = join(tempDir(), `q.${format}`);
  const r = await server.run(['review', 'export', '--format', format, '-o', file]);
  expect(r.code).toBe(0);
  return file;
}

describe('noxus review verify', () => {
  it('an intact export of each format: exit 0, the hash and what it covers', async () => {
    server = mockServer();
    for (const format of ['json', 'csv', 'md'] as const) {
      const file = await exported(format);
      const r = await server.run(['review', 'verify', file, '--json']);
      expect(r.code).toBe(0);
      const v = JSON.parse(r.stdout);
      expect(v).toMatchObject({ schema_version: 1, command: 'review verify' });
      const item = v.item ?? v.items?.[0] ?? v;
      expect(item.format).toBe(format);
      expect(item.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const json = await exported('json');
    const plain = await server.run(['review', 'verify', json]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe(`✓ ${json}: sha256 matches (json export, unmodified)\n`);
  });

  it('a modified export exits 1 naming both hashes', async () => {
    server = mockServer();
    const file = await exported('csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Sales', 'Sale$'));
    const r = await server.run(['review', 'verify', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: ${file.replace(/[.]/g, '\\.')} does not match its sha256: the file was modified after export \\(recorded [0-9a-f]{64}, computed [0-9a-f]{64}\\)\\n`,
      ),
    );
  });

  it('no export at all exits 2', async () => {
    server = mockServer();
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'hello\n');
    expect(await server.run(['review', 'verify', file])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${file} is not a noxus access review export\n`,
    });
  });
});
