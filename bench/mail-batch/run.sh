#!/usr/bin/env bash
# `sanso mail sanitize --input DIR` (the batch command: ready sandboxed workers, every original kept
# in quarantine and audited through the intake pipeline) on the same N messages of the benchmark
# mix, in one run, as ratios to a naive Python `email` sanitizer (peer.py): with --config (kept and
# audited) doing the peer's job (text only, attachments dropped: --attachments remove), without it
# (no quarantine, no audit), with --config and the example policy's own choice (every PDF
# attachment rebuilt by the CDR engine: more than the peer does), and GMime parsing and writing out
# the same files (sanso_mail_floor: one core, nothing sandboxed or kept). Rates are of the whole
# process, start-up included, for the peer as for Sanso.
# The machine is shared and noisy, so the whole set (peer, both sanso runs, floor) is measured
# ROUNDS times, one after the other, and the median of each ratio is reported.
# The work directory is under $SANSO_BENCH_TMP (default /tmp): on a file system without a journal
# whose /tmp is churned by tests, creating a file there costs ~0.3 ms (ext4 skips recently deleted
# inodes), the same for the peer and for Sanso, and it narrows every ratio; point it elsewhere.
#   run.sh BUILD OUT [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
out=$2
n=${3:-600}
rounds=${4:-3}
dir=$(mktemp -d "${SANSO_BENCH_TMP:-/tmp}/sanso-mail-batch-XXXXXX")
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
# Each round writes into directories of its own, and nothing is deleted before the end: a file
# created where many were just deleted costs more on some file systems (see above), and deleting a
# round's outputs would charge that to the next round.
write_config() {  # NAME DATA_DIR
  cat > "$dir/$1.toml" <<TOML
[service]
node = "bench"
data_dir = "$2"
policy = "$PWD/examples/minamata/policy.toml"
TOML
}

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
  r="$dir/round-$round"
  mkdir -p "$r"
  write_config "kept-$round" "$r/data"
  write_config "cdr-$round" "$r/data-cdr"
  peer_run=$(timed "$r/peer.json" python3 bench/mail-batch/peer.py "$dir/in" "$r/peer-out")
  peer=$(cat "$r/peer.json")
  floor=$("$build/sanso_mail_floor" "$dir/in")
  bare=$(timed "$r/bare.txt" "$build/sanso" mail sanitize --input "$dir/in" --output-dir "$r/bare-out" --attachments remove)
  # More than the peer does: the example city's policy rebuilds each PDF attachment (CDR in the sandbox).
  rebuilt=$(timed "$r/rebuilt.txt" "$build/sanso" mail sanitize --input "$dir/in" --output-dir "$r/rebuilt-out" --config "$dir/cdr-$round.toml")
  # The same job as the peer's (text only, attachments dropped), every original kept and audited.
  kept_run=$(timed "$r/sanso.txt" "$build/sanso" mail sanitize --input "$dir/in" --output-dir "$r/sanso-out" --config "$dir/kept-$round.toml" --attachments remove)
  kept=$("$build/sanso" quarantine list --json --limit 1000000 --config "$dir/kept-$round.toml" | grep -o '"id":' | wc -l)
  audited=$("$build/sanso" audit export --config "$dir/kept-$round.toml" | grep -c '"action":"mail.sanitize"' || true)
  written=$(ls "$r/sanso-out" | wc -l)
  written_bare=$(ls "$r/bare-out" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$peer" "$peer_run" "$floor" "$kept_run" "$bare" "$rebuilt" "$kept" "$audited" "$written" "$written_bare" >> "$dir/rounds.txt"
done
python3 - "$dir/rounds.txt" "$n" <<'PY' | tee "$out/mail-batch-summary.txt"
import json, statistics, sys
n = int(sys.argv[2])
def rate(span):
    start, end = map(float, span.split())
    return n / (end - start)
rounds, complete = [], True
for line in open(sys.argv[1]):
    peer, peer_run, floor, kept_run, bare, rebuilt, kept, audited, written, written_bare = line.rstrip("\n").split("\t")
    peer, floor = json.loads(peer), json.loads(floor)
    # Both commands as an administrator runs them: the whole process, start-up included (the
    # peer's own figure leaves out the interpreter's start-up and imports; shown beside it).
    peer_rate = rate(peer_run)
    peer_loop = peer["messages"] / peer["seconds"]
    rounds.append({"peer": peer_rate, "peer_loop": peer_loop, "kept": rate(kept_run) / peer_rate, "bare": rate(bare) / peer_rate,
                   "kept_loop": rate(kept_run) / peer_loop, "rebuilt": rate(rebuilt) / peer_rate, "floor": floor["messages"] / floor["seconds"] / peer_loop})
    complete &= all(int(x) == n for x in (kept, audited, written, written_bare))
    print(f"  round {len(rounds)}: peer {peer_rate:6.1f} msgs/s ({peer_loop:6.1f} in its loop); --config {rounds[-1]['kept']:.2f}x "
          f"({rounds[-1]['kept_loop']:.2f}x its loop), nothing kept {rounds[-1]['bare']:.2f}x, GMime floor {rounds[-1]['floor']:.2f}x its loop; "
          f"kept {kept}, audited {audited}, written {written}/{written_bare} of {n}")
med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
print(f"mail batch, {n} messages of the mix, median of {len(rounds)} rounds (ratios to the Python peer in the same round):")
print(f"  Python email peer (no sandbox, nothing kept)  {med['peer']:8.1f} msgs/s whole process (1.00x); {med['peer_loop']:.1f} msgs/s in its loop")
print(f"  sanso mail sanitize --input --config          {med['kept']:.2f}x  (target >= 5x); {med['kept_loop']:.2f}x the peer's loop")
print(f"  sanso mail sanitize --input (nothing kept)    {med['bare']:.2f}x")
print(f"  sanso ... --config, the policy's CDR rebuild   {med['rebuilt']:.2f}x  (more work than the peer: every PDF attachment rebuilt)")
print(f"  GMime parse + serialize floor (one core)      {med['floor']:.2f}x the peer's loop (both without start-up)")
if not complete:
    print("  FAILED: every original must be kept, audited and written in every round")
    sys.exit(1)
PY
