#!/usr/bin/env bash
# Installs every Debian 12 package Sanso needs to build, test, benchmark and fuzz.
# Idempotent: packages already present are skipped, and apt is not touched when nothing is missing.
# As root it installs; otherwise it prints the apt command to run.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang-14 libclang-rt-14-dev            # fuzz preset (libFuzzer)
  # libraries (linked)
  libtomlplusplus-dev libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libsodium-dev
  libsqlite3-dev libpq-dev libssl-dev libseccomp-dev libgmime-3.0-dev libxml2-dev
  libuchardet-dev libkainjow-mustache-dev
  libfribidi-dev                         # the outgoing check reads right-to-left lines as they are shown (src/mail/outbound.cc)
  libqpdf-dev libzip-dev libarchive-dev libpugixml-dev libgsf-1-dev   # CDR engine
  # the CDR engine's image codecs, each format's own library (src/cdr/image/codecs.h)
  libjpeg62-turbo-dev libpng-dev libgif-dev libwebp-dev liblcms2-dev librsvg2-dev libgdk-pixbuf-2.0-dev libcairo2-dev
  libpango1.0-dev                        # the tests render pictures of text for the OCR tests
  libmilter-dev                          # the Postfix milter
  zlib1g-dev                             # gzip-compressed flow logs (src/monitor), gzip/deflate downloads (src/icap)
  libbrotli-dev libzstd-dev              # br / zstd compressed downloads through the proxy (src/icap)
  libcpp-httplib-dev                     # the web console (HTTP/HTTPS server)
  libldap2-dev                           # directory sign-in (LDAP / Active Directory)
  libxlsxwriter-dev                      # self-inspection reports (sanso inspect report --format xlsx)
  libsystemd-dev                         # log events with their fields to the systemd journal ([log] journal)
  qpdf                                   # `qpdf --check` on sanitized PDFs in the tests
  # converters run as separate, sandboxed processes (never linked): legacy conversion, rasterize
  # mode, and the tests' proof that rebuilt Office files still open
  libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui poppler-utils poppler-data
  libtiff-tools                          # tiff2rgba decodes TIFF pages apart from us (libtiff links JBIG-KIT, GPL)
  tesseract-ocr tesseract-ocr-jpn tesseract-ocr-osd  # OCR: the outgoing check reads the text of pictures (cdr::picture_text)
  clamav-daemon                          # optional antivirus: the tests run a private clamd with a test signature
  # servers the tests run for real (each started privately by the test harness)
  postgresql postfix
  opendmarc dnsmasq-base                 # the MTA's verifier before the milter (PPAP links), with a private DNS
  slapd ldap-utils                       # the directory tests' private OpenLDAP server
  squid                                  # the ICAP tests run a private Squid in front of `sanso icap`
  rsyslog                                # the log tests send RFC 5424 lines to a private rsyslogd
  sqlite3                                # the demo tampers with a copy of the store to show detection
  curl                                   # the demo signs in to the web console
  softflowd nftables iproute2            # the flow monitor's network-namespace test: a real exporter and packet logging
  # the Debian package (make deb) and its install test into a fresh Debian 12 tree
  debhelper help2man lintian debootstrap
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-openpyxl                       # the inspection report test reads the XLSX back
  python3-jsonschema                     # the API test checks real responses against docs/api/openapi.json
  prometheus                             # the API test checks /metrics with `promtool check metrics`
  chromium                               # the console's browser test (driven by playwright-core from npm); the PDF report, run sandboxed
  fonts-noto-cjk                         # Japanese glyphs in the PDF report Chromium prints
  openssl                                # the console's TLS test makes a throwaway certificate
)
# Node.js and npm run the console's browser test and the Cedar comparison under bench/; a machine that already has a
# node (e.g. from another repository) keeps it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

# python3 checks a rendered metafile for ink in the converter sandbox (cdr::picture_has_ink) and
# drives the gateway benchmark's SMTP clients; with --bench, MIMEDefang for its comparison
# (libnet-dns-perl, which the package forgets to depend on: without it its workers die silently),
# and c-icap with its clamd virus-scan module for the ICAP comparison (bench/icap/run.sh; its
# own private instance, the packaged service is not used).
packages+=(python3)
if [ "${1:-}" = "--bench" ]; then
  packages+=(mimedefang libnet-dns-perl c-icap libc-icap-mod-virus-scan)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages; run as root:"
  echo "  apt-get update && ${cmd[*]}"
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
"${cmd[@]}"
