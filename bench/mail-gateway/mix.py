"""The benchmarks' mail mix, one third each (like bench/mail/sanitize_bench.cc): newsletters with a
text and an HTML alternative (~40 KB), Japanese ISO-2022-JP plain text (~5 KB), and a short mail
with a PDF attachment whose name is Japanese (RFC 2231). Every message carries a unique Message-ID
that starts with its sequence number. Used by the gateway benchmark (send.py) and the batch
benchmark (bench/mail-batch)."""
import base64
import uuid

para = ("<p>水俣市からのお知らせです。<a href=\"https://news.example.jp/a?id=1\">詳しくはこちら</a>。"
        "<b>令和8年度</b>の予算要求について、各課は期日までに提出してください。</p>\n")


def b64(data: bytes) -> str:
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def message_with(seq: int, pdf: bytes) -> tuple[str, str, bytes]:
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


