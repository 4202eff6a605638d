#!/usr/bin/env python3
"""Reads what smtp-sink stored in DIR and prints one JSON line: messages delivered, distinct
X-Bench-Seq numbers (a number seen twice is a duplicate delivery), and for the mails that carried
the Japanese-named PDF, in how many the name 説明会資料.pdf survived — as the rebuilt attachment's
name (Sanso) or in the notice or warning text that lists what was removed.

  verify.py DIR
"""
import email
import email.policy
import json
import os
import sys

NAME = "説明会資料.pdf"
seen = {}
attachment_mails = names_ok = 0
for f in os.listdir(sys.argv[1]):
    raw = open(os.path.join(sys.argv[1], f), "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    mid = str(msg.get("Message-ID", "")).strip().lstrip("<")
    seq = mid.split(".", 1)[0]
    if not seq.isdigit() or not mid.endswith("@bench.example>"):
        continue
    seen[seq] = seen.get(seq, 0) + 1
    if int(seq) % 3 != 2:
        continue
    attachment_mails += 1
    ok = False
    for part in msg.walk():
        if part.get_filename() == NAME:
            ok = True
        elif part.get_content_maintype() == "text":
            try:
                ok = ok or NAME in part.get_content()
            except (LookupError, ValueError):
                pass
    names_ok += ok
print(json.dumps({"delivered": sum(seen.values()), "distinct": len(seen), "duplicates": sum(n - 1 for n in seen.values()),
                  "attachment_mails": attachment_mails, "names_ok": names_ok}))
