// The Markdown review export renders server text as exactly that text: hostile names cannot inject
// HTML, links, autolinks, code spans, emphasis or table columns.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { markdownChunks, mdText } from '../../src/services/review/render.js';
import { docSourceOf, type ReviewDoc, type ReviewUser } from '../../src/services/review/types.js';

describe('mdText', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['[click](javascript:alert(1))', '\\[click\\](javascript:alert(1))'],
    ['![x](https://evil.example/t.png)', '!\\[x\\](https\\://evil.example/t.png)'],
    ['<javascript:alert(1)>', '&lt;javascript:alert(1)&gt;'],
    ['<https://evil.example>', '&lt;https\\://evil.example&gt;'],
    ['see https://evil.example/x', 'see https\\://evil.example/x'],
    ['www.evil.example', 'www\\.evil.example'],
    ['a | b', 'a \\| b'],
    ['`rm -rf /`', '\\`rm -rf /\\`'],
    ['**bold** _it_ ~~gone~~', '\\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~'],
    ['&lt;already&gt;', '&amp;lt;already&amp;gt;'],
    ['back\\slash', 'back\\\\slash'],
    ['# heading', '\\# heading'],
    ['- item', '\\- item'],
    ['1. item', '1\\. item'],
    ['12) item', '12\\) item'],
    ['two\nlines\r\nhere', 'two lines here'],
    ['rtl\u202eexe.pdf\u200b', 'rtl\\\\u202eexe.pdf\\\\u200b'],
    ['Tim Berners-Lee', 'Tim Berners-Lee'],
    ['=HYPERLINK("x")', '=HYPERLINK("x")'],
    [null, ''],
  ])('%j → %j', (input, out) => {
    expect(mdText(input)).toBe(out);
  });

  // Undoes what a CommonMark renderer undoes: backslash escapes and the three entities.
  const render = (s: string) =>
    s
      .replace(/\\([!-/:-@[-`{-~])/g, '$1')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');

  it('any string: one line, no raw HTML, link, code or cell syntax, and it renders back to the text', () => {
    const piece = fc.constantFrom(
      '<',
      '>',
      '&',
      '[',
      ']',
      '(',
      ')',
      '|',
      '`',
      '*',
      '_',
      '~',
      '\\',
      '#',
      '-',
      '1.',
      '\n',
      'https://',
      'www.',
      'javascript:',
      'a',
      ' ',
      '&amp;',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }).map((a) => a.join('')),
        (s) => {
          const out = mdText(s);
          expect(out).not.toMatch(/[<>\n\r]/);
          expect(out).not.toMatch(/(^|[^\\])(\\\\)*[|`[\]*_~]/);
          expect(out).not.toMatch(/[^\\]:\/\//);
          expect(render(out)).toBe(s.replace(/[\r\n]+/g, ' '));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('markdownChunks with hostile server data', () => {
  const user = (over: Partial<ReviewUser>): ReviewUser => ({
    id: 'u_1',
    email: 'eve@example.com',
    name: 'Eve',
    kind: 'human',
    status: 'active',
    org_role: 'Org Admin',
    org_admin: true,
    created_at: '2026-01-01T00:00:00Z',
    last_active_on: '2026-02-01',
    ...over,
  });
  const doc = (users: ReviewUser[]): ReviewDoc =>
    ({
      schema_version: 1,
      kind: 'noxus-access-review',
      server: 'https://noxus.example.com',
      tool_version: '0.1.0',
      generated_at: '2026-03-01T00:00:00.000Z',
      sha256: 'ab'.repeat(32),
      content: {
        organization: '<b>Org</b>',
        users,
        grants: [],
        keys: [],
        system_keys: [],
        service_accounts: [],
        invitations: [],
        roles: [],
      },
    }) as ReviewDoc;

  it('escapes names in the title, the admin list and the users table', async () => {
    let text = '';
    for await (const chunk of markdownChunks(
      docSourceOf(
        doc([user({ name: '<script>x</script> [a](javascript:alert(1)) | `c`', org_role: 'Role|Injected' })]),
      ),
    ))
      text += chunk;
    expect(text).toMatch(/^# Access review: &lt;b&gt;Org&lt;\/b&gt;\n/);
    expect(text).toContain(
      '- Generated: 2026-03-01T00:00:00.000Z by noxus 0.1.0\n- Server: https\\://noxus.example.com\n',
    );
    expect(text).toContain(
      '- eve@example.com (&lt;script&gt;x&lt;/script&gt; \\[a\\](javascript:alert(1)) \\| \\`c\\`), last active 2026-02-01\n',
    );
    expect(text).toContain(
      '| eve@example.com | &lt;script&gt;x&lt;/script&gt; \\[a\\](javascript:alert(1)) \\| \\`c\\` | human | active | Role\\|Injected | 2026-02-01 |\n',
    );
    expect(text).not.toMatch(/<(?!\/?b>)/);
  });
});
