#!/usr/bin/env bash
# `sanso mail sanitize --input DIR` (the batch command: ready sandboxed workers, every original kept
# in quarantine and audited through the intake pipeline) against a naive Python `email` sanitizer
# (peer.py) on the same N messages of the benchmark mix, in the same run; printed as a ratio.
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
start=$(date +%s.%N)
"$build/sanso" mail sanitize --input "$dir/in" --output-dir "$dir/sanso-out" --config "$dir/sanso.toml" > "$dir/sanso.txt"
end=$(date +%s.%N)
kept=$("$build/sanso" quarantine list --json --limit 1000000 --config "$dir/sanso.toml" | grep -o '"id":' | wc -l)
audited=$("$build/sanso" audit export --config "$dir/sanso.toml" | grep -c '"action":"mail.sanitize"' || true)
written=$(ls "$dir/sanso-out" | wc -l)
python3 - "$peer" "$start" "$end" "$n" "$kept" "$audited" "$written" <<'PY' | tee "$out/mail-batch-summary.txt"
import json, sys
peer = json.loads(sys.argv[1])
seconds = float(sys.argv[3]) - float(sys.argv[2])
n, kept, audited, written = map(int, sys.argv[4:8])
sanso_rate = n / seconds
peer_rate = peer["messages"] / peer["seconds"]
print(f"mail batch, {n} messages of the mix:")
print(f"  Python email peer (no sandbox, nothing kept) {peer_rate:8.1f} msgs/s")
print(f"  sanso mail sanitize --input --config         {sanso_rate:8.1f} msgs/s  ({sanso_rate / peer_rate:.2f}x the peer; target >= 5x)")
print(f"  originals kept {kept}/{n}, audited {audited}/{n}, written {written}/{n}")
if kept != n or audited != n or written != n:
    print("  FAILED: every original must be kept, audited and written")
    sys.exit(1)
PY
