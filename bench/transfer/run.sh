#!/usr/bin/env bash
# Issue #17's transfer benchmark: CLIENTS concurrent uploads of ~1 MB Office files (a macro
# project each, removed by the rebuild) through `sanso web`'s JSON API for SECONDS, from the
# internet side to an LGWAN recipient — the whole path: upload read as it arrives, the CDR engine in
# the sandbox, the original kept in quarantine and every step audited in one transaction. Reported
# beside the CDR engine alone on the same files in the same run (`sanso file sanitize`, no store),
# as a ratio, and checked: every transfer the API created is in the store with its original kept.
#   run.sh BUILD OUT [CLIENTS] [SECONDS] [FILES]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
out=$2
clients=${3:-50}
seconds=${4:-60}
nfiles=${5:-20}
sanso="$build/sanso"
dir=$(mktemp -d /tmp/sanso-transfer-bench-XXXXXX)
web_pid=
trap '[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkdir -p "$out"
python3 bench/transfer/make_files.py "$dir/files" "$nfiles"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The example configuration with its data here, no relay (notices are not what is measured), no
# journal, and loopback as the proxy that says the client is on the internet side (10.30.0.50).
sed -e "s|^policy = .*|policy = \"$PWD/examples/minamata/policy.toml\"|" \
    -e "s|^data_dir = .*|data_dir = \"$dir/data\"|" \
    -e "s|^smtp_relay = .*||" -e "s|^notify_to = .*||" \
    -e "s|^journal = .*|journal = false|" \
    -e "s|^# trusted_proxies = .*|trusted_proxies = [\"127.0.0.1\"]|" \
    -e "s|^web = .*|web = \"127.0.0.1:$port\"|" \
    -e "s|^notice_template = \"\([^\"]*\)\"|notice_template = \"$PWD/examples/minamata/\1\"|" \
    examples/minamata/sanso.toml > "$dir/sanso.toml"
cfg=(--config "$dir/sanso.toml")
"$sanso" store migrate "${cfg[@]}" > /dev/null
token=$("$sanso" api token create bench --for yamada --scope transfer --as kato "${cfg[@]}" 2> /dev/null)

# The CDR engine alone, the same files, twice over (no store, no web).
mkdir -p "$dir/twice"
cp "$dir/files"/* "$dir/twice/"
for f in "$dir/files"/*; do cp "$f" "$dir/twice/2-$(basename "$f")"; done
start=$(date +%s.%N)
"$sanso" file sanitize "$dir/twice" -o "$dir/cdr-out" > "$dir/cdr.log" 2>&1
end=$(date +%s.%N)
# `file sanitize DIR -o OUT` writes under OUT/<the input directory's name>/: count the files, not the entries.
cdr_files=$(find "$dir/cdr-out" -type f | wc -l)

"$sanso" web "${cfg[@]}" 2> "$dir/web.log" &
web_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/login" && break
  sleep 0.2
done
python3 bench/transfer/upload.py "$port" "$token" "$dir/files" "$clients" "$seconds" "$dir/ids.txt" > "$dir/upload.json"
kill "$web_pid"
wait "$web_pid" 2> /dev/null || true
web_pid=

# None lost: every id the API answered is a transfer in the store, each with its original kept.
"$sanso" transfer list --as kato --json "${cfg[@]}" > "$dir/listed.json"
python3 - "$dir/upload.json" "$dir/ids.txt" "$dir/listed.json" "$start" "$end" "$cdr_files" "$nfiles" <<'PY' | tee "$out/transfer-summary.txt"
import json, sys
up = json.load(open(sys.argv[1]))
ids = [l.strip() for l in open(sys.argv[2]) if l.strip()]
listed_raw = open(sys.argv[3]).read()
try:
    listed = json.loads(listed_raw)
    listed = listed.get("transfers", listed) if isinstance(listed, dict) else listed
except json.JSONDecodeError:
    listed = [json.loads(l) for l in listed_raw.splitlines() if l.strip()]
stored = {t["id"]: t for t in listed}
lost = [i for i in ids if i not in stored]
unkept = [i for i in ids if i in stored and any(not f.get("quarantine_id") for f in stored[i].get("files", []))]
cdr_rate = int(sys.argv[6]) / (float(sys.argv[5]) - float(sys.argv[4]))
print(f"transfer benchmark: {up['clients']} clients for {up['seconds']:.0f} s, {sys.argv[7]} distinct ~1 MB .docm files")
print(f"  created {up['created']} transfers, statuses {up['statuses']}, verdicts {up['verdicts']}")
if up["first_error"]:
    print(f"  first refusal: {up['first_error']}")
print(f"  lost: {len(lost)}  without a kept original: {len(unkept)}")
print(f"  latency p50 {up['p50']:.2f} s, p99 {up['p99']:.2f} s; {up['files_per_s']:.2f} files/s")
print(f"  CDR engine alone (sanso file sanitize, same files): {cdr_rate:.2f} files/s")
print(f"  ratio transfer / CDR alone: {up['files_per_s'] / cdr_rate:.2f}")
sys.exit(1 if lost or unkept or up["created"] == 0 or up["first_error"] else 0)
PY
