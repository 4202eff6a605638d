#!/usr/bin/env bash
# Sanso is Apache-2.0: copyleft (GPL) code runs only as separate programs, never linked (the
# brief). Every library the program loads, and every library those load, is checked against the
# GPL-only libraries a mail/CDR stack on Debian 12 could pull in — FFTW (libvips), JBIG-KIT
# (libtiff), libytnef, Poppler, MuPDF, Ghostscript, GNU readline — and their carriers.
set -euo pipefail
binary=${1:?usage: linked_libraries.sh BINARY}
loaded=$(ldd "$binary" | awk '{print $1}')
bad=$(grep -E '^(libfftw3|libjbig|libytnef|libvips|libMagick|libtiff|libpoppler|libmupdf|libgs\.so|libreadline)' <<<"$loaded" || true)
if [ -n "$bad" ]; then
  echo "linked_libraries: $binary loads GPL code (or a library that links it):" >&2
  echo "$bad" >&2
  echo "see docs/dependencies.md: run copyleft code as a separate, sandboxed program instead" >&2
  exit 1
fi
echo "linked_libraries: $(wc -l <<<"$loaded") libraries, none of them copyleft-only"
