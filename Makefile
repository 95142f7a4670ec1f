# cbmweb: `make demo` serves the site on demo data; `make test` runs the whole suite.
# Both install what is missing first (Debian packages, .venv, requirements).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian's python3 can load SQLite extensions (SpatiaLite); pyenv's build cannot.
SYSTEM_PYTHON ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEB_PACKAGES := python3 python3-venv python3-dev gdal-bin libgdal-dev libgeos-dev libproj-dev \
	binutils libsqlite3-mod-spatialite postgresql-15-postgis-3
# The browser test drives Debian's Chromium headless; the background tests a real MapServer WMS.
TEST_DEB_PACKAGES := chromium chromium-driver cgi-mapserver
# Tests run on PostGIS; the suite creates test_<name> with the postgis extension itself.
TEST_DATABASE_URL ?= postgis://postgres@127.0.0.1:5432/cbmweb
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: help setup system-packages venv demo demo-data test lint smoke fuzz worker beat bench serve load clean

help:
	@echo "make demo    set up, build the demo archive and parcels, serve http://127.0.0.1:$(PORT)"
	@echo "make test    set up, then the whole suite on PostGIS and a demo smoke run on SpatiaLite"
	@echo "make fuzz    schemathesis against a live demo server from /api/schema/ (all checks)"
	@echo "make worker  start a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make serve   gunicorn (deploy/gunicorn.conf.py) on 127.0.0.1:$(PORT), static files collected"
	@echo "make load    8 clients for 30 s against make serve and runserver; docs/benchmarks.md"

setup: system-packages venv

system-packages:
	@missing=""; for p in $(DEB_PACKAGES) $(EXTRA_DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# The demo is the demo wherever its database lives (a built-in SECRET_KEY is fine here).
demo demo-data: export CBMWEB_DEMO = 1

demo-data: setup
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup --markers --port $(PORT)

# With a broker configured, a local worker cuts the chips beside the site.
demo: demo-data
	@echo "serving on http://127.0.0.1:$(PORT)/ (user demo, password demo)"
	@if [ -n "$${CELERY_BROKER_URL:-}" ]; then \
		$(VENV)/bin/celery -A cbmweb worker --loglevel=WARNING --concurrency=2 & \
		worker=$$!; trap 'kill $$worker' EXIT; \
	fi; \
	$(PY) manage.py serve_embedded --noreload --insecure 127.0.0.1:$(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	CBMWEB_DEMO=1 $(VENV)/bin/mypy  # settings load without SECRET_KEY even if DATABASE_URL is set
	$(VENV)/bin/lint-imports

test: lint
	$(MAKE) system-packages EXTRA_DEB_PACKAGES="$(TEST_DEB_PACKAGES)"
	DATABASE_URL=$(TEST_DATABASE_URL) CBMWEB_DEMO=1 $(PY) manage.py ensure_database
	DATABASE_URL=$(TEST_DATABASE_URL) CBMWEB_DEMO=1 $(PY) manage.py check
	DATABASE_URL=$(TEST_DATABASE_URL) CBMWEB_DEMO=1 $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) CBMWEB_DEMO=1 TEST_BROKER_URL=$(TEST_BROKER_URL) \
		$(VENV)/bin/pytest -p no:cacheprovider
	$(MAKE) smoke
	$(MAKE) fuzz FUZZ_PHASES=fuzzing FUZZ_EXAMPLES=25  # bounded: ~500 cases, under a minute

# Like smoke, a live server on a throw-away SpatiaLite demo: schemathesis from the published
# schema, all checks, as demo/demo; zero 5xx and every /query/ error {"error", "param"}.
fuzz: setup
	FUZZ_PHASES="$(FUZZ_PHASES)" FUZZ_EXAMPLES="$(FUZZ_EXAMPLES)" bash .ci/fuzz.sh

# The demo path on an embedded SpatiaLite file, in a throw-away folder: set up, serve, ask.
smoke: setup
	bash .ci/smoke_demo.sh

worker: setup
	$(VENV)/bin/celery -A cbmweb worker --loglevel=INFO --concurrency=$${CONCURRENCY:-2}

beat: setup
	$(VENV)/bin/celery -A cbmweb beat --loglevel=INFO

# Production serving: gunicorn with the repo's config (WEB_CONCURRENCY workers), static
# files collected into STATIC_ROOT for WhiteNoise (and nginx: deploy/nginx.conf).
serve: setup
	$(PY) manage.py collectstatic --noinput -v 0
	PORT=$(PORT) exec $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py

# Load run on loopback: the demo data, then `make serve` and runserver in turn under the
# same locust run (bench/load/); the figures go to docs/benchmarks.md.
load: export CBMWEB_DEMO = 1
load: demo-data
	bash bench/load/run.sh

bench: setup
	$(PY) bench/chips.py

clean:
	rm -rf var
