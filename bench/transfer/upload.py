"""CLIENTS concurrent clients upload the benchmark's Office files through the JSON API
(POST /api/v1/transfers, multipart) for SECONDS, each one file per transfer, and report what came
back: transfers created, failures by status, latency p50/p99, files/s. Every created transfer's
id is written to IDS so the run can check that none was lost.
  upload.py PORT TOKEN FILES_DIR CLIENTS SECONDS IDS"""
import http.client, json, os, statistics, sys, threading, time, uuid

port, token, files_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
clients, seconds, ids_path = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
files = [(name, open(os.path.join(files_dir, name), "rb").read()) for name in sorted(os.listdir(files_dir))]

def body_of(name, data):
    boundary = "sanso-bench-" + uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"recipient\"\r\n\r\nkato\r\n".encode(),
             # RFC 7578 §4.2: the name in UTF-8 as it is, as browsers send it (filename* is refused).
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"".encode()
             + b"\r\nContent-Type: application/vnd.ms-word.document.macroEnabled.12\r\n\r\n" + data + b"\r\n",
             f"--{boundary}--\r\n".encode()]
    return boundary, b"".join(parts)

lock = threading.Lock()
latencies, statuses, ids, verdicts = [], {}, [], {}
first_error = []
deadline = time.monotonic() + seconds

def client(n):
    # One connection per upload ("Connection: close"): a kept-alive connection the server has
    # closed meanwhile would fail the next request before it is sent, which is not the service's doing.
    i = n
    while time.monotonic() < deadline:
        name, data = files[i % len(files)]
        i += clients
        boundary, body = body_of(name, data)
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        try:
            conn.request("POST", "/api/v1/transfers", body=body, headers={
                "Authorization": "Bearer " + token, "Content-Type": "multipart/form-data; boundary=" + boundary,
                "X-Forwarded-For": "10.30.0.50", "Connection": "close"})
            response = conn.getresponse()
            payload = response.read()
            status = response.status
        except Exception as e:  # counted: an upload that got no answer
            status, payload = type(e).__name__, b""
        finally:
            conn.close()
        elapsed = time.monotonic() - start
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if status != 201 and not first_error:
                first_error.append(f"{status}: {payload[:300].decode('utf-8', 'replace')}")
            if status == 201:
                latencies.append(elapsed)
                t = json.loads(payload)
                ids.append(t["id"])
                for f in t.get("files", []):
                    verdicts[f.get("verdict")] = verdicts.get(f.get("verdict"), 0) + 1

threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
begin = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
wall = time.monotonic() - begin
with open(ids_path, "w") as f:
    f.write("\n".join(ids) + ("\n" if ids else ""))
lat = sorted(latencies)
def pct(p): return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print(json.dumps({"clients": clients, "seconds": seconds, "wall": wall, "created": len(ids), "statuses": {str(k): v for k, v in statuses.items()},
                  "verdicts": verdicts, "first_error": first_error[0] if first_error else "", "files_per_s": len(ids) / wall, "p50": pct(0.50), "p99": pct(0.99),
                  "mean": statistics.mean(lat) if lat else float("nan")}))
