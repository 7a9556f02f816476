#!/bin/sh
# Full pcap ingest (`kensa ingest`, 1 and 2 threads) vs the engine alone
# (`runfile`) vs ndpiReader vs tshark on one generated capture.
# Usage: bench/pcap.sh [MIB] [RUNS]   (needs ndpiReader: apt libndpi-bin; tshark)
# Each run of each tool is one line: user+sys CPU seconds (the fair figure on
# a shared machine), wall time and peak RSS; then the medians per tool.
# `kensa ingest` writes into a fresh case every run. BENCH_PCAP=FILE uses
# that capture instead of generating one.
set -eu
MIB=${1:-1024}
RUNS=${2:-3}
CORPUS=${KENSA_CORPUS:-../shared/corpus}/pcap
OUT=${BENCH_PCAP:-${TMPDIR:-/tmp}/kensa-pcap-bench.pcap}
[ "$MIB" = 1024 ] || OUT=${BENCH_PCAP:-${TMPDIR:-/tmp}/kensa-pcap-bench-$MIB.pcap}
CASE=${TMPDIR:-/tmp}/kensa-pcap-bench-case
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
if [ -z "${NO_BUILD:-}" ]; then # NO_BUILD=1: use the binaries already built
  cargo build --release --locked -p kensa-pcap --example mkbench --example runfile
  cargo build --release --locked --bin kensa
fi
BIN=$CARGO_TARGET_DIR/release/examples
KENSA=$CARGO_TARGET_DIR/release/kensa
[ -f "$OUT" ] || "$BIN/mkbench" "$CORPUS" "$OUT" "$MIB"
MB=$(stat -c %s "$OUT" | awk '{ printf "%.0f", $1 / 1e6 }')
LOG=$(mktemp)
T='%U %S %e %M'
run() { # label command...
  label=$1; shift
  /usr/bin/time -o "$LOG.t" -f "$T" "$@" >/dev/null 2>&1
  read -r u s w m < "$LOG.t"
  echo "$label $u $s $w $m" | tee -a "$LOG"
}
echo "file $OUT: $MB MB; columns: tool user_s sys_s wall_s maxrss_kb"
for i in $(seq "$RUNS"); do
  for th in 1 2; do
    rm -rf "$CASE"
    run "kensa-ingest-${th}t" "$KENSA" ingest --quiet --threads "$th" --case "$CASE" "$OUT"
  done
  run runfile "$BIN/runfile" "$OUT"
  run ndpiReader ndpiReader -i "$OUT" -q
  run tshark tshark -r "$OUT" -q -z conv,tcp
done
rm -rf "$CASE"
echo "medians ($RUNS runs): tool cpu_s wall_s MB/s/core(file MB / CPU s) wall_MB/s peak_rss_MB"
for tool in kensa-ingest-1t kensa-ingest-2t runfile ndpiReader tshark; do
  grep "^$tool " "$LOG" | awk -v mb="$MB" -v tool="$tool" '
    { cpu[NR] = $2 + $3; wall[NR] = $4; rss[NR] = $5 }
    function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return a[int((n + 1) / 2)] }
    END { c = med(cpu, NR); w = med(wall, NR); r = med(rss, NR)
          printf "%s %.2f %.2f %.0f %.0f %.0f\n", tool, c, w, mb / c, mb / w, r / 1024 }'
done
rm -f "$LOG" "$LOG.t"
