#!/usr/bin/env python3
"""Sends the gateway benchmark's mail mix through an SMTP server from concurrent clients.

  send.py HOST:PORT MESSAGES CLIENTS ATTACHMENT_PDF

The mix, one third each (like bench/mail/sanitize_bench.cc): newsletters with a text and an HTML
alternative (~40 KB), Japanese ISO-2022-JP plain text (~5 KB), and a short mail with a PDF
attachment whose name is Japanese (RFC 2231). Every message carries a unique Message-ID that
starts with its sequence number, so deliveries can be matched (filters keep the Message-ID). Prints one JSON line: how many the server took
(2xx), refused temporarily (4xx) or permanently (5xx), and the connection errors.
"""
import base64
import json
import smtplib
import sys
import threading
import uuid

host, port = sys.argv[1].rsplit(":", 1)
messages, clients = int(sys.argv[2]), int(sys.argv[3])
pdf = open(sys.argv[4], "rb").read()

para = ("<p>水俣市からのお知らせです。<a href=\"https://news.example.jp/a?id=1\">詳しくはこちら</a>。"
        "<b>令和8年度</b>の予算要求について、各課は期日までに提出してください。</p>\n")


def b64(data: bytes) -> str:
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def message(seq: int) -> tuple[str, str, bytes]:
    kind = seq % 3
    head = f"Message-ID: <{seq}.{uuid.uuid4()}@bench.example>\r\nMIME-Version: 1.0\r\n"
    if kind == 0:
        html = "<html><body><h1>ニュースレター</h1>"
        while len(html) < 40000:
            html += para
        html += "</body></html>"
        text = "水俣市からのお知らせです。令和8年度の予算要求について。\r\n" * 60
        body = (head + "From: news@example.jp\r\nTo: all@city.minamata.lg.jp\r\nSubject: =?UTF-8?B?44OL44Ol44O844K5?=\r\n"
                "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
                "--b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(text.encode()) +
                "--b\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(html.encode()) + "--b--\r\n")
        return "news@example.jp", "all@city.minamata.lg.jp", body.encode()
    if kind == 1:
        text = ""
        while len(text) < 1700:
            text += "お世話になっております。標記の件につき、株式会社サンプルよりご連絡いたします。\r\n"
        body = (head + "From: a@example.co.jp\r\nTo: kikaku@city.minamata.lg.jp\r\nSubject: =?ISO-2022-JP?B?GyRCJCpDTiRpJDsbKEI=?=\r\n"
                "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
        return "a@example.co.jp", "kikaku@city.minamata.lg.jp", body.encode() + text.encode("iso2022_jp")
    body = (head + "From: b@example.jp\r\nTo: zeimu@city.minamata.lg.jp\r\nSubject: attachment\r\n"
            "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n資料を送ります。\r\n"
            "--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''%E8%AA%AC%E6%98%8E%E4%BC%9A%E8%B3%87%E6%96%99.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64(pdf) + "--m--\r\n")
    return "b@example.jp", "zeimu@city.minamata.lg.jp", body.encode()


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
