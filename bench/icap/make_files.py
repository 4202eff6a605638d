"""Writes the ICAP benchmark's downloads into DIR: a Word document with a macro project (which
Sanso's rebuild removes) of about 100 KB and one of about 5 MB — the issue's sizes — and one of
about 48 KB, under the 64 KB that Squid 5.7 holds without stalling (docs/icap.md), each a body of random text that
deflate cannot shrink much (bench/transfer/make_files.py writes them)."""
import os, random, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "transfer"))
from make_files import write_document  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261206)
for name, size in (("48k", 48_000), ("100k", 100_000), ("5m", 5_000_000)):
    # About 2.15 bytes of text deflate to one.
    write_document(os.path.join(out, f"doc-{name}.docm"), rng, int(size * 2.15))
