#!/bin/sh
# Encrypt and decrypt one 2 GiB file with `qguard data` and with the age
# command-line tool, reporting wall time, throughput and peak resident
# memory (/usr/bin/time -v "Maximum resident set size", the kernel's
# VmHWM). Everything is built and written OUTSIDE the repository:
#   WORK   scratch folder (default /tmp/dataenc-bench), removed at the end
#   SIZE_MB input size in MiB (default 2048)
# Usage, from the repository root: sh bench/dataenc/run.sh
set -eu
WORK=${WORK:-/tmp/dataenc-bench}
SIZE_MB=${SIZE_MB:-2048}
AGEBIN=${AGEBIN:-/tmp/agebin}
mkdir -p "$WORK" "$AGEBIN"
trap 'rm -rf "$WORK"' EXIT

go build -o "$WORK/qguard" ./cmd/qguard
[ -x "$AGEBIN/age" ] || GOBIN=$AGEBIN go install filippo.io/age/cmd/...@v1.3.2

"$AGEBIN/age-keygen" -pq -o "$WORK/key.txt" 2>/dev/null
R=$("$AGEBIN/age-keygen" -y "$WORK/key.txt")
head -c "${SIZE_MB}M" /dev/urandom > "$WORK/plain.bin"
export QGUARD_HOME="$WORK/home"

measure() { # label, command...
	label=$1; shift
	sync
	/usr/bin/time -v "$@" 2> "$WORK/time.txt" >/dev/null
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$WORK/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
	awk -v l="$label" -v s="$secs" -v r="$rss" -v m="$SIZE_MB" \
		'BEGIN { printf "| %s | %.2f s | %.0f MiB/s | %.1f MiB |\n", l, s, m/s, r/1024 }'
}

echo "| command (${SIZE_MB} MiB, 2 cores) | wall | throughput | peak RSS |"
echo "|---|---:|---:|---:|"
measure "qguard data encrypt -r age1pq…" "$WORK/qguard" data encrypt -r "$R" -o "$WORK/q.age" "$WORK/plain.bin"
measure "age -r age1pq… (v1.3.2)" "$AGEBIN/age" -r "$R" -o "$WORK/a.age" "$WORK/plain.bin"
measure "qguard data decrypt -i key.txt" "$WORK/qguard" data decrypt -i "$WORK/key.txt" -o "$WORK/q.out" "$WORK/q.age"
measure "age -d -i key.txt (v1.3.2)" "$AGEBIN/age" -d -i "$WORK/key.txt" -o "$WORK/a.out" "$WORK/a.age"
cmp "$WORK/plain.bin" "$WORK/q.out"
cmp "$WORK/plain.bin" "$WORK/a.out"
echo "(both outputs decrypt back to the input: cmp ok)"
