#!/usr/bin/env bash
# `make demo`: what a municipal administrator tries first — check the example city's policy, ask
# the engine a few questions, print the flow table an auditor reads, and draw the zone map.
set -euo pipefail
cd "$(dirname "$0")/.."
sanso=${1:-build/sanso}
out=${2:-out/demo}
policy=examples/minamata/policy.toml
mkdir -p "$out"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. ポリシーの静的検査 / static checks: sanso policy check $policy"
"$sanso" policy check "$policy"

step "2. 判定の例 / sample decisions: sanso policy decide"
ask() {
  printf '  %-58s → ' "$*"
  "$sanso" policy decide "$policy" "$@"
}
ask --from internet --to lgwan --channel mail
ask --from lgwan --to internet --channel mail --asset budget_documents
ask --from lgwan --to internet --channel file --asset payroll
ask --from mynumber --to lgwan --channel file --asset resident_register --role ciso
ask --from lgwan --to mynumber --channel file --role system_admin

step "3. 市の回帰テスト / the city's regression cases: sanso policy test"
"$sanso" policy test "$policy" examples/minamata/policy-tests.toml | tail -n 1

step "4. 領域間の通信判定表 / cross-zone flow table: sanso policy explain --lang ja --cross-zone-only"
"$sanso" policy explain "$policy" --lang ja --cross-zone-only > "$out/flow-table.txt"
head -n 40 "$out/flow-table.txt"
echo "  … full table: $out/flow-table.txt"
"$sanso" policy explain "$policy" --format json > "$out/flow-table.json"

step "5. ゾーン図 / zone map: sanso policy graph"
"$sanso" policy graph "$policy" -o "$out/zones.svg"

cat <<MSG

Done. Open these in a browser or editor:
  $(pwd)/$out/zones.svg        the zone map (zones, systems, allowed / sanitized / approval flows)
  $(pwd)/$out/flow-table.txt   what happens to every flow between zones, and the clause it rests on
  $(pwd)/$out/flow-table.json  the same for reports and other tools
Try your own question:
  $sanso policy decide $policy --from internet --to lgwan --channel file --json
MSG
