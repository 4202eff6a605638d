#!/usr/bin/env python3
"""The naive peer for `sanso mail sanitize --input`: Python's `email` (policy default) makes each
message of a directory text-only, as a small script an IT section might write would — the text
part or the HTML with its tags stripped, attachments dropped, no sandbox, nothing kept. The floor
Sanso's batch is measured against (issue #16: at least 5× its rate).

  peer.py IN_DIR OUT_DIR      prints one JSON line: messages, seconds
"""
import email
import email.policy
import html
import json
import os
import re
import sys
import time
from email.message import EmailMessage

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
names = sorted(os.listdir(src))
start = time.monotonic()
for name in names:
    with open(os.path.join(src, name), "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        text = body.get_content()
        if body.get_content_type() == "text/html":
            text = html.unescape(re.sub(r"<[^>]*>", "", text))
    removed = [p.get_filename() or p.get_content_type() for p in msg.iter_attachments()]
    out = EmailMessage()
    for h in ("From", "To", "Subject", "Date", "Message-ID"):
        if msg[h] is not None:
            out[h] = str(msg[h])
    notice = "".join(f"[removed] {r}\n" for r in removed)
    out.set_content(notice + text)
    with open(os.path.join(dst, name), "wb") as f:
        f.write(out.as_bytes())
print(json.dumps({"messages": len(names), "seconds": time.monotonic() - start}))
