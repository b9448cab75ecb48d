# Smartrix Grid: every command a user or CI needs. `make run` and `make test` set themselves up.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# SAM builds for python3.12: prefer a real 3.12 (pyenv's shim alone fails SAM's check), else 3.11.
PYTHON ?= $(shell for p in python3.12 $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12 python3.11 python3; do \
  "$$p" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
HOUSES ?=
TICK_SECONDS ?= 1
DAYS ?= 7

.PHONY: help setup run test lint typecheck cfn-lint pytest unit openapi openapi-check sam-validate sam-build scenario-backbone scenarios test-slow bench-jump bench-schedule bench chaos ci clean

help:
	@echo "make run        start Smartrix Grid locally on moto (API :3000, AWS endpoint :4566)"
	@echo "                HOUSES=30 simulated houses (0: none), TICK_SECONDS=1 real seconds a tick"
	@echo "                PARAMS=\"ClockStart=2027-06-21T04:00:00Z PeakThresholdW=8000\": template parameters"
	@echo "make test       ruff, mypy, cfn-lint, openapi check and pytest"
	@echo "make openapi    regenerate the merged OpenAPI document"
	@echo "make sam-validate / sam-build   SAM checks (no Docker)"
	@echo "make scenarios  the seed's scenarios (and 19's) on a fresh local grid, or ENDPOINT=url STAFF_TOKEN=…; PARAMS= as for run"
	@echo "make chaos      the chaos test on a bigger fleet: CHAOS_HOUSES=30 CHAOS_TICK_MINUTES=30 CHAOS_HOURS=24, CHAOS_SEED=n replays"
	@echo "make bench-jump the long jump: HOUSES=30 simulated houses, DAYS=7 days fast-forwarded, timed and checked"
	@echo "make bench      story 16 at scale: HOUSES=1000 houses, TICKS=10 ticks, PRODUCERS=2 utilities, OUT=file.json"
	@echo "                FRAME_DELAY=2: fewer closing ticks after the measured ones (FrameDelayTicks, default 5)"
	@echo "make bench-schedule  the scheduler's peaks against the LP bound, 100/1,000/10,000 loads (OUT=file.json)"

$(BIN)/.installed: requirements.txt requirements-dev.txt layers/smartgrid/requirements.txt functions/*/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

run: setup
	TICK_SECONDS=$(TICK_SECONDS) $(BIN)/python -m localcloud run $(if $(HOUSES),--houses $(HOUSES)) \
	  $(if $(PARAMS),--parameter-overrides $(PARAMS))

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

cfn-lint: setup
	$(BIN)/cfn-lint template.yaml

openapi: setup
	$(BIN)/python -m localcloud openapi --write

openapi-check: setup
	$(BIN)/python -m localcloud openapi --check

pytest: setup  # a test module per worker, on every core (moto's state is per process)
	$(BIN)/python -m pytest -n auto --dist loadfile

unit: setup
	$(BIN)/python -m pytest tests/unit

test-slow: setup  # story 16 at 1,000 houses; minutes on moto, so not in `make test`
	$(BIN)/python -m pytest -m slow --timeout=1800 -s

test: lint typecheck cfn-lint openapi-check pytest

sam-validate: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam validate --lint

sam-build: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build

scenario-backbone: setup
	$(BIN)/python -m scenarios.backbone

scenarios: setup  # a fresh local grid (or ENDPOINT=url STAFF_TOKEN=token: a running one), every scenario played
	$(BIN)/python -m scenarios $(if $(ENDPOINT),--endpoint $(ENDPOINT)) $(if $(STAFF_TOKEN),--staff-token $(STAFF_TOKEN)) \
	  $(if $(PARAMS),--parameter-overrides $(PARAMS))

chaos: setup  # a day with and without faults compared, bigger than in `make test`; prints the seed and counts
	CHAOS_HOUSES=$(or $(CHAOS_HOUSES),30) CHAOS_TICK_MINUTES=$(or $(CHAOS_TICK_MINUTES),30) \
	  CHAOS_HOURS=$(or $(CHAOS_HOURS),24) CHAOS_SEED=$(CHAOS_SEED) \
	  $(BIN)/python -m pytest -s --timeout=3600 tests/integration/test_chaos.py

bench-jump: setup  # a fast-forward of DAYS days with HOUSES houses: wall time, per function, AWS calls, exactness
	$(BIN)/python -m benchmarks.long_jump --houses $(or $(HOUSES),30) --days $(DAYS)

bench: setup  # the fleet created, T ticks as fast as the platform takes them: readings/s, latency, counts, exactness
	$(BIN)/python -m benchmarks.load --houses $(or $(HOUSES),1000) --ticks $(or $(TICKS),10) \
	  $(if $(PRODUCERS),--producers $(PRODUCERS)) $(if $(FRAME_DELAY),--frame-delay $(FRAME_DELAY)) \
	  $(if $(OUT),--out $(OUT))

bench-schedule: setup  # our peak, the LP bound, the gap, naive and night-split peaks, solve time
	$(BIN)/python -m benchmarks.schedule $(if $(OUT),--out $(OUT))

ci: test scenarios sam-validate sam-build

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .run
