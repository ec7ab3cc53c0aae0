#!/usr/bin/env bash
# Compare `qguard scan` with gitleaks on the same machine in the same run:
#   1. throughput on a generated ~50 MB JSON-lines/plain-text log (1% of lines
#      with planted secrets, 5% near-misses), wall clock and CPU time;
#   2. recall and false positives on the checked-in labelled corpus
#      (monitor/testdata/corpus.jsonl.gz) and on the 50 MB log's labels.
# gitleaks is built from its Go module into a temporary folder (never the
# repository). Usage: bench/scan/run.sh [SIZE_BYTES]
# Environment: GITLEAKS=path (skip the build), QGUARD=path (skip the build),
# GITLEAKS_VERSION (default v8.30.1).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SIZE=${1:-52428800}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ -z "${GITLEAKS:-}" ]; then
	echo "building gitleaks ${GITLEAKS_VERSION:-v8.30.1} into $TMP/bin" >&2
	(cd "$TMP" && GOBIN="$TMP/bin" GOFLAGS=-buildvcs=false go install "github.com/zricethezav/gitleaks/v8@${GITLEAKS_VERSION:-v8.30.1}")
	GITLEAKS=$TMP/bin/gitleaks
fi
if [ -z "${QGUARD:-}" ]; then
	go build -o "$TMP/qguard" ./cmd/qguard
	QGUARD=$TMP/qguard
fi

go run ./monitor/internal/gencorpus -size "$SIZE" -lines "$TMP/big.log" -labels "$TMP/big.labels.jsonl"
go run ./bench/scan/recall -export monitor/testdata/corpus.jsonl.gz -lines "$TMP/lab.log" -labels "$TMP/lab.labels.jsonl"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input: $TMP/big.log, $(stat -c %s "$TMP/big.log") bytes"
TIMEFORMAT='wall %R s, user %U s, sys %S s'
export HOME=$TMP QGUARD_HOME=$TMP/home # no config: built-in rules

for i in 1 2; do
	echo "qguard scan (run $i):"
	time "$QGUARD" scan --fail-on none --json "$TMP/big.log" >"$TMP/big.q.json"
done
echo "gitleaks dir:"
time "$GITLEAKS" dir --no-banner --log-level error --exit-code 0 -f json -r "$TMP/big.gl.json" "$TMP/big.log"

"$QGUARD" scan --fail-on none --json "$TMP/lab.log" >"$TMP/lab.q.json"
"$GITLEAKS" dir --no-banner --log-level error --exit-code 0 -f json -r "$TMP/lab.gl.json" "$TMP/lab.log"
echo "== labelled corpus (monitor/testdata/corpus.jsonl.gz)"
go run ./bench/scan/recall -lines "$TMP/lab.log" -labels "$TMP/lab.labels.jsonl" -qguard "$TMP/lab.q.json" -gitleaks "$TMP/lab.gl.json"
echo "== 50 MB log"
go run ./bench/scan/recall -lines "$TMP/big.log" -labels "$TMP/big.labels.jsonl" -qguard "$TMP/big.q.json" -gitleaks "$TMP/big.gl.json" | grep -E 'lines|recall'
