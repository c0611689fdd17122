# The two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-browser lint chaos bench demo token venv broker database frontend browser tools clean

venv:
	@infra/scripts/venv.sh

broker:
	@infra/scripts/ensure-rabbitmq.sh

database:
	@infra/scripts/ensure-postgres.sh

frontend:
	@infra/scripts/frontend.sh

browser:
	@infra/scripts/ensure-browser.sh

tools:
	@infra/scripts/ensure-tools.sh

## run: every service and the console in the foreground, SQLite stores under var/, the
## local RabbitMQ
run: venv broker frontend
	$(PY) -m services.cli run-all

## test: the whole suite (unit, integration, e2e, a quick reliability subset), then the
## console's browser tests as a pytest call of their own (no eventlet monkey-patching);
## tools: promtool (metrics, alerting rules, scrape config), curl and jq (the README's tour)
test: venv broker database lint frontend browser tools
	$(PY) -m pytest --ignore=tests/browser $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-browser

## test-browser: the console in Debian's chromium (Playwright), screenshots in var/screenshots/
test-browser: venv broker frontend browser
	$(PY) -m pytest tests/browser --confcutdir=tests/browser -p no:nameko -o addopts="-p no:cacheprovider" $(BROWSER_ARGS)

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
## writes bench/results/latest.json and the table of docs/benchmarks.md
bench: venv broker database
	$(PY) -m bench $(BENCH_ARGS)

## token ROLE=drc NAME=...: print a bearer token for the local platform; a scoped role needs
## its scope in ARGS (refused without it), e.g. ROLE=county_government ARGS="--region
## 太原市/小店区"; ROLE=applicant or a department ARGS="--org 山西大学"; ROLE=evaluator
## ARGS="--evaluator-id ID" (all listed by .venv/bin/sc token --help)
token: venv
	@$(PY) -m services.cli token --role $(ROLE) $(if $(NAME),--name $(NAME)) $(ARGS)

clean:
	rm -rf var/test-store
