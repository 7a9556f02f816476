#!/usr/bin/env bash
# Reproduces the ingest and SQL figures of BENCHMARKS.md. Run from the repo root:
#   MB=1500 RUNS=3 bench/ingest.sh
# (uses $CARGO_TARGET_DIR when set, else ./target).
# Needs: hyperfine, goaccess, GNU time (apt-get install hyperfine goaccess time).
set -euo pipefail
MB=${MB:-2000}
RUNS=${RUNS:-3}
W=${W:-/tmp/kensa-bench}
cargo build --release --locked -p kensa
K=${CARGO_TARGET_DIR:-$PWD/target}/release/kensa
mkdir -p "$W"
for f in squid-native proxysg-elff ifilter-v10-access; do
  [ -s "$W/$f/bulk.log" ] || "$K" synth --quiet --out "$W/$f" --formats "$f" --bulk-mb "$MB" --seed 11
done
[ -s "$W/squid-native/bulk.log.gz" ] || gzip -1 -k "$W/squid-native/bulk.log"
ls -l "$W"/*/bulk.log*
echo "lines: $(wc -l < "$W/squid-native/bulk.log") squid, $(wc -l < "$W/proxysg-elff/bulk.log") proxysg, $(wc -l < "$W/ifilter-v10-access/bulk.log") ifilter"

ing() { echo "$K ingest --quiet --no-intel --case $W/case $1"; }
# goaccess's predefined SQUID format does not parse Squid 3+ native lines
# (it fails on every line here); this is the same layout spelled out.
GA="goaccess $W/squid-native/bulk.log --log-format='%x.%^ %~%L %h %^/%s %b %m %U %^' --date-format=%s --time-format=%s -o $W/goaccess.json"

hyperfine --runs "$RUNS" --export-markdown "$W/ingest.md" --prepare "rm -rf $W/case" \
  -n "kensa squid native" "$(ing "$W/squid-native/bulk.log")" \
  -n "kensa squid native .gz" "$(ing "$W/squid-native/bulk.log.gz")" \
  -n "kensa proxysg elff" "$(ing "$W/proxysg-elff/bulk.log")" \
  -n "kensa ifilter v10" "$(ing "$W/ifilter-v10-access/bulk.log")" \
  -n "goaccess squid" "$GA"

echo "== peak memory (max RSS)"
for f in squid-native/bulk.log squid-native/bulk.log.gz proxysg-elff/bulk.log ifilter-v10-access/bulk.log; do
  rm -rf "$W/case"
  /usr/bin/time -f "$f: %M KB max RSS, %e s wall, %U s user, %S s sys" "$K" ingest --quiet --no-intel --case "$W/case" "$W/$f"
done
/usr/bin/time -f "goaccess: %M KB max RSS, %e s wall, %U s user, %S s sys" sh -c "$GA > /dev/null 2>&1"

echo "== SQL over the squid case"
rm -rf "$W/case"; "$K" ingest --quiet --no-intel --case "$W/case" "$W/squid-native/bulk.log"
"$K" sql --case "$W/case" "SELECT count(*) AS rows FROM web_requests"
Q="SELECT client_ip, count(*) AS n, sum(bytes_down) AS down FROM web_requests GROUP BY client_ip ORDER BY n DESC LIMIT 10"
hyperfine --runs "$RUNS" --export-markdown "$W/sql.md" \
  -n "GROUP BY client_ip" "$K sql --case $W/case --output csv \"$Q\"" \
  -n "GROUP BY host, day" "$K sql --case $W/case --output csv \"SELECT host, day, count(*) FROM web_requests GROUP BY host, day ORDER BY 3 DESC LIMIT 10\""
cat "$W/ingest.md" "$W/sql.md"
