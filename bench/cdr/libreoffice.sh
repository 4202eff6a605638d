#!/usr/bin/env bash
# The approach many tools take — a LibreOffice re-save — timed on the same kind of Office files as
# the CDR benchmark, when LibreOffice is installed. A re-save is not a sanitizer: it keeps VBA
# projects, DDE fields and embedded OLE objects (see docs/cdr.md).
set -euo pipefail
build=$1
out=$2
if ! command -v soffice >/dev/null 2>&1; then
  echo "LibreOffice comparison skipped: soffice is not installed (apt-get install libreoffice-writer-nogui)"
  exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp examples/minamata/files/見積書.docm "$dir/in.docm"
for i in $(seq 1 10); do cp "$dir/in.docm" "$dir/f$i.docx"; done
start=$(date +%s.%N)
soffice --headless --norestore -env:UserInstallation=file://$dir/profile --convert-to docx --outdir "$dir/lo" "$dir"/f*.docx >/dev/null 2>&1
lo=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
start=$(date +%s.%N)
"$build/sanso" file sanitize "$dir"/f*.docx -o "$dir/sanso" >/dev/null 2>&1
sanso=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "LibreOffice re-save of 10 docx: ${lo} s; sanso file sanitize (sandboxed, pooled): ${sanso} s; ratio ×$(awk -v a="$lo" -v b="$sanso" 'BEGIN { printf "%.1f", a / b }')"
