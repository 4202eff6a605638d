#!/usr/bin/env python3
"""The MIME entities Python's email package finds in each message file named on the command line.

A second reader beside GMime for the sanitizer's property test: both must find exactly the parts
the plan reports. Prints one JSON line per file:
  {"compat32": [[type, name, sha256], ...], "default": [...]}
in depth-first order, multiparts and attached messages included; sha256 only for named entities
(as OutputEntity in src/mail/sanitize.h).
"""
import email
import email.policy
import hashlib
import json
import sys


def entities(raw, policy):
    message = email.message_from_bytes(raw, policy=policy)
    out = []
    for part in message.walk():
        name = part.get_filename() or ""
        digest = ""
        if name and not part.is_multipart():
            payload = part.get_payload(decode=True)
            digest = hashlib.sha256(payload or b"").hexdigest()
        out.append([part.get_content_type(), str(name), digest])
    return out


def main():
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            raw = f.read()
        print(json.dumps({"compat32": entities(raw, email.policy.compat32),
                          "default": entities(raw, email.policy.default)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
