# mailzone — the two commands of the README's quick start are `make plan` and `make test`.
# Both work on a fresh machine: they create .venv and install what they need.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STACK  ?= dev

# Debian's nsd serves the zone files of the integration tests on a loopback port.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: plan test lint typecheck check-tools nsd bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The core only: enough for the CLI and `make plan`.
$(VENV)/.core: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

# Everything the tests need: the core, Pulumi SDK + providers (mock engine), the policy SDK, dev tools.
$(VENV)/.dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,pulumi,policy]'
	touch $@ $(VENV)/.core

nsd:
	@command -v nsd >/dev/null 2>&1 || [ -x /usr/sbin/nsd ] || { \
	  echo "installing Debian's nsd for the integration tests"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nsd >/dev/null; }

# The main job, offline: the dev stack against the bundled zone snapshot.
# `mailzone plan` exits 2 when there are changes; the plan ran, so that is success here.
plan: $(VENV)/.core
	$(VENV)/bin/mailzone plan --stack $(STACK) --zones examples/zones; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 2 ]

test: $(VENV)/.dev nsd
	$(VENV)/bin/ruff check mailzone components policies tests bench examples __main__.py
	$(VENV)/bin/mypy mailzone components __main__.py
	$(VENV)/bin/mypy -p policies
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(PY) -m pytest -q

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy mailzone components __main__.py
	$(VENV)/bin/mypy -p policies

bench: $(VENV)/.dev nsd
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
