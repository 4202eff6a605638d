"""CLIENTS threads fetch URL through the HTTP proxy on 127.0.0.1:PROXY_PORT for SECONDS, each on
a persistent connection, and check every response: HTTP 200 and, with EXPECT=same, the original's
bytes; with EXPECT=rebuilt, an Office document that is not the original, still has its text and
no longer has its macro project. Prints one JSON line: requests, wrong responses (the first few
with their reason), requests/s and the latency p50/p99 in milliseconds.
  load.py PROXY_PORT URL ORIGINAL EXPECT CLIENTS SECONDS"""
import http.client, io, json, os, sys, threading, time, zipfile

proxy_port, url, original_path, expect = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
clients, seconds = int(sys.argv[5]), float(sys.argv[6])
# A response that has not come after this long is counted wrong: stalled (docs/icap.md, Squid bug 5352).
request_timeout = float(os.environ.get("SANSO_ICAP_REQUEST_TIMEOUT", "30"))
original = open(original_path, "rb").read()
lock = threading.Lock()
latencies, wrong = [], []


def check(status, body):
    if status != 200:
        return f"HTTP {status}"
    if expect == "same":
        return None if body == original else f"{len(body)} bytes, not the original's {len(original)}"
    if body == original:
        return "the original came back, not rebuilt"
    try:
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    except zipfile.BadZipFile:
        return f"{len(body)} bytes that are no Office document"
    if any("vbaProject" in n for n in names):
        return "the macro project is still there"
    if "word/document.xml" not in names:
        return "the document's text is gone"
    return None


def client(deadline):
    conn = None
    while time.monotonic() < deadline:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=request_timeout)
        started = time.monotonic()
        try:
            conn.request("GET", url)
            response = conn.getresponse()
            body = response.read()
            reason = check(response.status, body)
            if response.will_close:
                conn.close()
                conn = None
        except TimeoutError:
            reason = f"no response within {request_timeout:g} s (stalled)"
            conn.close()
            conn = None
        except (OSError, http.client.HTTPException) as e:
            reason = f"{type(e).__name__}: {e}"
            conn.close()
            conn = None
        took = time.monotonic() - started
        with lock:
            if reason:
                wrong.append(reason)
            else:
                latencies.append(took)
    if conn is not None:
        conn.close()


started = time.monotonic()
threads = [threading.Thread(target=client, args=(started + seconds,)) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - started
latencies.sort()


def percentile(p):
    return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None


print(json.dumps({"requests": len(latencies), "wrong": len(wrong), "wrong_reasons": sorted(set(wrong))[:5],
                  "per_second": round(len(latencies) / elapsed, 2), "p50_ms": percentile(0.50), "p99_ms": percentile(0.99)}))
