"""Fetch N report forms (CSRF cookie, token, nonce) for form.lua, from several threads."""
import http.client, re, sys, threading, urllib.parse

host, port, count, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lines, lock = [], threading.Lock()

def work(n):
    conn = http.client.HTTPConnection(host, port)
    for _ in range(n):
        conn.request("GET", "/report/corruption")
        r = conn.getresponse()
        html = r.read().decode()
        cookie = next(v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie" and "csrf=" in v)
        token = re.search(r'name="authenticity_token" value="([^"]+)"', html).group(1)
        nonce = re.search(r'name="submission_nonce" value="([^"]+)"', html).group(1)
        token = urllib.parse.quote(token.replace("&#43;", "+").replace("&#47;", "/").replace("&#61;", "="), safe="")
        with lock:
            lines.append(f"{cookie}\t{token}\t{nonce}")

threads = [threading.Thread(target=work, args=(count // 8,)) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
open(out, "w").write("\n".join(lines) + "\n")
