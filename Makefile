# The two things a new machine needs: `make run` (set up, then run the pipeline locally end to end)
# and `make test` (set up, then run the tests). Only Python 3.11 and Java 17 must be installed.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export GX_ANALYTICS_ENABLED := false

RAW ?=
LAKE ?= lake
RUN_ARGS := $(if $(RAW),--raw $(RAW)) --lake $(LAKE)

.PHONY: setup jars wheels glue-venv glue-requirements jvm run test test-quick lint format typecheck bench perf-page lock clean

# uv itself is pinned and lives in its own small venv; the project venv (.venv) is built from uv.lock.
$(UV):
	@echo "==> $(TOOLS)/: uv $(UV_VERSION), pinned, in a small venv of its own (seconds)"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml
	@echo "==> .venv/: the locked environment from uv.lock (PySpark, Great Expectations, Pulumi, ...; about a minute the first time)"
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

# The Iceberg runtime jar Glue 5.1 ships, from Maven Central, pinned by version and SHA-256 (jars.lock).
.jars/.fetched: jars.lock scripts/fetch-jars
	@echo "==> .jars/: the Iceberg runtime jar Glue 5.1 ships, from Maven Central (jars.lock; seconds to a minute)"
	scripts/fetch-jars
	touch $@

jars: .jars/.fetched

# The wheels `pulumi up` uploads for the validate job (Glue 5.1, x86_64, CPython 3.11), from the URLs and
# SHA-256 hashes uv.lock records (infra/wheels.py).
.wheels/.fetched: .venv/.synced uv.lock infra/wheels.py infra/fetch_wheels.py
	@echo "==> .wheels/: the validate job's wheels for Glue (about 52 MB, for pulumi up; seconds to a minute)"
	$(UV) run --frozen python -m infra.fetch_wheels
	touch $@

wheels: .wheels/.fetched

# A Python 3.11 venv holding exactly the Python modules AWS Glue 5.1 provides (glue-runtime/provided-5.1.txt,
# AWS's table) and awsglue, pinned by hash: `sparkify rehearse` runs the jobs in it, the validate job after
# installing its wheels as Glue does. PySpark comes from Spark's own folder, as on Glue.
.glue-venv/.built: $(UV) glue-runtime/requirements-5.1.txt
	rm -rf .glue-venv
	$(PYTHON) -m venv --without-pip .glue-venv
	$(UV) pip install --python .glue-venv/bin/python --no-deps --require-hashes --only-binary :all: \
		--compile-bytecode -r glue-runtime/requirements-5.1.txt
	touch $@

glue-venv: .glue-venv/.built

# After editing glue-runtime/provided-5.1.txt: pin every module's files by hash again.
glue-requirements: $(UV)
	{ sed -n '1,4p' glue-runtime/requirements-5.1.txt; \
	  { grep -v '^#' glue-runtime/provided-5.1.txt; echo awsgluedataplanepython==5.1.0; } | \
	  $(UV) pip compile --no-deps --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_34 \
		--no-header --no-annotate - ; } > glue-runtime/requirements-5.1.tmp
	mv glue-runtime/requirements-5.1.tmp glue-runtime/requirements-5.1.txt

# A class-data-sharing archive of the local Spark driver, from a short training run (sparkify/local/jvm_archive.py):
# local runs and tests start with Spark's and Iceberg's classes already loaded. Rebuilt only when the
# Java binary or the class path it was made for changes.
jvm: .venv/.synced .jars/.fetched
	$(UV) run --frozen python -m sparkify.local.jvm_archive_build --if-missing

setup: .venv/.synced .jars/.fetched .wheels/.fetched .glue-venv/.built jvm

run: setup
	$(UV) run --frozen sparkify run $(RUN_ARGS)

# The formatter and the linter first (ruff, one config in pyproject.toml): seconds, before minutes of tests.
test: setup lint
	$(UV) run --frozen mypy
	$(UV) run --frozen pytest -n 2 --dist loadfile

# The quick loop: every test that starts no JVM, on two processes (pytest-xdist).
test-quick: setup
	$(UV) run --frozen pytest -m "not slow and not spark" -n 2 -q

lint: setup
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen ruff check .

# Formats the tree and applies ruff's safe fixes.
format: setup
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

typecheck: setup
	$(UV) run --frozen mypy

# SIZES=S,M by default (L is run on demand: README, Performance). Results go to bench/results/.
SIZES ?= S,M
REPEAT ?= 3
bench: setup
	$(UV) run --frozen sparkify bench --sizes $(SIZES) --repeat $(REPEAT)

# docs/performance.md and its chart, from the results in bench/results/ (no benchmark is run).
perf-page: setup
	$(UV) run --frozen sparkify bench --history

lock: $(UV)
	$(UV) lock --python $(PYTHON)

clean:
	rm -rf lake sample_raw .pytest_cache .mypy_cache
