// The approvals inbox in Debian's Chromium, without any script of ours: a held file whose release
// one person asked for and an exception another requested in the register wait in one page
// (/approvals) for the people whose roles decide them, never for their requesters; each is
// decided from its own row with a reason that lands in the audit log, and an approval for a role
// the policy marks mfa is refused to an approver without a second factor, and recorded.
// Started by run.sh after the other files, on the same console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { auditActions, collectProblems, launchChromium, sanso } from './browser.mjs';

const url = process.env.SANSO_URL;
const lgwan = '10.20.0.7';
const passwords = { tanaka: process.env.SANSO_TANAKA_PASSWORD, suzuki: process.env.SANSO_SUZUKI_PASSWORD };
let browser;
const problems = [];
// The refused approval (no second factor) is answered 401 on purpose.
const expected = /Failed to load resource: the server responded with a status of 401/;

before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

async function person(name) {
  const context = await browser.newContext({ locale: 'ja-JP', javaScriptEnabled: false, extraHTTPHeaders: { 'X-Forwarded-For': lgwan } });
  const page = await context.newPage();
  collectProblems(page, problems, expected);
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', passwords[name]);
  await page.click('#sign-in button[type=submit]');
  assert.doesNotMatch(page.url(), /\/login/, `${name} signed in`);
  return { context, page };
}

test('a held file and a requested exception wait in one inbox and are decided there, with the reason recorded', async () => {
  // What an administrator and two clerks did before: a file kept for inspection whose release
  // tanaka asked for, and suzuki's request for an exception the security manager decides.
  const file = `${process.env.SANSO_CITY}/窓口持ち込み.txt`;
  writeFileSync(file, '窓口で受け取った資料\n');
  const item = sanso(['quarantine', 'add', file, '--as', 'kato', '--verdict', 'blocked', '--reason', 'USBメモリの持ち込み']).trim().split('\n').at(-1);
  sanso(['quarantine', 'request-release', item, '--as', 'tanaka', '--reason', '住民からの申請書の確認に必要']);
  sanso(['register', 'add', 'exceptions', '--as', 'suzuki', '--field', 'id=exc-browser', '--field', 'rule=city.lgwan-removable-media',
         '--field', 'requested_by=suzuki', '--field', 'requested_on=2026-12-01', '--field', 'reason=災害訓練で名簿をUSBメモリで持ち出す',
         '--field', 'approver_role=security_manager', '--field', 'state=requested']);

  const suzuki = await person('suzuki');
  await suzuki.page.click('nav >> text=承認の受信箱');
  assert.match(suzuki.page.url(), /\/approvals$/);
  const row = suzuki.page.locator(`tr[data-kind=mail][data-id="${item}"]`);
  assert.equal(await row.count(), 1, 'the release tanaka asked for waits for suzuki');
  assert.match(await row.innerText(), /住民からの申請書の確認に必要/);
  assert.equal(await suzuki.page.locator('tr[data-id="exc-browser"]').count(), 0, 'not their own request');
  await suzuki.page.screenshot({ path: `${process.env.SANSO_SCREENSHOTS}/approvals-inbox.png`, fullPage: true });
  await row.locator('textarea[name=note]').fill('申請書の原本と照合しました');
  await row.locator('button.approve').click();
  assert.match(await suzuki.page.locator('[role=status]').innerText(), /承認しました/);
  assert.equal(await suzuki.page.locator(`tr[data-id="${item}"]`).count(), 0, 'decided: gone from the inbox');
  const approval = auditActions('quarantine.approve').at(-1);
  assert.equal(approval.actor, 'suzuki');
  assert.equal(approval.details.note, '申請書の原本と照合しました');

  const tanaka = await person('tanaka');
  await tanaka.page.goto(`${url}/approvals`);
  assert.equal(await tanaka.page.locator(`tr[data-id="${item}"]`).count(), 0, 'tanaka asked for that release');
  const exception = tanaka.page.locator('tr[data-kind=exception][data-id="exc-browser"]');
  assert.match(await exception.locator('.role').innerText(), /情報セキュリティ管理者 \(security_manager\)/);
  // The policy's security manager role requires MFA; tanaka has no second factor: nothing is approved.
  assert.equal(await exception.locator('input[name=code]').count(), 1);
  await exception.locator('textarea[name=note]').fill('訓練の期間に限り認める');
  await exception.locator('input[name=code]').fill('123456');
  await exception.locator('button.approve').click();
  assert.match(await tanaka.page.locator('[role=alert]').innerText(), /二要素認証が設定されていません/);
  assert.equal(auditActions('console.second-factor').at(-1).details.reason, 'no-second-factor');
  assert.equal(auditActions('register.exception.approve').length, 0);
  // Denying lets nothing through and needs no code.
  const again = tanaka.page.locator('tr[data-kind=exception][data-id="exc-browser"]');
  await again.locator('textarea[name=note]').fill('二要素認証の設定後に改めて申請してください');
  await again.locator('button.deny').click();
  assert.match(await tanaka.page.locator('[role=status]').innerText(), /却下しました/);
  const denial = auditActions('register.exception.deny').at(-1);
  assert.equal(denial.actor, 'tanaka');
  assert.equal(denial.details.note, '二要素認証の設定後に改めて申請してください');
  await suzuki.context.close();
  await tanaka.context.close();
});

test('no page reported an unexpected error (nothing blocked by the content policy)', () => {
  assert.deepEqual(problems, []);
});
