#!/bin/sh
# One man page per command, from the command's own --help (help2man), so that the pages never
# disagree with the program. A command with subcommands (sanso monitor listen, …) gets each
# subcommand's --help in a SUBCOMMANDS section of its page.
# Usage: man-pages.sh SANSO_BINARY VERSION OUT_DIR
set -eu
# The help texts are UTF-8 (無害化, 6(3)③): without a UTF-8 locale help2man writes them as "?",
# and a --name argument it would encode twice, so the NAME line comes in through the include file.
export LC_ALL=C.UTF-8
bin=$1
version=$2
out=$3
mkdir -p "$out"

# Subcommand names listed under "Subcommands:" in a --help text.
subcommands() {
  sed -n '/^Subcommands:/,/^$/p' | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p; s/^  \([a-z][a-z0-9-]*\)$/\1/p'
}
# Text as roff that shows it verbatim.
roff_verbatim() {
  sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
}

help2man --no-info --no-discard-stderr --locale=C.UTF-8 --version-string="$version" --section=1 \
  --name="the three-layer security policy of a Japanese municipality, enforced and proven" \
  --output="$out/sanso.1" "$bin"

for command in $("$bin" --help | subcommands); do
  include="$out/sanso-$command.h2m"
  printf '[NAME]\nsanso-%s \\- %s\n' "$command" "$("$bin" "$command" --help | head -n 1)" > "$include"
  subs=$("$bin" "$command" --help | subcommands)
  if [ -n "$subs" ]; then
    echo "[SUBCOMMANDS]" >> "$include"
    for sub in $subs; do
      printf '.SS "sanso %s %s"\n.nf\n' "$command" "$sub" >> "$include"
      "$bin" "$command" "$sub" --help | roff_verbatim >> "$include"
      printf '.fi\n' >> "$include"
    done
  fi
  help2man --no-info --no-discard-stderr --locale=C.UTF-8 --version-string="$version" --section=1 \
    --include="$include" --output="$out/sanso-$command.1" "$bin $command"
  rm -f "$include"
done
