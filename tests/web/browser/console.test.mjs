// The console as the people of 情報政策係 use it, in Debian's Chromium: a failed and a good
// sign-in, a release requested by one person and approved and carried out by another, the audit
// log showing the sign-ins, English on request, and sign-out. Started by run.sh, which sets the
// SANSO_* variables.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { auditActions, collectProblems, launchChromium } from './browser.mjs';

const url = process.env.SANSO_URL;
const item = process.env.SANSO_ITEM;
const shots = process.env.SANSO_SCREENSHOTS;
let browser;
const problems = [];  // errors the pages themselves report (a CSP violation, say)
// The one error a page may report: the 401 a failed sign-in is answered with, by design.
const expected = /\/login: Failed to load resource: the server responded with a status of 401/;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
});

after(async () => { await browser?.close(); });

async function person(locale = 'ja-JP') {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  collectProblems(page, problems, expected);
  return { context, page };
}

async function signIn(page, name, password) {
  await page.goto(`${url}/`);
  assert.match(page.url(), /\/login/);  // everything else needs a session
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('#sign-in button[type=submit]');
}


test('a wrong password is refused in Japanese, and recorded', async () => {
  const { context, page } = await person();
  await signIn(page, 'tanaka', 'これは違うパスワードです');
  assert.match(await page.locator('[role=alert]').innerText(), /いずれかが正しくないか/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  const failures = auditActions('console.sign-in').filter((r) => r.outcome === 'failed');
  assert.equal(failures.length, 1);
  assert.equal(failures[0].details.reason, 'bad-password');
  await context.close();
});

test('one person requests a release, another approves and releases it', async () => {
  const tanaka = await person();
  await signIn(tanaka.page, 'tanaka', process.env.SANSO_TANAKA_PASSWORD);
  assert.equal(await tanaka.page.locator('#who').innerText(), '田中 情報政策係長');
  assert.equal(await tanaka.page.locator('#count-held').innerText(), '1');
  await tanaka.page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });

  await tanaka.page.click('nav >> text=隔離保管');
  await tanaka.page.click(`a:text("${item}")`);
  assert.equal(await tanaka.page.locator('#state').innerText(), '保留中');
  await tanaka.page.fill('#request-form textarea[name=reason]', '窓口で受け付けた申請書の確認に必要なため');
  await tanaka.page.click('#request-form button');
  assert.match(await tanaka.page.locator('[role=status]').innerText(), /解放を申請しました/);
  assert.equal(await tanaka.page.locator('#state').innerText(), '解放申請中');
  assert.equal(await tanaka.page.locator('#decide-form').count(), 0, 'the requester is not offered the decision');

  const suzuki = await person();
  await signIn(suzuki.page, 'suzuki', process.env.SANSO_SUZUKI_PASSWORD);
  await suzuki.page.click(`a:text("${item}")`);  // listed under 承認待ちの解放申請 on the overview
  await suzuki.page.fill('#decide-form textarea[name=note]', '内容を確認しました');
  await suzuki.page.click('#approve');
  assert.equal(await suzuki.page.locator('#state').innerText(), '承認済み');
  await suzuki.page.click('#release');
  assert.match(await suzuki.page.locator('[role=status]').innerText(), /解放しました/);
  assert.equal(await suzuki.page.locator('#state').innerText(), '解放済み');
  await suzuki.page.screenshot({ path: `${shots}/released.png`, fullPage: true });
  const history = await suzuki.page.locator('#history').innerText();
  assert.match(history, /tanaka/);
  assert.match(history, /suzuki/);
  const exported = readdirSync(process.env.SANSO_EXPORT_DIR);
  assert.deepEqual(exported, [`${item}-持ち込み資料.txt`]);

  const releases = auditActions('quarantine.release');
  assert.equal(releases.at(-1).actor, 'suzuki');
  await tanaka.context.close();
  await suzuki.context.close();
});

test('the audit log shows sign-ins and filters by person', async () => {
  const { context, page } = await person();
  await signIn(page, 'tanaka', process.env.SANSO_TANAKA_PASSWORD);
  await page.click('nav >> text=監査ログ');
  await page.fill('input[name=action]', 'console.');
  // The filter is a GET form: wait for the filtered page, not the one being left (a race that a
  // loaded machine lost: the rows read were those of a page mid-navigation).
  await Promise.all([page.waitForURL(/[?&]action=console\./), page.click('form.filters button')]);
  const rows = await page.locator('#entries tr').allInnerTexts();
  assert.ok(rows.some((r) => r.includes('console.sign-in') && r.includes('bad-password')), rows.join('\n'));
  assert.ok(rows.some((r) => r.includes('suzuki') && r.includes('console.sign-in')), rows.join('\n'));
  assert.ok(!rows.some((r) => r.includes('quarantine.')), 'the action filter holds');
  await page.fill('input[name=action]', '');
  await page.fill('input[name=actor]', 'suzuki');
  await Promise.all([page.waitForURL(/[?&]actor=suzuki/), page.click('form.filters button')]);
  const suzukis = await page.locator('#entries tr').allInnerTexts();
  assert.ok(suzukis.length > 2);
  assert.ok(suzukis.slice(1).every((r) => r.includes('suzuki')), suzukis.join('\n'));
  await page.screenshot({ path: `${shots}/audit.png`, fullPage: true });
  await context.close();
});

test('English on request, and signing out ends the session', async () => {
  const { context, page } = await person();
  await signIn(page, 'tanaka', process.env.SANSO_TANAKA_PASSWORD);
  await page.click('a.lang');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.locator('nav a').nth(1).innerText(), 'Quarantine');
  await page.click('a.lang');
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  await page.click('#sign-out');
  assert.match(page.url(), /\/login/);
  assert.match(await page.locator('[role=status]').innerText(), /サインアウトしました/);
  await page.goto(`${url}/audit`);
  assert.match(page.url(), /\/login/, 'the old session opens nothing');
  const outs = auditActions('console.sign-out');
  assert.equal(outs.at(-1).actor, 'tanaka');
  assert.equal(outs.at(-1).outcome, 'ok');
  await context.close();
});

test('no page reported an error (no style or script blocked by the content policy)', () => {
  assert.deepEqual(problems, []);
  assert.ok(existsSync(`${shots}/released.png`));
});
