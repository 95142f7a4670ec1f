#!/usr/bin/env bash
# Smoke run of the demo path: embedded SpatiaLite, tasks in-process, in a throw-away
# folder; set up, serve on a free port, ask a few URLs as a CbM client would, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server=""
cleanup() {
  status=$?
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  if [ "$status" -ne 0 ] && [ -f "$tmp/server.log" ]; then
    echo "--- server log ---"; tail -n 60 "$tmp/server.log"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export CBMWEB_VAR_DIR="$tmp" CBMWEB_DEMO=1
unset DATABASE_URL CELERY_BROKER_URL
py=.venv/bin/python
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$py manage.py migrate --noinput -v 0
$py manage.py demo_setup --small --port "$port"
$py manage.py runserver --noreload "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server=$!
$py - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(120):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=5)
        break
    except Exception:
        time.sleep(0.5)
PY
$py manage.py demo_smoke "http://127.0.0.1:$port"
echo "demo smoke: ok"
