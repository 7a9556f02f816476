#!/bin/sh
# Ingests packet captures into a fresh case and prints, per packet table
# (and web_requests), its row count and a digest of its sorted CSV dump, so
# two builds (or thread counts) can be compared for identical case content:
#
#   bench/pcap-digest.sh OLD/kensa /tmp/c1 "" > old.txt
#   bench/pcap-digest.sh NEW/kensa /tmp/c2 "--threads 2" > new.txt
#   diff old.txt new.txt
#
# Ingests each corpus category directory as one capture group (several
# files: exercises rotated-capture grouping), then the bench capture if it
# exists. Usage: bench/pcap-digest.sh KENSA CASE_DIR [INGEST_FLAGS] [EXTRA_CAPTURE...]
set -eu
BIN=$1; CASE=$2; FLAGS=${3:-}; shift 3 || shift $#
CORPUS=${KENSA_CORPUS:-../shared/corpus}/pcap
rm -rf "$CASE"
for d in "$CORPUS"/*/; do
  files=$(find "$d" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | LC_ALL=C sort)
  # shellcheck disable=SC2086
  "$BIN" ingest --quiet $FLAGS --case "$CASE" $files >/dev/null 2>&1 || echo "ingest failed: $d"
done
for f in "$@"; do
  # shellcheck disable=SC2086
  "$BIN" ingest --quiet $FLAGS --case "$CASE" "$f" >/dev/null 2>&1 || echo "ingest failed: $f"
done
for t in flows flow_packets dns tls http ssh quic web_requests; do
  "$BIN" sql --case "$CASE" "SELECT * FROM $t" --output csv > "$CASE.$t.csv"
  echo "$t rows=$(($(wc -l < "$CASE.$t.csv") - 1)) sha256=$(LC_ALL=C sort "$CASE.$t.csv" | sha256sum | cut -c1-16)"
  rm -f "$CASE.$t.csv"
done
# Column names, types and nullability of every table.
"$BIN" sql --case "$CASE" "SELECT table_name, column_name, data_type, is_nullable, ordinal_position FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position" --output csv | sha256sum | cut -c1-16 | sed 's/^/schemas=/'
# Manifest: per input its counts, reject reasons and samples, capture stats
# and mail summary (no times, staging paths or ids of runs).
python3 - "$CASE/case.sqlite" <<'PY'
import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for name, q in [
    ("inputs", "SELECT path, size, content_hash, format, status, rows, rejected, first_ts, last_ts, error FROM inputs ORDER BY id"),
    ("parts", "SELECT input_id, table_name, day, rows FROM parts ORDER BY input_id, table_name, day, rows"),
    ("reject_counts", "SELECT * FROM reject_counts ORDER BY 1, 2"),
    ("reject_samples", "SELECT * FROM reject_samples ORDER BY 1, 2, 3, 4"),
    ("capture_files", "SELECT * FROM capture_files ORDER BY 1"),
    ("capture_mail", "SELECT * FROM capture_mail ORDER BY 1, 2, 3, 4, 5"),
]:
    rows = c.execute(q).fetchall()
    print(f"{name} rows={len(rows)} sha256={hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}")
PY
