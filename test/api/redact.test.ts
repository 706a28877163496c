import { describe, expect, it } from 'vitest';
import { redactBody, redactHeaders, redactText } from '../../src/api/redact.js';

describe('redactHeaders', () => {
  it('masks credential headers in any case and keeps the rest', () => {
    expect(
      redactHeaders({
        'X-API-Key': 'noxus_abcdefgh1234',
        authorization: 'Bearer abc',
        Cookie: 'a=b',
        'set-cookie': ['s=1', 's=2'],
        accept: 'application/json',
        'x-request-id': 'r1',
        skipped: undefined,
      }),
    ).toEqual({
      'X-API-Key': '***',
      authorization: '***',
      Cookie: '***',
      'set-cookie': '***',
      accept: 'application/json',
      'x-request-id': 'r1',
    });
  });

  it('masks key-like values in other headers', () => {
    expect(redactHeaders({ 'x-debug': 'got sk-abcdefgh12345678' })).toEqual({ 'x-debug': 'got ***' });
  });
});

describe('redactText', () => {
  it('masks noxus_ and sk- / sk_ keys', () => {
    expect(redactText('a noxus_AbCdEfGh12 b sk-live1234567 c sk_user_abc12345 d')).toBe(
      'a *** b *** c *** d',
    );
  });

  it('leaves short look-alikes and words containing "sk_" alone', () => {
    expect(redactText('noxus_short task_scheduler_123 sk-1')).toBe('noxus_short task_scheduler_123 sk-1');
  });

  it('masks given secrets wherever they appear', () => {
    expect(redactText('url?k=my.custom+key', ['my.custom+key'])).toBe('url?k=***');
  });
});

describe('redactBody', () => {
  it('masks fields whose name looks secret, at any depth', () => {
    const body = {
      name: 'ci',
      value: 'v',
      api_key: 'x',
      nested: { client_secret: 's', Token: 't', list: [{ password: 'p', ok: 1 }] },
      authorization: 'a',
    };
    expect(JSON.parse(redactBody(body))).toEqual({
      name: 'ci',
      value: '***',
      api_key: '***',
      nested: { client_secret: '***', Token: '***', list: [{ password: '***', ok: 1 }] },
      authorization: '***',
    });
  });

  it('parses JSON text and masks key-like strings in other fields', () => {
    expect(redactBody('{"note":"rotate noxus_OldKey12345678","n":1}')).toBe('{"note":"rotate ***","n":1}');
  });

  it('masks secret fields in JSON that does not parse', () => {
    expect(redactBody('{"name":"x","value":"sk_unfinished_sec')).toBe('{"name":"x","value":"***"');
    expect(redactBody('{"token": 12345, "ok": true')).toBe('{"token": "***", "ok": true');
  });

  it('truncates to 2 kB after masking', () => {
    const out = redactBody('x'.repeat(5000));
    expect(out).toBe(`${'x'.repeat(2048)}… (2952 more bytes)`);
  });

  it('leaves plain text alone and renders nothing for no body', () => {
    expect(redactBody('hello')).toBe('hello');
    expect(redactBody(undefined)).toBe('');
  });
});
