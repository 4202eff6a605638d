#!/usr/bin/env bash
# The web console in a real browser: a copy of the example city, two people with passwords, one
# file in quarantine, three flow findings stored by `sanso monitor listen`, `sanso web` on a free
# port, and console.test.mjs (then transfer.test.mjs, findings.test.mjs, inspect.test.mjs, inbox.test.mjs) driving Debian's Chromium
# through playwright-core. Run by ctest as browser.console.
#   tests/web/browser/run.sh SANSO_BINARY WORK_DIR
set -euo pipefail

sanso=$(realpath "$1")
work=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
chromium=${SANSO_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
  echo "browser.console: no Chromium at $chromium; run scripts/install-deps.sh (package chromium)" >&2
  exit 1
fi

# playwright-core from the npm registry, installed once per build directory (the lock pins it).
mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/browser.mjs" "$here/console.test.mjs" "$here/transfer.test.mjs" "$here/findings.test.mjs" "$here/inspect.test.mjs" "$here/inbox.test.mjs" "$work/"  # copies: modules resolve from where the file is

city=$(mktemp -d /tmp/sanso-browser-XXXXXX)
web_pid=
monitor_pid=
cleanup() {
  if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  if [ -n "$monitor_pid" ]; then kill "$monitor_pid" 2>/dev/null || true; wait "$monitor_pid" 2>/dev/null || true; fi
  rm -rf "$city"
}
trap cleanup EXIT

# The transfer pages need to know each browser's zone: here from 127.0.0.1's X-Forwarded-For, as
# behind the city's reverse proxy. Staff sign in to send files ([web.permissions] transfer); ito
# works in the mynumber zone.
sed -e "s|^policy = \"policy.toml\"|policy = \"$root/examples/minamata/policy.toml\"|" \
    -e 's|^# trusted_proxies = \["127.0.0.1"\].*|trusted_proxies = ["127.0.0.1"]|' \
    "$root/examples/minamata/sanso.toml" > "$city/sanso.toml"
printf '\n[[users]]\nname = "ito"\ndisplay = "伊藤 住民課"\nroles = ["staff"]\nzone = "mynumber"\n' >> "$city/sanso.toml"
grep -q '^trusted_proxies = \["127.0.0.1"\]' "$city/sanso.toml" && grep -q '^transfer = \["staff",' "$city/sanso.toml" || { echo "run.sh: the example sanso.toml changed; adjust the sed lines" >&2; exit 1; }
config=(--config "$city/sanso.toml")
export SANSO_TANAKA_PASSWORD='情報政策係長が使うパスフレーズ'
export SANSO_SUZUKI_PASSWORD='総務部長が承認に使うパスフレーズ'
echo "$SANSO_TANAKA_PASSWORD" | "$sanso" user passwd tanaka --as kato "${config[@]}" >/dev/null
echo "$SANSO_SUZUKI_PASSWORD" | "$sanso" user passwd suzuki --as kato "${config[@]}" >/dev/null
export SANSO_TRANSFER_PASSWORD='受け渡し試験用のパスフレーズ'
for who in kato yamada; do echo "$SANSO_TRANSFER_PASSWORD" | "$sanso" user passwd "$who" --as kato "${config[@]}" >/dev/null; done
# A macro-enabled Word document (a VBA project and the relationship that loads it) and a CSV with a 個人番号.
export SANSO_MACRO_DOC="$city/見積書.docm" SANSO_NUMBER_CSV="$city/名簿.csv"
python3 - "$SANSO_MACRO_DOC" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>')
    z.writestr('_rels/.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    z.writestr('word/document.xml', '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>見積書</w:t></w:r></w:p></w:body></w:document>')
    z.writestr('word/_rels/document.xml.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    z.writestr('word/vbaProject.bin', b'\xd0\xcf\x11\xe0 Sub AutoOpen() Shell "calc"')
PY
printf '氏名,個人番号\n山田 太郎,1234 5678 9018\n' > "$SANSO_NUMBER_CSV"
# PPAP: the macro document in a zip encrypted with traditional PKWARE encryption.
export SANSO_PPAP_ZIP="$city/見積_PPAP.zip" SANSO_PPAP_PASSWORD='ppap-試験-2026'
python3 "$root/scripts/ppap_zip.py" "$SANSO_MACRO_DOC" "$SANSO_PPAP_ZIP" "$SANSO_PPAP_PASSWORD"
printf '住民から持ち込まれた資料\n' > "$city/持ち込み資料.txt"
SANSO_ITEM=$("$sanso" quarantine add "$city/持ち込み資料.txt" --as kato --verdict blocked --reason "USBメモリの持ち込み（検査待ち）" "${config[@]}" | tail -n 1)
export SANSO_ITEM
export SANSO_EXPORT_DIR="$city/data/exports"

# Findings for findings.test.mjs, as a collector stores them: `sanso monitor listen` on loopback
# ports of its own (no mail: notify_to off), fed FortiGate traffic logs over syslog/UDP — two
# マイナンバー利用事務系 hosts reaching the internet (6(3)①) and an LGWAN terminal going around the
# gateway (6(3)②) — until the three findings are in the store, then stopped.
# shellcheck source=../../support/free-port.sh
. "$root/tests/support/free-port.sh"
free_port syslog_port
free_port ipfix_port
sed -i -e "s|^syslog_udp = .*|syslog_udp = \"127.0.0.1:$syslog_port\"|" -e "s|^ipfix_udp = .*|ipfix_udp = \"127.0.0.1:$ipfix_port\"|" \
    -e 's|^notify_to = |# notify_to = |' "$city/sanso.toml"
grep -q "^syslog_udp = \"127.0.0.1:$syslog_port\"" "$city/sanso.toml" && grep -q '^syslog_format = "fortigate"' "$city/sanso.toml" \
  || { echo "run.sh: the example's [monitor] changed; adjust the sed lines" >&2; exit 1; }
"$sanso" monitor listen "${config[@]}" > "$city/monitor.log" 2>&1 &
monitor_pid=$!
python3 - "$syslog_port" "$sanso" "$city/sanso.toml" <<'PY'
import json, socket, subprocess, sys, time
port, sanso, config = int(sys.argv[1]), sys.argv[2], sys.argv[3]
flows = [("10.10.1.5", "203.0.113.50", 443), ("10.10.1.6", "203.0.113.51", 443), ("10.20.3.4", "203.0.113.60", 80)]
def stored():
    out = subprocess.run([sanso, "audit", "export", "--config", config], capture_output=True, text=True).stdout
    return sum(1 for l in out.splitlines() if l and json.loads(l).get("action") == "monitor.finding")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(60):  # the listener binds in its own time; UDP sent before is lost, so send until stored
    now = time.time_ns()
    for i, (src, dst, dport) in enumerate(flows):
        line = (f'<189>date=2026-12-05 time=10:00:00 devname="FGT-minamata" eventtime={now} tz="+0900" logid="0000000013" '
                f'type="traffic" subtype="forward" srcip={src} srcport={50000 + i} dstip={dst} dstport={dport} proto=6 '
                f'action="accept" sentbyte=1200 rcvdbyte=3400')
        s.sendto(line.encode(), ("127.0.0.1", port))
    time.sleep(0.5)
    if stored() >= len(flows):
        sys.exit(0)
sys.exit("the listener stored no findings in 30 s")
PY
kill "$monitor_pid"
wait "$monitor_pid" || true
monitor_pid=

free_port port
"$sanso" web --listen "127.0.0.1:$port" "${config[@]}" > "$city/web.log" 2>&1 &
web_pid=$!
for _ in $(seq 1 200); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null; then break; fi
  sleep 0.1
done
export SANSO_URL="http://127.0.0.1:$port"
export SANSO_CHROMIUM="$chromium"
export SANSO_SCREENSHOTS="$work/screenshots"
export SANSO_AUDIT_EXPORT="$sanso audit export --config $city/sanso.toml"
export SANSO_CLI="$sanso" SANSO_CONFIG="$city/sanso.toml" SANSO_CITY="$city"

status=0
# One after the other: the console's own test counts what is in the quarantine before transfers add to it.
(cd "$work" && node --test --test-reporter=spec console.test.mjs) || status=$?
(cd "$work" && node --test --test-reporter=spec transfer.test.mjs) || status=$?
(cd "$work" && node --test --test-reporter=spec findings.test.mjs) || status=$?
(cd "$work" && node --test --test-reporter=spec inspect.test.mjs) || status=$?
(cd "$work" && node --test --test-reporter=spec inbox.test.mjs) || status=$?
# The PPAP password went through the console: it must be in no log line and no file it keeps.
if grep -rqF "$SANSO_PPAP_PASSWORD" "$city/web.log" "$city/data"; then
  echo "browser.console: the PPAP password was found in the console's log or data directory" >&2
  grep -rlF "$SANSO_PPAP_PASSWORD" "$city/web.log" "$city/data" >&2 || true
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "--- sanso web log ---" >&2
  cat "$city/web.log" >&2
  echo "--- sanso monitor listen log ---" >&2
  cat "$city/monitor.log" >&2
fi
exit "$status"
