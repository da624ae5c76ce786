# Jamtail: the two commands a fresh machine needs are `make demo` and `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
CMS_PORT  ?= 8000
SITE_PORT ?= 8080
RUNNER_PORT ?= 8090
# Test processes (pytest-xdist, whole files per worker). One by default: Django's
# transactional tests flush the in-memory test database, and only a single
# process keeps them after the ordinary ones; TEST_WORKERS=2 is faster for a
# subset of files that do not mix the two.
TEST_WORKERS ?= 0
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
# The front end the demo builds and serves: jinja (site/) or next (next/, needs Node.js and npm).
FRONTEND ?= jinja

.PHONY: demo test install system-deps lint typecheck test-postgres bench clean next-install

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# Byte-compiled once here: where PYTHONDONTWRITEBYTECODE is set (many CI and
# container images), Python would otherwise compile every jamtail module from
# source in each build process the runner starts (about 60 ms a build).
install: $(BIN)/.installed
	@$(BIN)/python -m compileall -q jamtail cms functions >/dev/null

## demo: migrate, import the demo content, start the CMS, worker and build runner, deploy and serve
## (make demo FRONTEND=next: the same with the Next.js front end)
demo: install $(if $(filter next,$(FRONTEND)),next-install)
	JAMTAIL_FRONTEND=$(FRONTEND) $(BIN)/python scripts/demo.py --cms-port $(CMS_PORT) --site-port $(SITE_PORT) --runner-port $(RUNNER_PORT)

## system-deps: Debian's Chromium (browser tests), hugo and Ruby's kramdown (the renderers the
## importer's heading ids are checked against) and the Nu HTML checker (needs Java)
SYSTEM_PACKAGES = chromium hugo ruby-kramdown ruby-kramdown-parser-gfm
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	@test -f node_modules/vnu-jar/build/dist/vnu.jar || { \
	  command -v npm >/dev/null 2>&1 && npm install --no-save --silent vnu-jar >/dev/null 2>&1 || echo "npm unavailable: HTML validation tests will skip"; }

## next-install: the Next front end's npm packages, from its lockfile only (npm ci)
next-install:
	@if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then \
	  if [ ! -f next/node_modules/.package-lock.json ] || [ next/package-lock.json -nt next/node_modules/.package-lock.json ]; then \
	    echo "npm ci in next/ (the Next front end)"; cd next && npm ci --no-audit --no-fund --silent; \
	  fi; \
	else echo "node/npm not found: the Next front end's tests (tests/test_next_*.py) will skip"; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## test: everything: lint, types, the whole suite on SQLite (and PostgreSQL when it runs)
# Two lanes. The SQLite suite is one pytest process that spends much of its time
# waiting on servers, builds and Chromium, so a second lane beside it costs it
# little: the PostgreSQL stage, then SIDE_TESTS (on SQLite), files that share no
# session fixture with the rest and take minutes (corpus imports, the pipeline's
# end-to-end faults). CI's wall time is the longer lane's. The side lane's output is
# printed after the main lane's, so the two never interleave.
SIDE_TESTS := tests/test_corpus.py tests/test_corpus_hugo.py tests/test_corpus_wordpress.py tests/test_pipeline_e2e.py
test: install system-deps lint typecheck next-install
	@side_log=$$(mktemp); side_rcs=$$(mktemp); \
	{ $(MAKE) --no-print-directory test-postgres; echo "pg_rc=$$?" > "$$side_rcs"; \
	  echo "---- $(SIDE_TESTS) on SQLite ----"; \
	  $(BIN)/python -m pytest --browser chromium -q $(SIDE_TESTS); echo "side_rc=$$?" >> "$$side_rcs"; \
	} > "$$side_log" 2>&1 & lane=$$!; \
	$(BIN)/python -m pytest --browser chromium $(XDIST) --durations=25 $(addprefix --ignore=,$(SIDE_TESTS)); sqlite_rc=$$?; \
	wait $$lane; pg_rc=1; side_rc=1; . "$$side_rcs"; \
	echo "---- side lane: the PostgreSQL stage, then $(SIDE_TESTS) ----"; cat "$$side_log"; rm -f "$$side_log" "$$side_rcs"; \
	echo "SQLite stage: exit $$sqlite_rc; PostgreSQL stage: exit $$pg_rc; side files: exit $$side_rc"; \
	[ $$sqlite_rc -eq 0 ] && [ $$pg_rc -eq 0 ] && [ $$side_rc -eq 0 ]

test-postgres:
	@if [ -n "$$DATABASE_URL" ] || $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
	  echo "PostgreSQL found: running the tests that touch the database on it (the slow end-to-end ones run on SQLite only)"; \
	  DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest -m "database and not corpus and not browser and not slow" -q $(XDIST); \
	else echo "PostgreSQL not running at 127.0.0.1:5432 and DATABASE_URL unset: PostgreSQL run skipped"; fi

bench: install
	$(BIN)/python bench/rust_blog.py

bench-search: install
	$(BIN)/python bench/search.py

clean:
	rm -rf build deploy .jamtail-cache .jamtail-runner media db.sqlite3* .pytest_cache
