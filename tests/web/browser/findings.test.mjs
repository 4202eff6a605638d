// The flow monitor's findings in Debian's Chromium: run.sh fed `sanso monitor listen` FortiGate
// syslog of two マイナンバー利用事務系 hosts reaching the internet and an LGWAN terminal going around
// the gateway (three findings, stored by the listener). The list and its zone filter, the zone map
// with the broken edges highlighted and linking to their findings, acknowledging — refused without
// an approver role and without a reason, recorded with one. Started by run.sh after the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { auditActions, collectProblems, launchChromium } from './browser.mjs';

const url = process.env.SANSO_URL;
const shots = process.env.SANSO_SCREENSHOTS;
let browser;
const problems = [];
// Refusals this file provokes on purpose are answered with these statuses.
const expected = /Failed to load resource: the server responded with a status of (400|403)/;

before(async () => {
  browser = await launchChromium();
});

after(async () => { await browser?.close(); });

async function person(name, password, locale = 'ja-JP') {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  collectProblems(page, problems, expected);
  await page.goto(`${url}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('#sign-in button[type=submit]');
  assert.doesNotMatch(page.url(), /\/login/, `${name} signed in`);
  return { context, page };
}


const rows = (page) => page.locator('#findings tr.finding');

// After a click that navigates, each test waits for the page it leads to (waitForLoadState) before
// reading it: on a loaded machine the reads otherwise met the page being left.
test('the findings list shows the three open findings and filters by zone', async () => {
  const { context, page } = await person('tanaka', process.env.SANSO_TANAKA_PASSWORD);
  await page.click('nav >> text=監視の検知');
  await page.waitForLoadState();
  assert.match(page.url(), /\/monitor\/findings$/);
  assert.equal(await rows(page).count(), 3);
  assert.equal(await page.locator('#findings tr.finding[data-rule="mynumber-egress"]').count(), 2);
  assert.match(await page.locator('#findings').innerText(), /6\(3\)①/);
  assert.match(await page.locator('#findings').innerText(), /JST/);
  await page.selectOption('select[name=zone]', 'lgwan');
  await page.click('#findings-filter button[type=submit]');
  await page.waitForLoadState();
  assert.match(page.url(), /zone=lgwan/);
  assert.equal(await rows(page).count(), 1);
  assert.equal(await rows(page).first().getAttribute('data-rule'), 'lgwan-internet');
  await page.screenshot({ path: `${shots}/findings.png`, fullPage: true });
  await context.close();
});

test('the zone map highlights the broken edges, and an edge opens its findings', async () => {
  const { context, page } = await person('tanaka', process.env.SANSO_TANAKA_PASSWORD);
  await page.goto(`${url}/monitor/findings`);
  await page.click('#zone-map-link');
  await page.waitForLoadState();
  assert.match(page.url(), /\/monitor\/zones$/);
  assert.ok(await page.locator('#zone-map').isVisible(), 'the map is drawn');
  // The policy's zones and a sanctioned path (the screen-transfer server, used from LGWAN).
  for (const zone of ['mynumber', 'lgwan', 'internet']) {
    assert.equal(await page.locator(`#zone-map g.zone[data-zone="${zone}"]`).count(), 1, zone);
  }
  assert.ok(await page.locator('#zone-map g.edge.sanctioned').count() >= 1);
  const egress = page.locator('#zone-map a.edge.broken[data-src="mynumber"][data-dst="(external)"]');
  assert.equal(await egress.count(), 1);
  assert.equal(await egress.getAttribute('data-findings'), '2');
  assert.equal(await egress.getAttribute('data-severity'), 'deny');
  assert.equal(await egress.locator('path').getAttribute('stroke'), '#c62828');
  const box = await egress.locator('path').boundingBox();
  assert.ok(box && box.width + box.height > 20, 'the highlighted edge has a size on the page');
  const lgwan = page.locator('#zone-map a.edge.broken[data-src="lgwan"][data-dst="(external)"]');
  assert.equal(await lgwan.getAttribute('data-findings'), '1');
  assert.match(await page.locator('#broken-edges').innerText(), /重大/);
  await page.screenshot({ path: `${shots}/zone-map.png`, fullPage: true });

  await egress.locator('circle').click();
  assert.match(page.url(), /src_zone=mynumber&dst_zone=(%28|\()external(%29|\))/);
  assert.equal(await rows(page).count(), 2);
  assert.equal(await page.locator('#findings tr.finding[data-rule="mynumber-egress"]').count(), 2);
  assert.ok(await page.locator('#pair-filter').isVisible());
  await context.close();
});

test('acknowledging: refused without the approver role, needs a reason, then recorded', async () => {
  // kato (system_admin) may read findings but is no approver: no form, and a forged post is refused.
  const kato = await person('kato', process.env.SANSO_TRANSFER_PASSWORD);
  await kato.page.goto(`${url}/monitor/findings?zone=lgwan`);
  await kato.page.click('#findings tr.finding a');
  await kato.page.waitForLoadState();
  const findingUrl = kato.page.url();
  assert.match(findingUrl, /\/monitor\/findings\/[0-9]+$/);
  assert.equal(await kato.page.locator('#acknowledge-form').count(), 0);
  assert.ok(await kato.page.locator('#not-allowed').isVisible());
  const token = await kato.page.locator('input[name=csrf]').first().inputValue();
  const forged = await kato.context.request.post(`${findingUrl}/acknowledge`, {
    form: { csrf: token, reason: 'not mine to close' }, headers: { Origin: url }, maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  await kato.page.reload();
  assert.equal(await kato.page.locator('#state').getAttribute('data-state'), 'open');
  assert.equal(auditActions('monitor.acknowledge').length, 0);
  await kato.context.close();

  const tanaka = await person('tanaka', process.env.SANSO_TANAKA_PASSWORD);
  await tanaka.page.goto(findingUrl);
  await tanaka.page.fill('#acknowledge-form textarea[name=reason]', '   ');
  await tanaka.page.click('#acknowledge');
  await tanaka.page.waitForLoadState();
  assert.match(await tanaka.page.locator('[role=alert]').innerText(), /理由を入力してください/);
  assert.equal(await tanaka.page.locator('#state').getAttribute('data-state'), 'open');
  await tanaka.page.fill('#acknowledge-form textarea[name=reason]', 'LGWAN端末の設定誤り。端末を隔離し、経路を修正した。');
  await tanaka.page.click('#acknowledge');
  await tanaka.page.waitForLoadState();
  assert.match(await tanaka.page.locator('[role=status]').innerText(), /確認済みにしました/);
  assert.equal(await tanaka.page.locator('#state').getAttribute('data-state'), 'acknowledged');
  assert.equal(await tanaka.page.locator('#acked-by').innerText(), 'tanaka');
  const acks = auditActions('monitor.acknowledge');
  assert.equal(acks.length, 1);
  assert.equal(acks[0].actor, 'tanaka');
  assert.equal(acks[0].clause, '6(3)②');

  // Acknowledged, the LGWAN edge is no longer highlighted; the mynumber one still is.
  await tanaka.page.goto(`${url}/monitor/zones`);
  assert.equal(await tanaka.page.locator('#zone-map a.edge.broken[data-src="lgwan"]').count(), 0);
  assert.equal(await tanaka.page.locator('#zone-map a.edge.broken[data-src="mynumber"]').count(), 1);
  await tanaka.page.goto(`${url}/monitor/findings?state=acknowledged`);
  assert.equal(await rows(tanaka.page).count(), 1);
  await tanaka.context.close();
});

test('the zone map in English on request', async () => {
  const { context, page } = await person('tanaka', process.env.SANSO_TANAKA_PASSWORD, 'en-US');
  await page.goto(`${url}/monitor/zones`);
  assert.match(await page.locator('h2').first().innerText(), /Paths with open findings/);
  await context.close();
});

test('no page reported an error (nothing blocked by the content policy)', () => {
  assert.deepEqual(problems, []);
});
