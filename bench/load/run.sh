#!/usr/bin/env bash
# `make load`: the same bounded locust run (8 clients, 30 s, spawn rate 4, loopback)
# against `make serve` (gunicorn, deploy/gunicorn.conf.py) and then against runserver, on
# the demo data; bench/load/report.py writes both to docs/benchmarks.md. Fails on any error.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=.venv/bin/python
port=${PORT:-8000}
dev_port=${DEV_PORT:-$((port + 1))}
users=${LOAD_USERS:-8}
duration=${LOAD_SECONDS:-30}
tmp=$(mktemp -d)
server=""
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=""
}
cleanup() { status=$?; stop || true; [ "$status" -ne 0 ] && tail -n 40 "$tmp"/*.log; rm -rf "$tmp"; }
trap cleanup EXIT
# The load measures serving: the per-user and per-IP request quotas would answer 429.
export QUOTA_REQUESTS_PER_MINUTE=0 QUOTA_IP_REQUESTS_PER_MINUTE=0 LOG_LEVEL=WARNING

export LOAD_URLS="$tmp/urls.json"
$py manage.py shell -c "
import json, os
from demo.examples import example_urls
urls = dict(example_urls())
with open(os.environ['LOAD_URLS'], 'w') as f:
    json.dump({
        'raw': urls['SCL chips as GeoTIFFs'],
        'parcel': urls['The parcel at the point'],
        'composite': urls['False-colour chips in the browser'] + '&format=json',
    }, f)"

wait_up() {
  $py - "$1" "$tmp/urls.json" <<'PY'
import base64, json, sys, time, urllib.request
port, urls = sys.argv[1], json.load(open(sys.argv[2]))
auth = {"Authorization": "Basic " + base64.b64encode(b"demo:demo").decode()}
for _ in range(240):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=5)
        break
    except Exception:
        time.sleep(0.5)
# Warm up: the chips and composites are cut once, so the run measures cached answers.
for _ in range(60):
    body = json.load(urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}{urls['composite']}", headers=auth), timeout=120))
    if body["state"] != "running":
        break
    time.sleep(1)
for name in ("raw", "parcel"):
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}{urls[name]}", headers=auth), timeout=120).read()
PY
}

run_locust() {  # $1: label, $2: port
  .venv/bin/locust -f bench/load/locustfile.py --headless -u "$users" -r 4 -t "${duration}s" \
    --host "http://127.0.0.1:$2" --csv "$tmp/$1" --only-summary --loglevel WARNING \
    >"$tmp/$1-locust.log" 2>&1 || true
  cat /proc/loadavg >"$tmp/$1.loadavg"
}

$py manage.py collectstatic --noinput -v 0
PORT=$port .venv/bin/gunicorn -c deploy/gunicorn.conf.py >"$tmp/gunicorn.log" 2>&1 &
server=$!
wait_up "$port"
run_locust gunicorn "$port"
stop

$py manage.py runserver --noreload --insecure "127.0.0.1:$dev_port" >"$tmp/runserver.log" 2>&1 &
server=$!
wait_up "$dev_port"
run_locust runserver "$dev_port"
stop

$py bench/load/report.py "$tmp" --users "$users" --seconds "$duration" \
  --workers "${WEB_CONCURRENCY:-${GUNICORN_WORKERS:-$(($(nproc) + 1))}}"
