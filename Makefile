# Set-up and test entry points. `make up` and `make test` work on a fresh
# machine with Python 3.11+: each creates .venv and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NIMBUS_PORT ?= 8080
NIMBUS_DATA ?= nimbus-data
PYTEST_ARGS ?=

.PHONY: up test lint unit docs clean deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## up: install, sync the databases, bootstrap and run the all-in-one cloud
up: $(VENV)/.installed
	$(BIN)/nimbus up --port $(NIMBUS_PORT) --data-dir $(NIMBUS_DATA)

## deps: install the Debian packages the tests need (qemu-img), only when missing
deps:
	command -v qemu-img >/dev/null || (export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq qemu-utils)

## test: install with test extras, lint, and run the whole suite
test: deps lint
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadgroup $(PYTEST_ARGS)

## lint: ruff and mypy (strict on nimbus/common)
lint: $(VENV)/.test-installed
	$(BIN)/ruff check nimbus tests bench
	$(BIN)/mypy nimbus

## unit: the tests that need no service
unit: deps $(VENV)/.test-installed
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit $(PYTEST_ARGS)

## docs: regenerate the configuration and policy references
docs: $(VENV)/.installed
	$(BIN)/nimbus config reference --output docs/configuration.md
	$(BIN)/nimbus config sample --output docs/nimbus.conf.sample
	$(BIN)/nimbus policy reference --output docs/policy.md
	$(BIN)/nimbus policy sample --output docs/policy.yaml.sample

clean:
	rm -rf $(VENV) .pytest_cache
