#!/usr/bin/env bash
# `make fuzz-smoke`: each libFuzzer target for a short run over its seed corpus (copied to a
# scratch directory so that new inputs libFuzzer finds do not land in the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${SANSO_FUZZ_SECONDS:-20}
scratch=$(mktemp -d)
# Third-party one-time allocations (fontconfig, reached by SVG rendering) are not leaks of ours.
export LSAN_OPTIONS=suppressions=$(pwd)/tests/support/lsan.supp
trap 'rm -rf "$scratch"' EXIT

run() {
  local target=$1; shift
  mkdir -p "$scratch/$target"
  for seed in "$@"; do
    if [ -f "$seed" ]; then cp "$seed" "$scratch/$target/";
    elif [ -d "$seed" ]; then find "$seed" -type f -exec cp {} "$scratch/$target/" \;;
    else echo "   (seed $seed absent, skipped)"; fi
  done
  echo "== $target: ${seconds}s over $(ls "$scratch/$target" | wc -l) seeds"
  local status=0
  "$build/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$scratch/" "$scratch/$target" > "$scratch/$target.log" 2>&1 || status=$?
  tail -n 3 "$scratch/$target.log"
  if [ "$status" -ne 0 ]; then
    # The sanitizer's report, not only libFuzzer's last lines: what broke and where.
    grep -v -E '^#[0-9]+' "$scratch/$target.log" | tail -n 80 >&2
    echo "fuzz-smoke: $target failed (exit $status); crashing input:" >&2
    ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* 2>/dev/null >&2 || true
    exit 1
  fi
}

run policy_load_fuzz fuzz/policy/corpus examples tests/data/policy
run audit_note_fuzz fuzz/audit/corpus
run config_parse_fuzz fuzz/config/corpus examples/minamata/sanso.toml
run quarantine_unseal_fuzz fuzz/quarantine/corpus
run mime_charset_fuzz fuzz/mime/corpus tests/data/mime/html
run mail_sanitize_fuzz examples/minamata/mail fuzz/mail/corpus ${SANSO_SHARED:-../shared}/corpora/mail/mimekit-messages
run mail_auth_results_fuzz fuzz/mail/auth_results_corpus
run mail_tnef_fuzz fuzz/mail/tnef_corpus
run web_console_fuzz fuzz/web/corpus
run monitor_parse_fuzz fuzz/monitor/corpus
run icap_parse_fuzz fuzz/icap/corpus
run icap_coding_fuzz fuzz/icap/coding_corpus
run cdr_encryption_info_fuzz fuzz/cdr_encryption/corpus
# The CDR engine: every format's rebuilder for a shorter run each, over our seeds and the public files.
cdr_seconds=${SANSO_CDR_FUZZ_SECONDS:-8}
# Full stacks on allocation, so that the suppression of libgsf's own leak (lsan.supp) can match:
# libgsf has no frame pointers and a fast unwind stops at GLib.
for format in file ooxml odf pdf rtf ole2 image text archive pages metafile; do
  ASAN_OPTIONS=fast_unwind_on_malloc=0 seconds=$cdr_seconds run cdr_${format}_fuzz fuzz/cdr/corpus ${SANSO_SHARED:-../shared}/corpora/files
done
echo "fuzz-smoke: all targets ran clean"
