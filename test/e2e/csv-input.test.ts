// CSV input edge cases for `users add --from-csv --dry-run --json`, spawned against a sandbox: each
// file either gives the right plan or a precise error (file:line[:column]), and nothing reaches the
// server either way.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { snapshot } from './support.js';

let sbx: TestSandbox;
let work: string;
let configDir: string;
let before: Awaited<ReturnType<typeof snapshot>>;

const HEADER = 'email,name,display_name,org_role,workspaces';

const write = (name: string, content: string | Buffer): string => {
  const f = join(work, name);
  writeFileSync(f, content);
  return f;
};

const dryRun = (file: string): Promise<CliResult> =>
  runCli(['users', 'add', '--from-csv', file, '--dry-run', '--json'], {
    configDir,
    env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey },
  });

/** A successful dry run: the planned rows as `row email action`. */
function planned(r: CliResult): string[] {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const doc = JSON.parse(r.stdout);
  expect(doc).toMatchObject({ schema_version: 1, command: 'users add', dry_run: true });
  for (const x of doc.items) expect(x.outcome).toBe('planned');
  return doc.items.map(
    (x: { row: number; email: string; action: string }) => `${x.row} ${x.email} ${x.action}`,
  );
}

interface JsonError {
  code: string;
  exit_code: number;
  message: string;
  hint?: string;
  errors?: Array<{ file: string; line: number; column: number; message: string }>;
}

/** A refused file: exit 2, nothing on stdout, one JSON error on stderr. */
function refused(r: CliResult): JsonError {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  const err = JSON.parse(lines[0] as string).error as JsonError;
  expect(err.code).toBe('usage');
  expect(err.exit_code).toBe(2);
  return err;
}

const problems = (e: JsonError) => (e.errors ?? []).map((p) => `${p.line}:${p.column}: ${p.message}`);

beforeAll(async () => {
  sbx = await startTestSandbox({ seed: 'demo' });
  work = mkdtempSync(join(tmpdir(), 'noxus-csv-'));
  configDir = tempConfigDir();
  before = await snapshot(sbx);
});

afterAll(async () => {
  await sbx?.cleanup();
  for (const d of [work, configDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('users add --from-csv --dry-run --json', () => {
  it('a UTF-8 BOM before the header is ignored', async () => {
    const f = write('bom.csv', `\uFEFF${HEADER}\nbom1@example.com,Bo Mé,Bo,Org Base,Marketing=Editor\n`);
    expect(planned(await dryRun(f))).toEqual(['2 bom1@example.com invite']);
  });

  it('CRLF line endings: rows and line numbers as in the file', async () => {
    const ok = write(
      'crlf.csv',
      `${HEADER}\r\ncr1@example.com,Cr One,Cr,Org Base,Marketing=Editor\r\ncr2@example.com,Cr Two,Cr,Org Base,Support=Reader;Finance=Editor\r\n`,
    );
    expect(planned(await dryRun(ok))).toEqual(['2 cr1@example.com invite', '3 cr2@example.com invite']);
    const bad = write(
      'crlf-bad.csv',
      `${HEADER}\r\ncr1@example.com,Cr One,Cr,Org Base,Marketing=Editor\r\ncr2@example.com,Cr Two,Cr,Org Base,Support=Reder\r\n`,
    );
    const e = refused(await dryRun(bad));
    expect(problems(e)).toEqual(['3:5: unknown workspace role "Reder" (did you mean Reader?)']);
    expect(e.message).toBe(
      `${bad}: 1 problem; nothing was changed\ncrlf-bad.csv:3:5: unknown workspace role "Reder" (did you mean Reader?)`,
    );
  });

  it('quoted commas stay in their cell', async () => {
    const f = write(
      'commas.csv',
      `${HEADER}\nqc1@example.com,"Lovelace, Ada","Ada, Countess",Org Base,"Marketing=Editor;Support=Reader"\n`,
    );
    expect(planned(await dryRun(f))).toEqual(['2 qc1@example.com invite']);
    // After a quoted comma the next cells are still the right ones: linus is Reader in Marketing.
    const existing = write(
      'commas-existing.csv',
      `${HEADER}\nlinus@example.com,"Torvalds, Linus","Linus, T.",Org Base,"Marketing=Editor;Engineering=Admin"\n`,
    );
    const r = await dryRun(existing);
    expect(planned(r)).toEqual(['2 linus@example.com update']);
    expect(JSON.parse(r.stdout).items[0].message).toBe('Marketing: Reader → Editor');
  });

  it('quoted newlines: a multi-line cell is read whole and later line numbers stay right', async () => {
    // The workspaces cell spans lines 2-3; a newline between grants is harmless.
    const ok = write(
      'newline-ok.csv',
      `${HEADER}\nnl1@example.com,Nl One,Nl,Org Base,"Marketing=Editor;\nSupport=Reader"\nnl2@example.com,Nl Two,Nl,Org Base,Finance=Reader\n`,
    );
    expect(planned(await dryRun(ok))).toEqual(['2 nl1@example.com invite', '4 nl2@example.com invite']);
    // A name over two lines is refused precisely; the record after it is on line 4.
    const bad = write(
      'newline-name.csv',
      `${HEADER}\nnl3@example.com,"Ada\nLovelace",Ada,Org Base,Marketing=Editor\nnl4@example.com,Nl Four,Nl,Org Base,Bogus=Editor\n`,
    );
    expect(problems(refused(await dryRun(bad)))).toEqual([
      '2:2: name must not contain control characters',
      '4:5: unknown workspace "Bogus"',
    ]);
  });

  it('blank lines are skipped without shifting line numbers', async () => {
    const ok = write(
      'blank.csv',
      `${HEADER}\n\n\nbl1@example.com,Bl One,Bl,Org Base,Marketing=Editor\n\n   \nbl2@example.com,Bl Two,Bl,,\n\n`,
    );
    expect(planned(await dryRun(ok))).toEqual(['4 bl1@example.com invite', '7 bl2@example.com invite']);
    const bad = write(
      'blank-bad.csv',
      `${HEADER}\n\n\nbl1@example.com,Bl One,Bl,Org Base,Marketing=Editor\n\n   \nbl2@example.com,Bl Two,Bl,Org Bose,\n`,
    );
    expect(problems(refused(await dryRun(bad)))).toEqual([
      '7:4: unknown org role "Org Bose" (known: Org Admin, Org Base)',
    ]);
  });

  it('a missing column in the header, and a row with a missing cell', async () => {
    const noName = write(
      'missing-column.csv',
      'email,display_name,org_role,workspaces\nmc1@example.com,Mc,Org Base,Marketing=Editor\n',
    );
    const e = refused(await dryRun(noName));
    expect(problems(e)).toEqual(['1:5: missing column "name"']);
    expect(e.message).toBe(
      `${noName}: 1 problem; nothing was changed\nmissing-column.csv:1:5: missing column "name"`,
    );

    const short = write(
      'missing-cell.csv',
      `${HEADER}\nmc2@example.com,Mc Two,Mc,Org Base,Marketing=Editor\nmc3@example.com,Mc Three,Mc,Org Base\n`,
    );
    expect(problems(refused(await dryRun(short)))).toEqual(['3:5: expected 5 columns, found 4']);
  });

  it('only the required columns, in another order, is fine', async () => {
    const f = write('reordered.csv', 'name,email\nRe Ordered,ro1@example.com\n');
    expect(planned(await dryRun(f))).toEqual(['2 ro1@example.com invite']);
  });

  it('an extra unknown column is refused, naming the columns it knows', async () => {
    const f = write(
      'extra-column.csv',
      `${HEADER},team\nex1@example.com,Ex One,Ex,Org Base,Marketing=Editor,blue\n`,
    );
    expect(problems(refused(await dryRun(f)))).toEqual([
      '1:6: unknown column "team" (expected email, name, display_name, org_role, workspaces)',
    ]);
  });

  it('a latin-1 file is refused with the line of the first bad byte', async () => {
    const f = write(
      'latin1.csv',
      Buffer.concat([
        Buffer.from(
          `${HEADER}\nl1@example.com,Plain Name,Plain,Org Base,Marketing=Editor\nl2@example.com,Jos`,
        ),
        Buffer.from([0xe9]),
        Buffer.from(' Garc'),
        Buffer.from([0xed]),
        Buffer.from('a,Jose,Org Base,Support=Reader\n'),
      ]),
    );
    const e = refused(await dryRun(f));
    expect(e.message).toBe(`${f}:3: not valid UTF-8; save the file as UTF-8 and retry; nothing was changed`);
  });

  it('a binary file (NUL bytes) is refused with the offset', async () => {
    const head = `${HEADER}\nbin@example.com,Bin`;
    const f = write(
      'binary.csv',
      Buffer.concat([Buffer.from(head), Buffer.from([0, 1, 2, 0xff, 0]), Buffer.from('\n')]),
    );
    const e = refused(await dryRun(f));
    expect(e.message).toBe(
      `${f} looks binary (a NUL byte at offset ${Buffer.byteLength(head)}); expected a UTF-8 CSV; nothing was changed`,
    );
  });

  it('a 50 MB file is refused before it is read, with a hint', async () => {
    const f = join(work, 'big.csv');
    const fd = openSync(f, 'w');
    writeSync(fd, `${HEADER}\n`);
    const block = Array.from(
      { length: 10_000 },
      (_, i) => `big${String(i).padStart(5, '0')}@example.com,Big User,Big,Org Base,Marketing=Editor`,
    ).join('\n');
    const chunk = Buffer.from(`${block}\n`);
    let size = Buffer.byteLength(`${HEADER}\n`);
    while (size < 50 * 1024 * 1024) {
      writeSync(fd, chunk);
      size += chunk.length;
    }
    closeSync(fd);
    const r = await dryRun(f);
    const e = refused(r);
    expect(e.message).toBe(
      `${f} is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is 10 MB; nothing was changed`,
    );
    expect(e.hint).toBe('split it into smaller files and run them one after another');
  });

  it('the same checks in text mode name file:line:column on stderr', async () => {
    const f = write(
      'text-mode.csv',
      `\uFEFF${HEADER}\r\ntm1@example.com,Tm One,Tm,Org Base,Marketing=Edtor\r\n\r\nTM1@example.com,Tm Dup,Tm,Org Base,\r\n`,
    );
    const r = await runCli(['users', 'add', '--from-csv', f, '--dry-run'], {
      configDir,
      env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey },
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `error: ${f}: 2 problems; nothing was changed`,
        'text-mode.csv:2:5: unknown workspace role "Edtor" (did you mean Editor?)',
        'text-mode.csv:4:1: TM1@example.com is also on line 2 (emails compare case-insensitively)',
        '',
      ].join('\n'),
    );
  });

  it('nothing any of these files did reached the server', async () => {
    expect(await snapshot(sbx)).toEqual(before);
  });
});
