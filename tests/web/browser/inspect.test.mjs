// The self-inspection campaign in Debian's Chromium, as two people of the example city do it:
// tanaka creates last month's campaign for the mayor's departments with suzuki as reviewer,
// answers the manual items, adds an evidence file, evaluates the automatic items and gives every
// finding a corrective action; the assignee's own sign-off is refused; suzuki signs off; the
// campaign is locked — no forms, and an answer sent from a page opened before is refused.
// Started by run.sh after the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { auditActions, collectProblems, launchChromium } from './browser.mjs';

const url = process.env.SANSO_URL;
const shots = process.env.SANSO_SCREENSHOTS;
let browser;
const problems = [];
// Refusals this file provokes on purpose (the assignee's sign-off, an answer after the lock).
const expected = /Failed to load resource: the server responded with a status of (403|409)/;

before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

async function person(name, password) {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  collectProblems(page, problems, expected);
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('#sign-in button[type=submit]');
  assert.doesNotMatch(page.url(), /\/login/, `${name} signed in`);
  return { context, page };
}

// Last month in Japan: the period a monthly campaign looks back on.
function lastMonth() {
  const jst = new Date(Date.now() + 9 * 3600 * 1000);
  const d = new Date(Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const period = lastMonth();
const campaign = `minamata-monthly:mayor:${period}`;
const outcome = (page, item) => page.locator(`#items tr[data-item="${item}"] td.outcome`);

// After a click that navigates, each test waits for the page it leads to (waitForLoadState) before
// reading it: on a loaded machine the reads otherwise met the page being left.
test('a campaign is created, answered with evidence, evaluated, signed off by another person and locked', async () => {
  const tanaka = await person('tanaka', process.env.SANSO_TANAKA_PASSWORD);
  const page = tanaka.page;
  await page.goto(`${url}/inspect`);
  await page.selectOption('#create-form select[name=template]', 'minamata-monthly');
  await page.selectOption('#create-form select[name=body]', 'mayor');
  await page.fill('#create-form input[name=period]', period);
  await page.fill('#create-form input[name=assignee]', 'tanaka');
  await page.fill('#create-form input[name=reviewer]', 'suzuki');
  await page.click('#create-form button[type=submit]');
  await page.waitForLoadState();
  assert.equal(decodeURIComponent(new URL(page.url()).pathname), `/inspect/c/${campaign}`);
  assert.equal(await page.locator('#campaign-id').innerText(), campaign);
  assert.equal(await page.locator('#state').getAttribute('data-state'), 'open');

  // The manual items: one "no" with a note (a finding), the others "yes".
  const answers = { 'monthly-mynumber-export': 'yes', 'monthly-physical': 'no', 'monthly-incidents': 'yes' };
  for (const [item, answer] of Object.entries(answers)) {
    await page.selectOption('#answer-form select[name=item]', item);
    await page.selectOption('#answer-form select[name=answer]', answer);
    await page.fill('#answer-form textarea[name=note]', answer === 'no' ? 'サーバ室の鍵の貸出記録に抜けがあった' : '');
    await page.click('#answer-form button[type=submit]');
    await page.waitForLoadState();
    assert.match(await page.locator('[role=status]').innerText(), /回答/);
  }
  assert.match(await outcome(page, 'monthly-physical').innerText(), /いいえ/);
  assert.match(await outcome(page, 'monthly-physical').innerText(), /鍵の貸出記録/);
  assert.match(await outcome(page, 'monthly-incidents').innerText(), /はい/);

  // Evidence: a file bound to its hash, listed on its item and downloadable.
  await page.selectOption('#evidence-form select[name=item]', 'monthly-physical');
  await page.setInputFiles('#evidence-form input[name=file]',
                           { name: '鍵貸出簿.csv', mimeType: 'text/csv', buffer: Buffer.from('日付,氏名\n2026-11-02,田中\n') });
  await page.click('#evidence-form button[type=submit]');
  await page.waitForLoadState();
  assert.match(await page.locator('[role=status]').innerText(), /証跡を保存しました/);
  const file = page.locator('#items tr[data-item="monthly-physical"] a.evidence');
  assert.equal(await file.innerText(), '鍵貸出簿.csv');
  const download = await tanaka.context.request.get(new URL(await file.getAttribute('href'), url).toString());
  assert.equal(download.status(), 200);
  assert.equal(await download.text(), '日付,氏名\n2026-11-02,田中\n');

  // The automatic items, from the audit log; each outcome cites its evaluation.
  await page.click('#evaluate-form button[type=submit]');
  await page.waitForLoadState();
  for (const item of ['mynumber-egress', 'monitor-heartbeat', 'release-two-person', 'policy-review']) {
    assert.match(await outcome(page, item).innerText(), /適合|不適合/, item);
    assert.match(await outcome(page, item).innerText(), /#[0-9]+/, `${item} cites its audit entry`);
  }

  // Every finding gets a corrective action before sign-off.
  const findings = [];
  for (const row of await page.locator('#items tr[data-item]').all()) {
    const text = await row.locator('td.outcome').innerText();
    if (/^(いいえ|不適合)/.test(text.trim())) findings.push(await row.getAttribute('data-item'));
  }
  assert.ok(findings.includes('monthly-physical'), `the "no" is a finding: ${findings}`);
  for (const item of findings) {
    await page.selectOption('#action-form select[name=item]', item);
    await page.fill('#action-form textarea[name=description]', item === 'monthly-physical' ? '鍵の貸出を台帳に記録する' : '対応する');
    await page.fill('#action-form input[name=owner]', 'kato');
    await page.fill('#action-form input[name=due]', '2099-01-31');
    await page.click('#action-form button[type=submit]');
    await page.waitForLoadState();
  }
  assert.equal(await page.locator('#actions tr').count(), findings.length + 1);

  // The assignee may not sign off their own campaign.
  await page.click('#signoff');
  await page.waitForLoadState();
  assert.match(await page.locator('[role=alert]').innerText(), /inspect\.(same-person|not-reviewer)/);
  assert.equal(await page.locator('#state').getAttribute('data-state'), 'open');
  await page.screenshot({ path: `${shots}/inspect-campaign.png`, fullPage: true });

  // suzuki, the named reviewer, signs off: the campaign is locked.
  const suzuki = await person('suzuki', process.env.SANSO_SUZUKI_PASSWORD);
  await suzuki.page.goto(`${url}/inspect/c/${campaign}`);
  assert.equal(await suzuki.page.locator('#answer-form').count(), 0, 'only the assignee answers');
  await suzuki.page.fill('#signoff-form textarea[name=note]', '内容を確認した');
  await suzuki.page.click('#signoff');
  await suzuki.page.waitForLoadState();
  assert.match(await suzuki.page.locator('[role=status]').innerText(), /確定しました/);
  assert.equal(await suzuki.page.locator('#state').getAttribute('data-state'), 'signed-off');
  assert.match(await suzuki.page.locator('#signed').innerText(), /suzuki.*内容を確認した/);
  for (const form of ['#answer-form', '#evidence-form', '#evaluate-form', '#action-form', '#signoff-form']) {
    assert.equal(await suzuki.page.locator(form).count(), 0, `${form} is gone once locked`);
  }
  const signed = auditActions('inspect.signoff');
  assert.equal(signed.length, 1);
  assert.equal(signed[0].actor, 'suzuki');
  assert.equal(signed[0].subject, campaign);

  // tanaka's page still shows the answer form from before the lock: what it sends is refused.
  await page.selectOption('#answer-form select[name=item]', 'monthly-physical');
  await page.selectOption('#answer-form select[name=answer]', 'yes');
  await page.click('#answer-form button[type=submit]');
  await page.waitForLoadState();
  assert.match(await page.locator('[role=alert]').innerText(), /inspect\.locked/);
  await page.goto(`${url}/inspect/c/${campaign}`);
  assert.match(await outcome(page, 'monthly-physical').innerText(), /いいえ/, 'the answer stands as signed');
  assert.equal(auditActions('inspect.answer').length, 3);
  await suzuki.page.screenshot({ path: `${shots}/inspect-locked.png`, fullPage: true });
  await suzuki.context.close();
  await tanaka.context.close();
});

// Clause 8's review from the inspection: the kept policy versions (the policy the console started
// with is one, recorded as policy.version) and the diff form, whose result is `sanso policy diff`'s.
test('the kept policy versions are reached from the inspection and compared', async () => {
  const tanaka = await person('tanaka', process.env.SANSO_TANAKA_PASSWORD);
  const page = tanaka.page;
  await page.goto(`${url}/inspect`);
  await page.click('#policy-versions');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/policy/versions');
  const rows = page.locator('#versions tr[data-version]');
  assert.ok(await rows.count() >= 1, 'the policy in force is a kept version');
  const first = rows.first();
  assert.match(await first.innerText(), /JST/);
  assert.match(await first.locator('a[href^="/audit?from="]').innerText(), /^#[0-9]+$/);
  const kept = auditActions('policy.version');
  assert.ok(kept.length >= 1, 'its keeping is in the audit log');
  await page.click('#diff-form button[type=submit]');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/policy/diff');
  assert.ok((await page.locator('#diff').innerText()).length > 0, 'the differences (or that there are none) are shown');
  await page.screenshot({ path: `${shots}/policy-versions.png`, fullPage: true });
  await tanaka.context.close();
});

test('no page reported an error (nothing blocked by the content policy)', () => {
  assert.deepEqual(problems, []);
});
