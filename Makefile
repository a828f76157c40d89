# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: compare every corridor from Xi'an to Duisburg and draw them (out/demo_map.png)
demo: $(STAMP)
	$(BIN)/corridor compare Xian Duisburg --map out/demo_map.png --force
	$(BIN)/corridor route Almaty Istanbul --avoid RUS,BLR,IRN --no-legs --k 3

## test: the whole suite (CI runs exactly this)
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

## bench: performance tables, each against its peer in the same run
bench: $(STAMP)
	$(BIN)/python benchmarks/routing.py
	$(BIN)/python benchmarks/assignment.py
	$(BIN)/python benchmarks/caspian.py
	$(BIN)/python benchmarks/reliability.py

## data: rebuild src/corridor/data from scripts/curated and ../shared/data (needs searoute)
data: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[build]'
	$(BIN)/python scripts/build_data.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
