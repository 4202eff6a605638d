#!/usr/bin/env bash
# `sanso mail sanitize --input DIR` (the batch command: ready sandboxed workers, every original kept
# in quarantine and audited through the intake pipeline) on the same N messages of the benchmark
# mix, in one run, as ratios to a naive Python `email` sanitizer (peer.py): with --config (kept and
# audited), without it (no quarantine, no audit), and GMime parsing and writing out the same files
# (sanso_mail_floor: the floor, one core, nothing sandboxed or kept).
#   run.sh BUILD OUT [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
out=$2
n=${3:-600}
dir=$(mktemp -d /tmp/sanso-mail-batch-XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/in" "$out"
python3 - "$dir/in" "$n" <<'PY'
import os, sys
sys.path.insert(0, "bench/mail-gateway")
from mix import message_with
pdf = open("examples/minamata/files/説明会のご案内.pdf", "rb").read()
for i in range(int(sys.argv[2])):
    with open(os.path.join(sys.argv[1], f"{i:06d}.eml"), "wb") as f:
        f.write(message_with(i, pdf)[2])
PY
cat > "$dir/sanso.toml" <<TOML
[service]
node = "bench"
data_dir = "$dir/data"
policy = "$PWD/examples/minamata/policy.toml"
TOML

peer=$(python3 bench/mail-batch/peer.py "$dir/in" "$dir/peer-out")
floor=$("$build/sanso_mail_floor" "$dir/in")
# Wall time of the whole command, start-up (store, policy, forking the workers) included.
timed() {
  local log=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" > "$log"
  end=$(date +%s.%N)
  echo "$start $end"
}
bare=$(timed "$dir/bare.txt" "$build/sanso" mail sanitize --input "$dir/in" --output-dir "$dir/bare-out")
kept_run=$(timed "$dir/sanso.txt" "$build/sanso" mail sanitize --input "$dir/in" --output-dir "$dir/sanso-out" --config "$dir/sanso.toml")
kept=$("$build/sanso" quarantine list --json --limit 1000000 --config "$dir/sanso.toml" | grep -o '"id":' | wc -l)
audited=$("$build/sanso" audit export --config "$dir/sanso.toml" | grep -c '"action":"mail.sanitize"' || true)
written=$(ls "$dir/sanso-out" | wc -l)
written_bare=$(ls "$dir/bare-out" | wc -l)
python3 - "$peer" "$floor" "$kept_run" "$bare" "$n" "$kept" "$audited" "$written" "$written_bare" <<'PY' | tee "$out/mail-batch-summary.txt"
import json, sys
peer, floor = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def rate(span, n):
    start, end = map(float, span.split())
    return n / (end - start)
n, kept, audited, written, written_bare = map(int, sys.argv[5:10])
peer_rate = peer["messages"] / peer["seconds"]
floor_rate = floor["messages"] / floor["seconds"]
kept_rate, bare_rate = rate(sys.argv[3], n), rate(sys.argv[4], n)
print(f"mail batch, {n} messages of the mix, in one run (ratios to the Python peer):")
print(f"  Python email peer (no sandbox, nothing kept)  {peer_rate:8.1f} msgs/s  (1.00x)")
print(f"  sanso mail sanitize --input --config          {kept_rate:8.1f} msgs/s  ({kept_rate / peer_rate:.2f}x; target >= 5x)")
print(f"  sanso mail sanitize --input (nothing kept)    {bare_rate:8.1f} msgs/s  ({bare_rate / peer_rate:.2f}x)")
print(f"  GMime parse + serialize floor (one core)      {floor_rate:8.1f} msgs/s  ({floor_rate / peer_rate:.2f}x)")
print(f"  originals kept {kept}/{n}, audited {audited}/{n}, written {written}/{n} (without --config {written_bare}/{n})")
if kept != n or audited != n or written != n or written_bare != n:
    print("  FAILED: every original must be kept, audited and written")
    sys.exit(1)
PY
