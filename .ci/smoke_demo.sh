#!/usr/bin/env bash
# Smoke run of the demo path: embedded SpatiaLite, tasks in-process, in a throw-away
# folder; set up, serve on a free port, ask a few URLs, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
export CBMWEB_VAR_DIR="$tmp" CBMWEB_DEMO=1
unset DATABASE_URL CELERY_BROKER_URL
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py demo_setup --small
.venv/bin/python manage.py runserver --noreload "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.5; done
.venv/bin/python manage.py demo_smoke "http://127.0.0.1:$port"
echo "demo smoke: ok"
