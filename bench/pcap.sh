#!/bin/sh
# kensa-pcap vs ndpiReader vs tshark on one generated capture.
# Usage: bench/pcap.sh [MIB]   (needs ndpiReader: apt libndpi-bin; tshark)
# Reports user+sys CPU seconds (the fair figure on a shared machine), wall
# time and peak RSS for each tool.
set -eu
MIB=${1:-1024}
CORPUS=${KENSA_CORPUS:-../shared/corpus}/pcap
OUT=${TMPDIR:-/tmp}/kensa-pcap-bench.pcap
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -p kensa-pcap --example mkbench --example runfile
BIN=$CARGO_TARGET_DIR/release/examples
[ -f "$OUT" ] || "$BIN/mkbench" "$CORPUS" "$OUT" "$MIB"
T='%C: user=%U sys=%S wall=%e maxrss_kb=%M'
/usr/bin/time -f "$T" "$BIN/runfile" "$OUT"
/usr/bin/time -f "$T" ndpiReader -i "$OUT" -q >/dev/null
/usr/bin/time -f "$T" tshark -r "$OUT" -q -z conv,tcp >/dev/null
