// File transfers between zones in Debian's Chromium: a macro document
// uploaded on the internet side reaches the LGWAN recipient rebuilt with its findings; a 個人番号
// CSV going out is held and its sender cannot approve it; the mynumber zone is refused with its
// clause; a forged form is refused; the LGWAN pages are refused to an internet-zone address; a
// PPAP zip is unlocked by its sender with the right password and refused with a wrong one;
// several files dropped at once go up as one transfer with its progress shown (the console's
// same-origin script, /static/transfer.js), and the plain form does the same without script.
// Which zone a browser is in comes from X-Forwarded-For, which the console believes only from its
// trusted proxy (127.0.0.1 in run.sh's copy of the city), as behind the city's reverse proxy.
// Started by run.sh after console.test.mjs, on the same console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { auditActions, collectProblems, launchChromium, sanso, secondFactor } from './browser.mjs';

const url = process.env.SANSO_URL;
// run.sh gives tanaka and suzuki their own passwords (console.test.mjs uses them), the others one for this file.
const passwords = { tanaka: process.env.SANSO_TANAKA_PASSWORD, suzuki: process.env.SANSO_SUZUKI_PASSWORD };
const password = (name) => passwords[name] ?? process.env.SANSO_TRANSFER_PASSWORD;
const internet = '10.30.0.5';
const lgwan = '10.20.0.7';
let browser;
const problems = [];
// Refusals this file provokes on purpose are answered with these statuses.
const expected = /Failed to load resource: the server responded with a status of (400|401|403)/;

before(async () => {
  browser = await launchChromium();
});

after(async () => { await browser?.close(); });

async function person(name, address, code) {
  const context = await browser.newContext({ locale: 'ja-JP', acceptDownloads: true, extraHTTPHeaders: { 'X-Forwarded-For': address } });
  const page = await context.newPage();
  collectProblems(page, problems, expected);
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password(name));
  if (code) await page.fill('input[name=code]', code);
  await page.click('#sign-in button[type=submit]');
  assert.doesNotMatch(page.url(), /\/login/, `${name} signed in`);
  return { context, page };
}


test('a macro document sent from the internet side reaches the LGWAN recipient rebuilt, with its findings', async () => {
  const yamada = await person('yamada', internet);
  // Staff exchange files; the quarantine and the audit log are not theirs ([web.permissions]).
  assert.equal(await yamada.page.locator('nav >> text=隔離保管').count(), 0);
  assert.equal(await yamada.page.locator('nav >> text=監査ログ').count(), 0);
  assert.equal((await yamada.page.goto(`${url}/audit`)).status(), 403);
  await yamada.page.goto(`${url}/`);
  await yamada.page.click('nav >> text=ファイル受け渡し');
  assert.equal(await yamada.page.locator('#side').innerText(), 'internet');
  await yamada.page.fill('#send-form input[name=recipient]', 'kato');
  await yamada.page.setInputFiles('#send-form input[name=files]', process.env.SANSO_MACRO_DOC);
  await yamada.page.click('#send');
  assert.match(await yamada.page.locator('[role=status]').innerText(), /受け付けました/);
  const id = await yamada.page.locator('#transfer-id').innerText();
  const row = yamada.page.locator('#files tr.file');
  assert.equal(await row.getAttribute('data-verdict'), 'sanitized');
  assert.match(await row.locator('.verdict').innerText(), /無害化済み/);
  assert.match(await row.locator('.findings').innerText(), /マクロ/);
  await yamada.page.screenshot({ path: `${process.env.SANSO_SCREENSHOTS}/transfer-sent.png`, fullPage: true });

  const kato = await person('kato', lgwan);
  await kato.page.goto(`${url}/transfer`);
  await kato.page.click(`#incoming a:text("${id}")`);
  const [download] = await Promise.all([kato.page.waitForEvent('download'), kato.page.click('#files a.download')]);
  assert.equal(download.suggestedFilename(), '見積書.docx');
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK');
  assert.ok(!bytes.includes('vbaProject'), 'the macro is gone');
  assert.ok(auditActions('transfer.download').some((r) => r.actor === 'kato' && r.subject === id));
  await yamada.context.close();
  await kato.context.close();
});

test('a 個人番号 CSV going out is held, and its sender cannot approve it; another approver can', async () => {
  const suzuki = await person('suzuki', lgwan);
  await suzuki.page.goto(`${url}/transfer`);
  await suzuki.page.fill('#send-form input[name=recipient]', 'vendor@example.com');
  await suzuki.page.fill('#send-form textarea[name=reason]', '委託先への報告');
  await suzuki.page.setInputFiles('#send-form input[name=files]', process.env.SANSO_NUMBER_CSV);
  await suzuki.page.click('#send');
  const id = await suzuki.page.locator('#transfer-id').innerText();
  assert.equal(await suzuki.page.locator('#state').getAttribute('data-state'), 'pending-approval');
  assert.match(await suzuki.page.locator('#hold').innerText(), /個人番号/);
  assert.equal(await suzuki.page.locator('#decide-form').count(), 0, 'the sender is not offered the decision');
  await suzuki.page.goto(`${url}/transfer/approvals`);
  assert.equal(await suzuki.page.locator(`#approvals a:text("${id}")`).count(), 0, 'nor listed in their approvals');

  // The rule's approver role requires MFA ([[roles]] mfa): tanaka approves with a one-time code.
  const code = secondFactor('tanaka');
  const tanaka = await person('tanaka', lgwan, code(0));
  await tanaka.page.goto(`${url}/transfer/approvals`);
  await tanaka.page.click(`#approvals a:text("${id}")`);
  await tanaka.page.fill('#decide-form textarea[name=note]', '宛先と内容を確認しました');
  await tanaka.page.fill('#decide-form input[name=code]', code(1));
  await tanaka.page.click('#approve');
  assert.match(await tanaka.page.locator('[role=status]').innerText(), /承認しました/);  // back in the inbox
  assert.equal(await tanaka.page.locator(`#approvals a:text("${id}")`).count(), 0);
  assert.equal(auditActions('transfer.approve').at(-1).actor, 'tanaka');
  await suzuki.page.goto(`${url}/transfer/${id}`);
  assert.equal(await suzuki.page.locator('#state').getAttribute('data-state'), 'approved');
  assert.equal(await suzuki.page.locator('#link-form').count(), 1, 'the sender may now issue the link');
  await suzuki.context.close();
  await tanaka.context.close();
  sanso(['user', 'second-factor', 'tanaka', '--remove', '--as', 'kato']);  // the later files sign tanaka in with the password alone
});

test('the mynumber zone is refused with its clause', async () => {
  const yamada = await person('yamada', internet);
  await yamada.page.goto(`${url}/transfer`);
  await yamada.page.fill('#send-form input[name=recipient]', 'ito');
  await yamada.page.setInputFiles('#send-form input[name=files]', process.env.SANSO_NUMBER_CSV);
  await yamada.page.click('#send');
  assert.match(await yamada.page.locator('[role=alert]').innerText(), /6\(3\)①/);
  await yamada.context.close();
});

test('a forged form token is refused and recorded', async () => {
  const kato = await person('kato', lgwan);
  await kato.page.goto(`${url}/transfer`);
  await kato.page.locator('#send-form input[name=csrf]').evaluate((e) => { e.value = 'forged'; });
  await kato.page.fill('#send-form input[name=recipient]', 'vendor@example.com');
  await kato.page.fill('#send-form textarea[name=reason]', 'テスト');
  await kato.page.setInputFiles('#send-form input[name=files]', process.env.SANSO_NUMBER_CSV);
  await kato.page.click('#send');
  assert.match(await kato.page.locator('[role=alert]').innerText(), /別のサイトから送信されました/);
  const refused = auditActions('console.request');
  assert.equal(refused.at(-1).details.reason, 'csrf-token');
  await kato.context.close();
});

test('the LGWAN pages are unreachable from an internet-zone address', async () => {
  const kato = await person('kato', internet);
  const answer = await kato.page.goto(`${url}/transfer`);
  assert.equal(answer.status(), 403);
  assert.match(await kato.page.locator('[role=alert]').innerText(), /自分の領域の端末からだけ/);
  assert.equal(auditActions('console.request').at(-1).details.reason, 'zone-address');
  await kato.context.close();
});

test('a PPAP zip is unlocked by its sender on the internet side with the right password, refused with a wrong one', async () => {
  const yamada = await person('yamada', internet);
  await yamada.page.goto(`${url}/transfer`);
  await yamada.page.fill('#send-form input[name=recipient]', 'kato');
  await yamada.page.setInputFiles('#send-form input[name=files]', process.env.SANSO_PPAP_ZIP);
  await yamada.page.click('#send');
  const id = await yamada.page.locator('#transfer-id').innerText();
  const row = yamada.page.locator('#files tr.file');
  assert.equal(await row.getAttribute('data-verdict'), 'blocked');
  assert.match(await row.locator('.findings').innerText(), /パスワード付き/);

  // The recipient on the LGWAN side sees why it waits, and is offered no password field.
  const kato = await person('kato', lgwan);
  await kato.page.goto(`${url}/transfer/${id}`);
  assert.equal(await kato.page.locator('.unlock-form').count(), 0);
  assert.equal(await kato.page.locator('#files .locked').count(), 1);

  await row.locator('input.unlock-password').fill('ppap-試験-2025');
  await row.locator('button.unlock').click();
  assert.match(await yamada.page.locator('[role=alert]').innerText(), /パスワードが違います/);
  assert.equal(await yamada.page.locator('#files tr.file').getAttribute('data-verdict'), 'blocked');
  assert.equal(auditActions('transfer.unlock').at(-1).outcome, 'wrong');

  await yamada.page.locator('#files input.unlock-password').fill(process.env.SANSO_PPAP_PASSWORD);
  await yamada.page.locator('#files button.unlock').click();
  assert.match(await yamada.page.locator('[role=status]').innerText(), /パスワードを解除し/);
  const unlocked = yamada.page.locator('#files tr.file');
  assert.equal(await unlocked.getAttribute('data-verdict'), 'sanitized');
  assert.match(await unlocked.locator('.findings').innerText(), /マクロ/);
  assert.equal(await yamada.page.locator('.unlock-form').count(), 0, 'unlocked once');
  await yamada.page.screenshot({ path: `${process.env.SANSO_SCREENSHOTS}/transfer-unlocked.png`, fullPage: true });
  const records = auditActions('transfer.unlock');
  assert.equal(records.at(-1).outcome, 'ok');
  assert.ok(!JSON.stringify(records).includes(process.env.SANSO_PPAP_PASSWORD), 'the password is in no record');

  await kato.page.goto(`${url}/transfer/${id}`);
  const [download] = await Promise.all([kato.page.waitForEvent('download'), kato.page.click('#files a.download')]);
  assert.equal(download.suggestedFilename(), '見積_PPAP.zip');
  assert.equal(readFileSync(await download.path()).subarray(0, 2).toString(), 'PK');
  await yamada.context.close();
  await kato.context.close();
});

test('several files dropped at once are sent together, with the upload\'s progress shown', async () => {
  const yamada = await person('yamada', internet);
  // The progress bar's values, kept across the navigation that follows the upload (a test probe,
  // injected by the browser driver; the console's own pages carry no inline script).
  await yamada.context.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const bar = document.getElementById('upload-progress');
      if (!bar) return;
      new MutationObserver(() => {
        const seen = JSON.parse(sessionStorage.getItem('progress') ?? '[]');
        seen.push({ value: bar.getAttribute('value'), hidden: bar.hidden });
        sessionStorage.setItem('progress', JSON.stringify(seen));
      }).observe(bar, { attributes: true });
    });
  });
  await yamada.page.goto(`${url}/transfer`);
  assert.equal(await yamada.page.locator('#drop-zone').isVisible(), true, 'the script offers the drop zone');
  await yamada.page.fill('#send-form input[name=recipient]', 'kato');
  // Two drops, three files: what is dropped adds to what was dropped before.
  for (const files of [[['議事録.txt', '会議の記録\n']], [['名簿.csv', '氏名,所属\n山田,企画課\n'], ['予定.txt', '来週の予定\n']]]) {
    const dropped = await yamada.page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const [name, text] of list) dt.items.add(new File([text], name, { type: 'text/plain' }));
      return dt;
    }, files);
    await yamada.page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: dropped });
  }
  assert.equal(await yamada.page.locator('#file-list li').count(), 3);
  assert.match(await yamada.page.locator('#file-list').innerText(), /議事録\.txt[\s\S]*名簿\.csv[\s\S]*予定\.txt/);
  await Promise.all([yamada.page.waitForURL(/\/transfer\/t[0-9a-f]+\?done=sent/), yamada.page.click('#send')]);
  assert.match(await yamada.page.locator('[role=status]').innerText(), /受け付けました/);
  assert.equal(await yamada.page.locator('#files tr.file').count(), 3, 'the three files are one transfer');
  const progress = JSON.parse(await yamada.page.evaluate(() => sessionStorage.getItem('progress') ?? '[]'));
  assert.ok(progress.some((p) => !p.hidden), `the progress bar was shown: ${JSON.stringify(progress)}`);
  assert.equal(progress.at(-1).value, '100', 'and reached the end');

  // Over the limit of files: refused before a byte is sent, with the reason.
  await yamada.page.goto(`${url}/transfer`);
  const sent = auditActions('transfer.send').length;
  const many = await yamada.page.evaluateHandle(() => {
    const dt = new DataTransfer();
    for (let i = 0; i < 30; ++i) dt.items.add(new File(['x'], `f${i}.txt`, { type: 'text/plain' }));
    return dt;
  });
  await yamada.page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: many });
  await yamada.page.fill('#send-form input[name=recipient]', 'kato');
  await yamada.page.click('#send');
  assert.match(await yamada.page.locator('#upload-status').innerText(), /上限を超えています/);
  assert.equal(auditActions('transfer.send').length, sent, 'nothing was sent');
  await yamada.context.close();
});

test('without script, the plain form still sends several files', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', javaScriptEnabled: false, extraHTTPHeaders: { 'X-Forwarded-For': internet } });
  const page = await context.newPage();
  collectProblems(page, problems, expected);
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', 'yamada');
  await page.fill('input[name=password]', password('yamada'));
  await page.click('#sign-in button[type=submit]');
  await page.goto(`${url}/transfer`);
  assert.equal(await page.locator('#drop-zone').isVisible(), false, 'no drop zone without the script');
  await page.fill('#send-form input[name=recipient]', 'kato');
  await page.setInputFiles('#send-form input[name=files]', [
    { name: '一.txt', mimeType: 'text/plain', buffer: Buffer.from('一\n') },
    { name: '二.txt', mimeType: 'text/plain', buffer: Buffer.from('二\n') },
  ]);
  await page.click('#send');
  assert.match(await page.locator('[role=status]').innerText(), /受け付けました/);
  assert.equal(await page.locator('#files tr.file').count(), 2);
  await context.close();
});

test('no page reported an unexpected error (nothing blocked by the content policy)', () => {
  assert.deepEqual(problems, []);
});
