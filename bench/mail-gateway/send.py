#!/usr/bin/env python3
"""Sends the gateway benchmark's mail mix through an SMTP server from concurrent clients.

  send.py HOST:PORT MESSAGES CLIENTS ATTACHMENT_PDF

The mix, one third each (like bench/mail/sanitize_bench.cc): newsletters with a text and an HTML
alternative (~40 KB), Japanese ISO-2022-JP plain text (~5 KB), and a short mail with a PDF
attachment whose name is Japanese (RFC 2231). Every message carries a unique Message-ID that
starts with its sequence number, so deliveries can be matched (filters keep the Message-ID). Prints one JSON line: how many the server took
(2xx), refused temporarily (4xx) or permanently (5xx), and the connection errors.
"""
import json
import os
import smtplib
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mix import message_with  # noqa: E402

host, port = sys.argv[1].rsplit(":", 1)
messages, clients = int(sys.argv[2]), int(sys.argv[3])
pdf = open(sys.argv[4], "rb").read()


def message(seq: int) -> tuple[str, str, bytes]:
    return message_with(seq, pdf)


counts = {"accepted": 0, "tempfail": 0, "rejected": 0, "errors": 0}
KINDS = ("newsletter", "japanese-text", "japanese-attachment")
tempfail_by_kind = {k: 0 for k in KINDS}
lock = threading.Lock()
next_seq = [0]


def client() -> None:
    conn = None
    while True:
        with lock:
            seq = next_seq[0]
            if seq >= messages:
                break
            next_seq[0] += 1
        sender, rcpt, data = message(seq)
        outcome = "errors"
        try:
            if conn is None:
                conn = smtplib.SMTP(host, int(port), timeout=120)
                conn.ehlo("bench.example")
            conn.sendmail(sender, [rcpt], data)
            outcome = "accepted"
        except smtplib.SMTPResponseException as e:
            outcome = "tempfail" if 400 <= e.smtp_code < 500 else "rejected"
        except smtplib.SMTPRecipientsRefused as e:
            code = list(e.recipients.values())[0][0]
            outcome = "tempfail" if 400 <= code < 500 else "rejected"
        except (OSError, smtplib.SMTPException):
            outcome = "errors"
        if outcome != "accepted" and conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            conn = None
        with lock:
            counts[outcome] += 1
            if outcome in ("tempfail", "errors"):
                tempfail_by_kind[KINDS[seq % 3]] += 1
    if conn is not None:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            pass


threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
counts["tempfail_by_kind"] = tempfail_by_kind
print(json.dumps(counts))
