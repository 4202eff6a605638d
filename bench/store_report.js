// Prints the quarantine and audit figures of one `make bench` run as ratios to the baselines
// measured in the same run, with the issues' targets.
//   node store_report.js QUARANTINE.json AUDIT.json
'use strict';
const fs = require('fs');
const [qPath, aPath] = process.argv.slice(2);
const load = (p) => JSON.parse(fs.readFileSync(p, 'utf8')).benchmarks.filter((b) => !b.error_occurred);
const q = load(qPath);
const a = load(aPath);
const find = (list, prefix) => list.find((b) => b.name.startsWith(prefix));
const rate = (b) => (b ? b.items_per_second : NaN);
const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : 'n/a');
const ratio = (x, y) => (Number.isFinite(x) && Number.isFinite(y) ? `×${(x / y).toFixed(2)}` : 'n/a');
const rows = [];
const check = (what, value, target, ok) => rows.push(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${value} (target ${target})`);

console.log('Quarantine ingest, every item durable before put() returns (blob fsynced; SQLite WAL synchronous=FULL,');
console.log('PostgreSQL synchronous_commit=on); floor = write+fsync+rename+fsync(dir) of the same bytes as plain files.');
for (const size of ['10240', '1048576']) {
  for (const threads of ['1', '8', '32']) {
    const floor = find(q, `BM_DurableFileBaseline/${size}/min_time:1.000/real_time/threads:${threads}`);
    const lite = find(q, `BM_QuarantinePut/sqlite/${size}/min_time:1.000/real_time/threads:${threads}`);
    const pg = find(q, `BM_QuarantinePut/postgres/${size}/min_time:1.000/real_time/threads:${threads}`);
    const mb = (b) => (b ? (b.bytes_per_second / 1048576).toFixed(1) : 'n/a');
    console.log(`  ${size === '10240' ? '10 KB' : '1 MB '} ×${threads.padEnd(2)} writers: floor ${fmt(rate(floor))}/s; ` +
                `SQLite ${fmt(rate(lite))}/s ${mb(lite)} MB/s (${ratio(rate(lite), rate(floor))} of floor); ` +
                `PostgreSQL ${fmt(rate(pg))}/s ${mb(pg)} MB/s (${ratio(rate(pg), rate(floor))})`);
  }
}
const best10k = Math.max(...['1', '8', '32'].map((t) => rate(find(q, `BM_QuarantinePut/sqlite/10240/min_time:1.000/real_time/threads:${t}`))));
check('quarantine 10 KB on SQLite, durable', `${fmt(best10k)} items/s`, '≥ 2,000 items/s', best10k >= 2000);

const single = rate(find(a, 'BM_SingleRowCommitBaseline'));
console.log('\nAudit appends (Merkle leaf + interior nodes + tree state per event, durable at commit; group commit):');
for (const backend of ['sqlite', 'postgres']) {
  for (const threads of ['1', '8', '32']) {
    const b = find(a, `BM_AuditAppend/${backend}/min_time:1.000/real_time/threads:${threads}`);
    console.log(`  ${backend.padEnd(8)} ×${threads.padEnd(2)} writers: ${fmt(rate(b))}/s (${ratio(rate(b), single)} of one durable single-row commit per event, ${fmt(single)}/s)`);
  }
}
const bestAppend = Math.max(...['1', '8', '32'].map((t) => rate(find(a, `BM_AuditAppend/sqlite/min_time:1.000/real_time/threads:${t}`))));
check('durable audit appends on SQLite', `${fmt(bestAppend)}/s`, '≥ 20,000/s', bestAppend >= 20000);

const read = rate(find(a, 'BM_IndexedReadBaseline'));
const fromStore = find(a, 'BM_InclusionProofFromStore');
const fromSnap = rate(find(a, 'BM_InclusionProofFromSnapshot'));
console.log(`\nInclusion proofs in a 1,000,000-entry log (built in ${fromStore ? fromStore.build_s.toFixed(1) : '?'} s):`);
console.log(`  from the store: ${fmt(rate(fromStore))}/s (${ratio(rate(fromStore), read)} of one indexed read, ${fmt(read)}/s)`);
console.log(`  from a TreeSnapshot in memory: ${fmt(fromSnap)}/s (${ratio(fromSnap, read)} of one indexed read)`);
check('inclusion proofs (snapshot, as a proof server serves them)', `${fmt(fromSnap)}/s`, '≥ 100,000/s', fromSnap >= 100000);

const verify = find(a, 'BM_VerifyMillion');
const scan = find(a, 'BM_ScanAndHashBaseline');
const secs = (b) => (b ? b.real_time / 1000 : NaN);  // time unit is ms
console.log(`\nFull verification of 1,000,000 entries: ${secs(verify).toFixed(2)} s; reading and hashing the records alone: ${secs(scan).toFixed(2)} s (${ratio(secs(verify), secs(scan))})`);
check('verify 1,000,000 entries', `${secs(verify).toFixed(2)} s`, '≤ 3 s', secs(verify) <= 3);
console.log('');
for (const r of rows) console.log(r);
