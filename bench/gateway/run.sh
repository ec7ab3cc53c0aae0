#!/usr/bin/env bash
# Authenticated submissions per second on the local simulator, audit on:
# a fresh home, `qguard serve` on loopback, bench/loadgen as the client.
#   bench/gateway/run.sh [concurrency] [duration]
# SYNC=normal selects store.synchronous: normal (default full).
set -euo pipefail
cd "$(dirname "$0")/../.."
c=${1:-32}; d=${2:-10s}
work=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/qguard" ./cmd/qguard
go build -o "$work/loadgen" ./bench/loadgen
mkdir -m 700 "$work/home"
printf "server:\n  rate_per_minute: 100000000\nstore:\n  synchronous: ${SYNC:-full}\n" > "$work/home/config.yaml"
port=$(( 20000 + RANDOM % 20000 ))
QGUARD_HOME="$work/home" "$work/qguard" serve --addr "127.0.0.1:$port" --log-level warn >"$work/out" 2>"$work/err" & pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
key=$(grep -o 'qg_[A-Za-z0-9_-]*' "$work/out" | head -1)
QGUARD_TOKEN=$key "$work/loadgen" -url "http://127.0.0.1:$port" -c "$c" -d "$d"
