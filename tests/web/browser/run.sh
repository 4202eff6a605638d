#!/usr/bin/env bash
# The web console in a real browser: a copy of the example city, two people with passwords, one
# file in quarantine, `sanso web` on a free port, and console.test.mjs driving Debian's Chromium
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
cp "$here/console.test.mjs" "$here/transfer.test.mjs" "$work/"  # copies: modules resolve from where the file is

city=$(mktemp -d /tmp/sanso-browser-XXXXXX)
web_pid=
cleanup() {
  if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
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
printf '住民から持ち込まれた資料\n' > "$city/持ち込み資料.txt"
SANSO_ITEM=$("$sanso" quarantine add "$city/持ち込み資料.txt" --as kato --verdict blocked --reason "USBメモリの持ち込み（検査待ち）" "${config[@]}" | tail -n 1)
export SANSO_ITEM
export SANSO_EXPORT_DIR="$city/data/exports"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
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

status=0
# One after the other: the console's own test counts what is in the quarantine before transfers add to it.
(cd "$work" && node --test --test-reporter=spec console.test.mjs) || status=$?
(cd "$work" && node --test --test-reporter=spec transfer.test.mjs) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- sanso web log ---" >&2
  cat "$city/web.log" >&2
fi
exit "$status"
