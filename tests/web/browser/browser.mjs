// What the browser tests share: Debian's Chromium launched as run.sh says, the errors a page
// reports collected (a CSP violation shows up there), and the audit log read through the CLI.
import { execFileSync, execSync } from 'node:child_process';
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
