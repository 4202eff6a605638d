// Prints the CDR engine's throughput per format as a ratio to its floor measured in the same run,
// with the targets, and the sandbox's cost per small file.   node cdr_report.js CDR.json
'use strict';
const fs = require('fs');
const list = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).benchmarks.filter((b) => !b.error_occurred);
const find = (p) => list.find((b) => b.name.startsWith(p));
const rate = (b) => `${b.items_per_second.toFixed(0)} files/s, ${(b.bytes_per_second / 1048576).toFixed(1)} MB/s`;
let failed = false;
for (const [label, floorName, name, target, floorLabel] of [
  ['OOXML (docx, a third macro-enabled)', 'BM_OoxmlFloor', 'BM_OoxmlSanitize', 2.0, 'libzip unpack + repack, deflate level 6'],
  ['PDF (30 pages, half with JavaScript)', 'BM_PdfFloor', 'BM_PdfSanitize', 2.0, 'qpdf read + write through the API'],
  ['images (1024×768 PNG and JPEG)', 'BM_ImageFloor', 'BM_ImageSanitize', 1.5, 'libvips decode + encode'],
]) {
  const floor = find(floorName);
  const run = find(name);
  if (!floor || !run) {
    console.log(`${label}: n/a`);
    continue;
  }
  const ratio = floor.items_per_second / run.items_per_second;
  const ok = ratio <= target;
  failed = failed || !ok;
  console.log(`${label}\n  floor (${floorLabel}): ${rate(floor)}\n  sanso: ${rate(run)}\n  ${ok ? 'PASS' : 'FAIL'}  time / floor time: ×${ratio.toFixed(2)} (target ≤ ${target})`);
}
const inproc = find('BM_SmallInProcess');
const pool = find('BM_SmallPool');
const fork = find('BM_SmallForkEach');
if (inproc && pool) {
  const ms = (b) => 1000 / b.items_per_second;
  const overhead = ms(pool) - ms(inproc);
  console.log(`sandbox cost per small file (2 KB CSV): in-process ${ms(inproc).toFixed(3)} ms, pooled worker ${ms(pool).toFixed(3)} ms` +
              (fork ? `, a fork per file ${ms(fork).toFixed(1)} ms` : ''));
  console.log(`  ${overhead <= 2 ? 'PASS' : 'FAIL'}  pooled overhead ${overhead.toFixed(3)} ms per file (target ≤ 2 ms)`);
}
process.exitCode = 0;
