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
cp "$here/console.test.mjs" "$work/console.test.mjs"  # a copy: modules resolve from where the file is

city=$(mktemp -d /tmp/sanso-browser-XXXXXX)
web_pid=
cleanup() {
  if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  rm -rf "$city"
}
trap cleanup EXIT

sed "s|^policy = \"policy.toml\"|policy = \"$root/examples/minamata/policy.toml\"|" "$root/examples/minamata/sanso.toml" > "$city/sanso.toml"
config=(--config "$city/sanso.toml")
export SANSO_TANAKA_PASSWORD='情報政策係長が使うパスフレーズ'
export SANSO_SUZUKI_PASSWORD='総務部長が承認に使うパスフレーズ'
echo "$SANSO_TANAKA_PASSWORD" | "$sanso" user passwd tanaka --as kato "${config[@]}" >/dev/null
echo "$SANSO_SUZUKI_PASSWORD" | "$sanso" user passwd suzuki --as kato "${config[@]}" >/dev/null
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
(cd "$work" && node --test --test-reporter=spec console.test.mjs) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- sanso web log ---" >&2
  cat "$city/web.log" >&2
fi
exit "$status"
