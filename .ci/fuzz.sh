#!/usr/bin/env bash
# make fuzz: schemathesis against a live demo server from its published /api/schema/, all
# checks, as the demo user (HTTP Basic demo/demo); the server is the smoke run's (embedded
# SpatiaLite, tasks in-process, a throw-away folder). Then .ci/fuzz_report.py counts the
# answers by status and fails on any 5xx or /query/ error not in the contract's shape.
#   FUZZ_EXAMPLES  test cases per operation and phase (default 100)
#   FUZZ_PHASES    schemathesis phases (default: all that apply)
#   FUZZ_SEED      the seed (default 11: the same cases each run)
#   FUZZ_PORT      the port (default: a free one)
#   FUZZ_OUT       where the output, the HAR file and the report go (default var/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server=""
cleanup() {
  status=$?
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  if [ "$status" -ne 0 ] && [ -f "$tmp/server.log" ]; then
    echo "--- server log (last lines) ---"; grep -v '^\[' "$tmp/server.log" | tail -n 40
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# The fuzzer sends a few hundred requests a minute: the quotas (tested on their own) would
# answer 429 to most of them.
export CBMWEB_VAR_DIR="$tmp" CBMWEB_DEMO=1 QUOTA_REQUESTS_PER_MINUTE=1000000 \
  QUOTA_IP_REQUESTS_PER_MINUTE=1000000
unset DATABASE_URL CELERY_BROKER_URL
py=.venv/bin/python
# The fuzzer's output, its HAR file (every request and answer) and the report stay here.
out=${FUZZ_OUT:-var/fuzz}
mkdir -p "$out"
port=${FUZZ_PORT:-$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
$py manage.py migrate --noinput -v 0
$py manage.py demo_setup --small --port "$port" >"$tmp/setup.log"
$py manage.py runserver --noreload "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server=$!
phases=()
[ -n "${FUZZ_PHASES:-}" ] && phases=(--phases "$FUZZ_PHASES")
started=$(date +%s)
set +e
.venv/bin/schemathesis --config-file .ci/schemathesis.toml run \
  "http://127.0.0.1:$port/api/schema/" --wait-for-schema 60 \
  --checks all --auth demo:demo --seed "${FUZZ_SEED:-11}" --generation-database none \
  --max-examples "${FUZZ_EXAMPLES:-100}" "${phases[@]}" --workers 1 --no-color \
  --report har --report-har-path "$out/fuzz.har" >"$out/fuzz.txt" 2>&1
fuzzer=$?
set -e
tail -n 30 "$out/fuzz.txt"
echo "fuzz run: $(( $(date +%s) - started )) s"
$py .ci/fuzz_report.py "$out/fuzz.har" | tee "$out/report.txt"
exit "$fuzzer"
