#!/usr/bin/env bash
# Report benchmark (issue: report): a synthetic 500-host week, ingested and
# analysed once, then `kensa report` timed for HTML and PDF (ja), release build.
#   HOSTS=500 DAYS=7 bench/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-500}
DAYS=${DAYS:-7}
WORK=${WORK:-/tmp/kensa-bench-report}
KENSA=${KENSA:-${CARGO_TARGET_DIR:-target}/release/kensa}
[ -x "$KENSA" ] || cargo build --release -p kensa
rm -rf "$WORK" && mkdir -p "$WORK"
"$KENSA" synth --quiet --out "$WORK/data" --hosts "$HOSTS" --days "$DAYS" --seed 7 --formats proxysg-elff >/dev/null
/usr/bin/time -f "run: %e s, %M KB" "$KENSA" run --quiet --no-report --out "$WORK/out" "$WORK/data/proxysg"
"$KENSA" info --case "$WORK/out/case" | head -20
"$KENSA" findings --case "$WORK/out/case" --json | python3 -c 'import json,sys; f=json.load(sys.stdin)["findings"]; print(len(f), "findings,", len({x["src"]["ip"] for x in f}), "hosts with findings")'
for fmt in html pdf; do
  /usr/bin/time -f "report $fmt: %e s, %M KB peak" "$KENSA" report --quiet --case "$WORK/out/case" --lang ja --format "$fmt" -o "$WORK/report.ja.$fmt"
  ls -l "$WORK/report.ja.$fmt"
done
