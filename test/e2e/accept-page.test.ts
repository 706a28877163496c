// The invitation accept page in a real headless Chromium: a user invited with the CLI (outbox mode,
// the link read from the delivered .eml), the form filled and submitted with a personal key, the key
// shown once and working, and the link refused (410) once used.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { acceptLink, parseMail } from './mail.js';
import { userByEmail } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
// Without a browser the test is skipped on a workstation, and fails under CI.
const skip = !haveChromium && !process.env.CI;
const title = skip
  ? 'accept page in headless Chromium (skipped: /usr/bin/chromium is missing and CI is not set; apt-get install chromium)'
  : 'accept page in headless Chromium';

const EMAIL = 'paula.page@example.com';

describe.skipIf(skip)(title, () => {
  let sbx: TestSandbox;
  let browser: Browser;
  let link = '';
  let key = '';

  beforeAll(async () => {
    expect(haveChromium, `CI is set but ${CHROMIUM} is missing: install Debian chromium`).toBe(true);
    sbx = await startTestSandbox({ seed: 'demo' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await sbx?.cleanup();
  });

  const heading = async (page: Page) => (await page.locator('h1').textContent())?.trim();

  it('the CLI invites the user and the .eml in the outbox holds the link', async () => {
    const r = await runCli(
      [
        'users',
        'add',
        '--name',
        'Paula Page',
        '--email',
        EMAIL,
        '--workspace',
        'Marketing=Editor',
        '--workspace',
        'Support=Reader',
      ],
      { configDir: tempConfigDir(), env: { NOXUS_BACKEND_URL: sbx.url, NOXUS_API_KEY: sbx.adminKey } },
    );
    expect(r.code, r.stderr).toBe(0);
    const outbox = join(sbx.dataDir, 'outbox');
    const files = readdirSync(outbox).filter((f) => f.endsWith(`-${EMAIL}.eml`));
    expect(files).toHaveLength(1);
    const file = join(outbox, files[0] as string);
    expect(r.stderr).toContain(`invitation email: outbox:${file}; expires `);
    const mail = parseMail(readFileSync(file, 'utf8'));
    expect(mail.to).toEqual([EMAIL]);
    expect(mail.parts.map((p) => p.contentType)).toEqual(['text/plain', 'text/html']);
    link = acceptLink(mail, sbx.url).url;
    expect(mail.html).toContain(`<a href="${link}">Accept the invitation</a>`);
  });

  it('the page accepts the invitation and shows a personal key once', async () => {
    expect(link).not.toBe('');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const first = await page.goto(link);
      expect(first?.status()).toBe(200);
      expect(await page.title()).toBe('Join Noxus Sandbox');
      expect(await heading(page)).toBe('Join Noxus Sandbox');
      const body = (await page.locator('body').textContent())?.trim();
      expect(body).toContain(`You were invited as ${EMAIL}.`);
      expect((await page.locator('ul li').allTextContents()).map((t) => t.trim()).sort()).toEqual([
        'Marketing: Editor',
        'Support: Reader',
      ]);
      expect(await page.inputValue('#name')).toBe('Paula Page');
      expect(await page.inputValue('#display_name')).toBe('Paula');
      // Only the user's own workspaces are offered for a key.
      expect((await page.locator('#key_group option').allTextContents()).map((t) => t.trim()).sort()).toEqual(
        ['Marketing', 'Support', 'no key'],
      );

      // A second tab with the same form, submitted after the first one: the link is used by then.
      const late = await context.newPage();
      expect((await late.goto(link))?.status()).toBe(200);

      await page.fill('#name', 'Paula Page-Turner');
      await page.fill('#display_name', 'Paula P');
      await page.selectOption('#key_group', { label: 'Support' });
      const [done] = await Promise.all([
        page.waitForResponse((res) => res.request().method() === 'POST' && res.url() === link),
        page.click('#accept'),
      ]);
      expect(done.status()).toBe(200);
      await page.waitForLoadState();
      expect(await heading(page)).toBe('Welcome aboard');
      expect((await page.locator('#done').textContent())?.trim()).toBe(`Your account ${EMAIL} is active.`);
      expect((await page.locator('body').textContent())?.trim()).toContain(
        'Your personal API key for Support (shown once, store it now):',
      );
      key = (await page.locator('#key').textContent())?.trim() ?? '';
      expect(key).toMatch(/^noxus_[A-Za-z0-9]{40,}$/);

      await late.fill('#name', 'Someone Else');
      const [refused] = await Promise.all([
        late.waitForResponse((res) => res.request().method() === 'POST' && res.url() === link),
        late.click('#accept'),
      ]);
      expect(refused.status()).toBe(410);
      await late.waitForLoadState();
      expect(await heading(late)).toBe('Could not create the account');
      expect((await late.locator('.err').textContent())?.trim()).toMatch(
        /^this invitation was already used on \d{4}-\d\d-\d\dT\S+; sign in instead$/,
      );
    } finally {
      await context.close();
    }
  });

  it('the user is active and the key shown works', async () => {
    expect(key).not.toBe('');
    const u = await userByEmail(sbx, EMAIL);
    expect(u).toMatchObject({ email: EMAIL, status: 'active', name: 'Paula Page-Turner' });
    const full = await sbx.call('GET', `/v1/admin/users/${u?.id}`);
    expect(full.body.display_name).toBe('Paula P');
    const me = await sbx.call('GET', '/v1/admin/me', { key });
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({
      name: 'personal key',
      tenant_admin: false,
      group_name: 'Support',
      holder: { email: EMAIL, display_name: 'Paula P', org_admin: false },
    });
    expect(me.body.value).toBe(`noxus_…${key.slice(-4)}`);
    // The personal key is bounded by the holder's role: Reader in Support.
    expect([...me.body.effective_permissions].sort()).toEqual(['agents_run', 'flows_run', 'kbs_query']);
    const onboarding = await sbx.call('GET', `/v1/admin/users/${u?.id}/onboarding`);
    expect(onboarding.body.pending).not.toContain('account_created');
  });

  it('opening the link again shows the "already used" page with 410', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const res = await page.goto(link);
      expect(res?.status()).toBe(410);
      expect(await heading(page)).toBe('Invitation unavailable');
      expect((await page.locator('.err').textContent())?.trim()).toMatch(
        /^this invitation was already used on \d{4}-\d\d-\d\dT\S+; sign in instead$/,
      );
      expect(await page.locator('form').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
