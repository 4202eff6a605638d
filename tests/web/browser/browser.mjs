// What the browser tests share: Debian's Chromium launched as run.sh says, the errors a page
// reports collected (a CSP violation shows up there), and the audit log read through the CLI.
import { execFileSync, execSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.SANSO_CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}

// Adds to `problems` every error `page` reports that `expected` (a RegExp) does not describe.
export function collectProblems(page, problems, expected) {
  page.on('console', (m) => {
    const text = `${page.url()}: ${m.text()}`;
    if (m.type() === 'error' && !expected.test(text)) problems.push(text);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
}

// The audit records of `action`, from `sanso audit export` (SANSO_AUDIT_EXPORT).
export function auditActions(action) {
  return execSync(process.env.SANSO_AUDIT_EXPORT, { encoding: 'utf8' })
    .split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.action === action);
}

// `sanso ARGS... --config` of run.sh's city (SANSO_CLI, SANSO_CONFIG): what a test sets up as an
// administrator would, through the command line. Its standard output.
export function sanso(args) {
  return execFileSync(process.env.SANSO_CLI, [...args, '--config', process.env.SANSO_CONFIG], { encoding: 'utf8' });
}

// Gives `name` a second factor through the CLI (`sanso user second-factor`, as kato); returns the
// code of the current 30-second step plus `ahead` (RFC 6238; each step is accepted once, and the
// next one for clock drift, so a sign-in and an approval in the same half minute use 0 and 1).
export function secondFactor(name) {
  const out = sanso(['user', 'second-factor', name, '--as', 'kato']);
  const base32 = /\(base32\): ([A-Z2-7]+)/.exec(out)[1];
  let bits = '';
  for (const c of base32) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  return (ahead = 0) => {
    const step = Buffer.alloc(8);
    step.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + ahead));
    const mac = createHmac('sha1', key).update(step).digest();
    const at = mac[19] & 0x0f;
    return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, '0');
  };
}
