# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench data clean serve web-assets

WEB_VENDOR := src/corridor/web/static/vendor
MAPLIBRE   := $(VENV)/npm/node_modules/maplibre-gl
NOTO       := $(VENV)/npm/node_modules/@fontsource/noto-sans

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(MAKE) --no-print-directory web-assets
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || \
	  echo "warning: Pango not found: corridor report writes HTML only until it is installed (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
	touch $(STAMP)

## web-assets: MapLibre GL JS and the map labels' font (Noto Sans) from npm (versions pinned in package-lock.json) into the app's static/vendor
web-assets:
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p $(VENV)/npm $(WEB_VENDOR) && cp package.json package-lock.json $(VENV)/npm/ && \
	  (cd $(VENV)/npm && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) && \
	  cp $(MAPLIBRE)/dist/maplibre-gl.mjs $(MAPLIBRE)/dist/maplibre-gl-worker.mjs \
	     $(MAPLIBRE)/dist/maplibre-gl-shared.mjs $(MAPLIBRE)/dist/maplibre-gl.css \
	     $(MAPLIBRE)/LICENSE.txt $(WEB_VENDOR)/ && \
	  mkdir -p $(WEB_VENDOR)/fonts && cp $(NOTO)/unicode.json $(NOTO)/files/noto-sans-latin-400-normal.woff2 \
	     $(NOTO)/files/noto-sans-latin-ext-400-normal.woff2 $(NOTO)/files/noto-sans-latin-600-normal.woff2 \
	     $(NOTO)/files/noto-sans-latin-ext-600-normal.woff2 $(WEB_VENDOR)/fonts/ && cp $(NOTO)/LICENSE $(WEB_VENDOR)/fonts/OFL.txt && \
	  echo "MapLibre GL JS $$(node -p "require('./$(MAPLIBRE)/package.json').version") installed in $(WEB_VENDOR)"; \
	else \
	  echo "warning: npm not found: the web page cannot draw its map until MapLibre GL JS is installed (make web-assets)"; \
	fi

## serve: the web app on http://127.0.0.1:8000 (corridor serve)
serve: $(STAMP)
	$(BIN)/corridor serve

## demo: compare every corridor from Xi'an to Duisburg (out/demo_map.png), then assign the demand in the world of 2025 (out/flows)
demo: $(STAMP)
	$(BIN)/corridor compare Xian Duisburg --map out/demo_map.png --force
	$(BIN)/corridor route Almaty Istanbul --avoid RUS,BLR,IRN --no-legs --k 3
	$(BIN)/corridor assign --out out/flows --force

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
	$(BIN)/python benchmarks/web.py
	$(BIN)/python benchmarks/criticality.py

## data: rebuild src/corridor/data from scripts/curated and ../shared/data (needs searoute)
data: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[build]'
	$(BIN)/python scripts/build_data.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache $(WEB_VENDOR)/*.mjs $(WEB_VENDOR)/*.css $(WEB_VENDOR)/LICENSE.txt $(WEB_VENDOR)/fonts
