// The same flow decisions in Cedar (cedar-wasm), for comparison with sanso's decide().
//
//   node run.js RULES.json REQUESTS.json
//
// RULES.json is `sanso policy rules POLICY` (the rules in force, in precedence order);
// REQUESTS.json is `sanso_bench_gen requests POLICY N OUT` (requests with sanso's decisions).
// Every rule becomes one Cedar `permit` whose condition is the rule's match; the policy set is
// parsed once (preparsePolicySet). Cedar returns every satisfied policy in diagnostics.reason;
// the winner is the first of those in sanso's precedence order, so both engines must agree on
// every request, which this script checks before it times anything.
// Prints one JSON line: {"decisions", "agree", "us_per_decision", "cedar_version"}.
'use strict';
const fs = require('fs');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

const [rulesPath, requestsPath] = process.argv.slice(2);
if (!rulesPath || !requestsPath) {
  console.error('usage: node run.js RULES.json REQUESTS.json');
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(rulesPath, 'utf8'));
const requests = JSON.parse(fs.readFileSync(requestsPath, 'utf8'));
const levelRank = new Map(spec.confidentiality_levels.map((id, i) => [id, i]));

const set = (values) => '[' + values.map((v) => JSON.stringify(v)).join(', ') + ']';
function condition(rule) {
  const parts = [];
  if (!rule.from.includes('*')) parts.push(`${set(rule.from)}.contains(context.from)`);
  if (!rule.to.includes('*')) parts.push(`${set(rule.to)}.contains(context.to)`);
  if (rule.scope === 'cross_zone') parts.push('context.from != context.to');
  if (rule.scope === 'same_zone') parts.push('context.from == context.to');
  if (rule.channels.length) parts.push(`${set(rule.channels)}.contains(context.channel)`);
  if (rule.min_confidentiality) parts.push(`context.level >= ${levelRank.get(rule.min_confidentiality)}`);
  if (rule.max_confidentiality) parts.push(`context.level <= ${levelRank.get(rule.max_confidentiality)}`);
  if (rule.roles.length) parts.push(`${set(rule.roles)}.contains(context.role)`);
  return parts.length ? parts.join(' && ') : 'true';
}

const staticPolicies = {};
const precedence = new Map();
spec.rules.forEach((rule, i) => {
  const id = `r${i}`;
  staticPolicies[id] = `permit (principal, action == Action::"flow", resource) when { ${condition(rule)} };`;
  precedence.set(id, i);
});
const parsed = cedar.preparsePolicySet('sanso', { staticPolicies });
if (parsed.type !== 'success') {
  console.error(JSON.stringify(parsed.errors));
  process.exit(1);
}

const principal = { type: 'User', id: 'u' };
const action = { type: 'Action', id: 'flow' };
const resource = { type: 'Flow', id: 'f' };
function decide(q) {
  const answer = cedar.statefulIsAuthorized({
    principal, action, resource, entities: [], preparsedPolicySetId: 'sanso',
    context: { from: q.from, to: q.to, channel: q.channel, level: q.level, role: q.role },
  });
  if (answer.type !== 'success') throw new Error(JSON.stringify(answer.errors));
  let best = -1;
  for (const id of answer.response.diagnostics.reason) {
    const p = precedence.get(id);
    if (best < 0 || p < best) best = p;
  }
  return best < 0 ? { rule: '', action: 'deny' } : { rule: spec.rules[best].id, action: spec.rules[best].action };
}

let agree = 0;
for (const q of requests) {
  const d = decide(q);
  if (d.rule === q.expect_rule && d.action === q.expect_action) agree++;
  else if (agree + 1 < requests.length) console.error(`disagree: ${JSON.stringify(q)} cedar=${JSON.stringify(d)}`);
}
// Timed pass (after one warm-up pass above).
const t0 = process.hrtime.bigint();
for (const q of requests) decide(q);
const t1 = process.hrtime.bigint();
console.log(JSON.stringify({
  decisions: requests.length,
  agree,
  us_per_decision: Number(t1 - t0) / 1000 / requests.length,
  cedar_version: cedar.getCedarVersion(),
}));
process.exit(agree === requests.length ? 0 : 1);
