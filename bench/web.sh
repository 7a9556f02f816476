#!/usr/bin/env bash
# Workbench response times (issue: analyst workbench), release build, real
# server, real HTTP:
#   * a case with one host's week of 1 000 000 Squid events (ingested by
#     `kensa ingest`) and 100 000 stored findings (written into the case's
#     findings table from a real finding of the example week, ids varied);
#   * `kensa serve` on it; each page fetched N times with curl after a warm-up;
#     median and p90 of curl's total time per page.
#   bench/web.sh            (N=20)
# The criterion bench `cargo bench -p kensa-web --bench workbench` measures the
# same pages through the router without the network.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
WORK=${WORK:-/tmp/kensa-bench-web}
KENSA=${KENSA:-${CARGO_TARGET_DIR:-target}/release/kensa}
[ -x "$KENSA" ] || cargo build --release --bin kensa
rm -rf "$WORK" && mkdir -p "$WORK"
python3 - "$WORK/access.log" <<'PY'
import sys
week = 7 * 86400
with open(sys.argv[1], "w") as w:
    for i in range(1_000_000):
        t = 1772323200 + i * week // 1_000_000
        w.write(f"{t}.{i % 1000:03d} {i % 5000:5d} 10.0.0.5 TCP_MISS/200 {500 + i % 10000} GET "
                f"http://host{i % 97}.example.com/p/{i} user5 HIER_DIRECT/203.0.113.{i % 200} text/html\n")
PY
"$KENSA" ingest --quiet --case "$WORK/case" "$WORK/access.log"
# A real finding as the template (from the example week), 100 000 variants.
"$KENSA" run --quiet --no-report --out "$WORK/example" examples/data/logs >/dev/null
python3 - "$WORK/example/findings.json" "$WORK/case/case.sqlite" <<'PY'
import json, sqlite3, sys, copy
tmpl = json.load(open(sys.argv[1]))["findings"][0]
db = sqlite3.connect(sys.argv[2])
rows = []
dets = ["beacon", "dga", "rare-destination", "exfil-volume", "leak-risk"]
for i in range(100_000):
    f = copy.deepcopy(tmpl)
    ip = f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"
    f["detector"] = dets[i % 5]
    f["key"] = f"{f['detector']}|{ip}|d{i}.example.net"
    f["id"] = f"{i:016x}"
    f["src"]["ip"] = ip
    f["src"]["user"] = f"user{i % 5000}"
    f["dst"]["host"] = f"d{i}.example.net"
    f["score"] = float(i % 100)
    f["title"] = f"finding number {i}"
    rows.append((f["key"], f["id"], f["detector"], f["severity"], f["score"], json.dumps(f), "2026-11-26T00:00:00Z"))
db.execute("DELETE FROM findings")
db.executemany("INSERT INTO findings(key,id,detector,severity,score,json,updated_at) VALUES(?,?,?,?,?,?,?)", rows)
db.commit()
PY
PORT=$((20000 + RANDOM % 20000))
"$KENSA" serve --case "$WORK/case" --listen "127.0.0.1:$PORT" > "$WORK/serve.out" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "open: " "$WORK/serve.out" 2>/dev/null && break; sleep 0.2; done
LOGIN=$(sed -n 's/^open: //p' "$WORK/serve.out")
curl -s -c "$WORK/jar" -o /dev/null "$LOGIN"
page() { # name path
  for _ in 1 2; do curl -s -b "$WORK/jar" -o /dev/null "http://127.0.0.1:$PORT$2"; done
  for _ in $(seq "$N"); do curl -s -b "$WORK/jar" -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT$2"; done \
    | sort -n | awk -v name="$1" '{a[NR]=$1} END {printf "%-34s median %6.1f ms  p90 %6.1f ms  (n=%d)\n", name, a[int((NR+1)/2)]*1000, a[int(NR*0.9)]*1000, NR}'
}
page "findings list, first page" "/findings"
page "findings, detector+severity filter" "/findings?detector=dga&severity=medium"
page "findings, full-text search" "/findings?q=d4242"
page "findings, sort by first seen p.50" "/findings?sort=first_seen&dir=asc&page=50"
page "host page (1 M events: timeline+tops)" "/host/10.0.0.5"
page "overview" "/"
