// Prints sanso's decide() figures against Cedar's from the same run, with the targets.
//   node report.js POLICY_BENCH.json CEDAR_EXAMPLE.json CEDAR_1000.json
'use strict';
const fs = require('fs');
const [benchPath, smallPath, largePath] = process.argv.slice(2);
const bench = JSON.parse(fs.readFileSync(benchPath, 'utf8'));
const small = JSON.parse(fs.readFileSync(smallPath, 'utf8'));
const large = JSON.parse(fs.readFileSync(largePath, 'utf8'));
const get = (name) => bench.benchmarks.find((b) => b.name === name);
const ns = (b) => b.cpu_time * ({ ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[b.time_unit]);

const rows = [];
const check = (what, value, target, ok) => rows.push(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${value} (target ${target})`);
const exMean = ns(get('decide/example'));
const bigMean = ns(get('decide/rules1000'));
const exLat = get('decide_latency/example');
const bigLat = get('decide_latency/rules1000');
console.log(`sanso decide(): example ${exMean.toFixed(1)} ns mean, rules1000 ${bigMean.toFixed(1)} ns mean`);
console.log(`Cedar-wasm ${small.cedar_version}: example ${small.us_per_decision.toFixed(1)} µs, rules1000 ${large.us_per_decision.toFixed(1)} µs ` +
            `(agreement ${small.agree}/${small.decisions} and ${large.agree}/${large.decisions})`);
console.log(`growth with rule count: sanso ×${(bigMean / exMean).toFixed(2)}, Cedar ×${(large.us_per_decision / small.us_per_decision).toFixed(1)}`);
check('p50 example', `${exLat.p50_ns.toFixed(1)} ns`, '≤ 1000 ns', exLat.p50_ns <= 1000);
check('p99 example', `${exLat.p99_ns.toFixed(1)} ns`, '≤ 5000 ns', exLat.p99_ns <= 5000);
check('p50 rules1000', `${bigLat.p50_ns.toFixed(1)} ns`, '≤ 2000 ns', bigLat.p50_ns <= 2000);
check('allocations per decision', `${get('decide/example').allocs_per_decision} and ${get('decide/rules1000').allocs_per_decision}`, '0',
      get('decide/example').allocs_per_decision === 0 && get('decide/rules1000').allocs_per_decision === 0);
const rSmall = (small.us_per_decision * 1000) / exMean;
const rLarge = (large.us_per_decision * 1000) / bigMean;
check('vs Cedar-wasm, example', `${Math.round(rSmall).toLocaleString('en')}× faster`, '≥ 100×', rSmall >= 100 && small.agree === small.decisions);
check('vs Cedar-wasm, 1000 rules', `${Math.round(rLarge).toLocaleString('en')}× faster`, '≥ 1,000×', rLarge >= 1000 && large.agree === large.decisions);
console.log(rows.join('\n'));
