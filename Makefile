# The two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint chaos bench demo token venv broker database clean

venv:
	@infra/scripts/venv.sh

broker:
	@infra/scripts/ensure-rabbitmq.sh

database:
	@infra/scripts/ensure-postgres.sh

## run: every service in the foreground, SQLite stores under var/, the local RabbitMQ
run: venv broker
	$(PY) -m services.cli run-all

## test: the whole suite (unit, integration, e2e, a quick reliability subset)
test: venv broker database lint
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: names that do not exist, imports that are not used, syntax errors (ruff's F and E9)
lint: venv
	$(PY) -m ruff check --select F,E9 services tests bench

## chaos: the reliability suite in full (longer runs, more commands, more kills); each test
## may take up to 30 minutes there (tests/reliability/conftest.py), not pyproject's 120 s
chaos: venv broker database
	SC_CHAOS=full $(PY) -m pytest tests/reliability -s $(PYTEST_ARGS)

## demo: replay the 2017 programme on fresh services of its own (vhost, ports, stores), then
## print the bases, the budget, the notifications and queue health; ARGS=--json for scripts
demo: venv broker
	@$(PY) -m services.demo $(ARGS)

## bench: the benchmarks against their raw baselines (BENCH_ARGS=--quick for small sizes);
## writes bench/results/latest.json and the README's Benchmarks table
bench: venv broker database
	$(PY) -m bench $(BENCH_ARGS)

## token ROLE=drc NAME=...: print a bearer token for the local platform
token: venv
	@$(PY) -m services.cli token --role $(ROLE) $(if $(NAME),--name $(NAME)) $(ARGS)

clean:
	rm -rf var/test-store
