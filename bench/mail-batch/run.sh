#!/usr/bin/env bash
# `sanso mail sanitize --input DIR` (the batch command: ready sandboxed workers, every original kept
# in quarantine and audited through the intake pipeline) on the same N messages of the benchmark
# mix, in one run, as ratios to a naive Python `email` sanitizer (peer.py): with --config (kept and
# audited), without it (no quarantine, no audit), and GMime parsing and writing out the same files
# (sanso_mail_floor: the floor, one core, nothing sandboxed or kept).
# The machine is shared and noisy, so the whole set (peer, both sanso runs, floor) is measured
# ROUNDS times, one after the other, and the median of each ratio is reported.
#   run.sh BUILD OUT [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
out=$2
n=${3:-600}
rounds=${4:-3}
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

# Wall time of the whole command, start-up (store, policy, forking the workers) included.
timed() {
  local log=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" > "$log"
  end=$(date +%s.%N)
  echo "$start $end"
}
: > "$dir/rounds.txt"
for round in $(seq 1 "$rounds"); do
  rm -rf "$dir/peer-out" "$dir/bare-out" "$dir/sanso-out" "$dir/data"
  peer=$(python3 bench/mail-batch/peer.py "$dir/in" "$dir/peer-out")
  floor=$("$build/sanso_mail_floor" "$dir/in")
  bare=$(timed "$dir/bare.txt" "$build/sanso" mail sanitize --input "$dir/in" --output-dir "$dir/bare-out")
  kept_run=$(timed "$dir/sanso.txt" "$build/sanso" mail sanitize --input "$dir/in" --output-dir "$dir/sanso-out" --config "$dir/sanso.toml")
  kept=$("$build/sanso" quarantine list --json --limit 1000000 --config "$dir/sanso.toml" | grep -o '"id":' | wc -l)
  audited=$("$build/sanso" audit export --config "$dir/sanso.toml" | grep -c '"action":"mail.sanitize"' || true)
  written=$(ls "$dir/sanso-out" | wc -l)
  written_bare=$(ls "$dir/bare-out" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$peer" "$floor" "$kept_run" "$bare" "$kept" "$audited" "$written" "$written_bare" >> "$dir/rounds.txt"
done
python3 - "$dir/rounds.txt" "$n" <<'PY' | tee "$out/mail-batch-summary.txt"
import json, statistics, sys
n = int(sys.argv[2])
def rate(span):
    start, end = map(float, span.split())
    return n / (end - start)
rounds, complete = [], True
for line in open(sys.argv[1]):
    peer, floor, kept_run, bare, kept, audited, written, written_bare = line.rstrip("\n").split("\t")
    peer, floor = json.loads(peer), json.loads(floor)
    peer_rate = peer["messages"] / peer["seconds"]
    rounds.append({"peer": peer_rate, "kept": rate(kept_run) / peer_rate, "bare": rate(bare) / peer_rate,
                   "floor": floor["messages"] / floor["seconds"] / peer_rate})
    complete &= all(int(x) == n for x in (kept, audited, written, written_bare))
    print(f"  round {len(rounds)}: peer {peer_rate:6.1f} msgs/s; --config {rounds[-1]['kept']:.2f}x, nothing kept {rounds[-1]['bare']:.2f}x, "
          f"GMime floor {rounds[-1]['floor']:.2f}x; kept {kept}, audited {audited}, written {written}/{written_bare} of {n}")
med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
print(f"mail batch, {n} messages of the mix, median of {len(rounds)} rounds (ratios to the Python peer in the same round):")
print(f"  Python email peer (no sandbox, nothing kept)  {med['peer']:8.1f} msgs/s  (1.00x)")
print(f"  sanso mail sanitize --input --config          {med['kept']:.2f}x  (target >= 5x)")
print(f"  sanso mail sanitize --input (nothing kept)    {med['bare']:.2f}x")
print(f"  GMime parse + serialize floor (one core)      {med['floor']:.2f}x")
if not complete:
    print("  FAILED: every original must be kept, audited and written in every round")
    sys.exit(1)
PY
