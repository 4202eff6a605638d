// Prints the mail sanitizer's throughput as a ratio to GMime parse + serialize of the same
// messages in the same run (the floor), with the target.   node mail_report.js MAIL.json
'use strict';
const fs = require('fs');
const list = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).benchmarks.filter((b) => !b.error_occurred);
const find = (p) => list.find((b) => b.name.startsWith(p));
const floor = find('BM_GMimeParseSerializeFloor');
const sanitize = find('BM_Sanitize/');
const sandboxed = find('BM_SanitizeSandboxed');
const per = (b) => (b ? `${Math.round(b.items_per_second).toLocaleString('en')} msgs/s, ${(b.bytes_per_second / 1048576).toFixed(1)} MB/s` : 'n/a');
console.log(`floor (GMime parse + serialize): ${per(floor)}`);
console.log(`sanso sanitize (engine, in-process, one core): ${per(sanitize)}`);
console.log(`sanso sanitize, one sandboxed child per message: ${per(sandboxed)}`);
const ratio = floor && sanitize ? floor.items_per_second / sanitize.items_per_second : NaN;
console.log(`${ratio <= 2.5 ? 'PASS' : 'FAIL'}  sanitize time / floor time: ×${ratio.toFixed(2)} (target ≤ 2.5)`);
const many = find('BM_ManyAttachments');
if (many) {
  console.log(`one message, ${many.name.split('/')[1]} small attachments: a sandboxed child per file ${many.per_file_s.toFixed(2)} s, ` +
              `in batches ${many.batched_s.toFixed(2)} s — ×${many.speedup.toFixed(1)} faster`);
}
