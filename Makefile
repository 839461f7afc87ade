# edustat — every target documents itself: `make` or `make help` lists them.
# `make run` and `make test` share one debug build, so a fresh machine pays one cold build.

CARGO    ?= cargo
PIPELINE ?= pipelines/guangxi-2018-2020.toml
OUT      ?= out
TARGET   ?= $(or $(CARGO_TARGET_DIR),target)
# The binary is built together with the tests (`--tests`): dev-dependencies change feature
# unification, so a plain `cargo build` would compile polars a second time.
BUILD     = $(CARGO) build --quiet --locked --tests
EDUSTAT   = $(TARGET)/debug/edustat

.DEFAULT_GOAL := help
.PHONY: help run test lint sample national bench fuzz targets baseline readers browser report export clean

# cargo-fuzz, installed into the clone (never by hand): `make fuzz` builds it on first use.
CARGO_FUZZ_VERSION = 0.13.2
CARGO_FUZZ         = .tools/bin/cargo-fuzz

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: ## Build (debug) and run the Guangxi pipeline on the bundled samples; prints the targets and the run folder
	$(BUILD)
	$(EDUSTAT) run $(PIPELINE) --out $(OUT) --log-level warn

test: readers browser ## Run every test (unit and the one integration binary); installs the readers and the browser first
	$(CARGO) test --locked

# The Python readers the outputs are opened with (tests/it/readers.rs), one venv per list in
# tests/readers/, rebuilt when its list changes. PyPI is reached here only, never by a test.
PYTHON  ?= python3
READERS  = .venv/current/.installed .venv/oldest/.installed
readers: $(READERS) ## Install the Python readers (pandas, pyarrow, polars, DuckDB) the tests open the outputs with

.venv/%/.installed: tests/readers/%.txt
	rm -rf .venv/$*
	$(PYTHON) -m venv .venv/$*
	.venv/$*/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

# Debian's Chromium with a CJK font, and Playwright for Python to drive it, for the report test
# (tests/it/report.rs). apt-get runs only when Chromium or a Chinese font is missing (as root,
# or through sudo); Playwright's own browser download is never used.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser: .venv/browser/.installed .venv/browser/.chromium ## Install headless Chromium (Debian's) and the Playwright driver the report test opens report.html with

.venv/browser/.installed: tests/browser/requirements.txt
	rm -rf .venv/browser
	$(PYTHON) -m venv .venv/browser
	.venv/browser/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

.venv/browser/.chromium: .venv/browser/.installed
	if ! command -v chromium >/dev/null || ! fc-list :lang=zh family | grep -q .; then \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei; \
	fi
	chromium --version
	touch $@

lint: ## Formatting (rustfmt.toml) and clippy with every warning an error; CI runs it
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked --quiet -- -D warnings

report: ## Write the latest published run's report to $(OUT)/report.html (charts of every target; opens offline)
	$(BUILD)
	$(EDUSTAT) report --out $(OUT) -o $(OUT)/report.html

export: ## Write the latest published run's workbook to $(OUT)/edustat.xlsx (for Excel users)
	$(BUILD)
	$(EDUSTAT) export --out $(OUT) --xlsx $(OUT)/edustat.xlsx

targets: ## Print the targets of the latest published run
	$(BUILD)
	$(EDUSTAT) targets --out $(OUT)

sample: ## Regenerate data-samples/guangxi (deterministic: same seed, same bytes)
	$(BUILD)
	$(EDUSTAT) sample --preset guangxi --scale 0.05 --seed 2018 -o data-samples/guangxi

NATIONAL_SCALE ?= 0.01
national: ## Write the national sample (31 provinces, 2011-2020; NATIONAL_SCALE, default 0.01, about 180 MB) into data-samples/national and run the national pipeline on it (release build)
	$(CARGO) build --release --locked
	rm -rf data-samples/national
	$(TARGET)/release/edustat sample --preset national --scale $(NATIONAL_SCALE) --seed 2016 -o data-samples/national > /dev/null
	$(TARGET)/release/edustat run pipelines/national-2016-2020.toml --out $(OUT) --log-level warn

baseline: ## Refresh tests/baselines/guangxi-2018-2020 from a fresh run of the bundled samples (review the diff before committing)
	$(BUILD)
	rm -rf $(TARGET)/baseline-run
	$(EDUSTAT) run $(PIPELINE) --out $(TARGET)/baseline-run --progress never --log-level warn > /dev/null
	$(EDUSTAT) baseline --out $(TARGET)/baseline-run -o tests/baselines/guangxi-2018-2020

bench: .venv/bench/.installed ## Release build; edustat against a DuckDB script of the same slice and the parse floor, alternating rounds, and memory growth over scales
	$(CARGO) build --release --locked
	EDUSTAT_BIN=$(TARGET)/release/edustat .venv/bench/bin/python scripts/bench/bench.py $(BENCH_ARGS)

.venv/bench/.installed: scripts/bench/requirements.txt
	rm -rf .venv/bench
	$(PYTHON) -m venv .venv/bench
	.venv/bench/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

fuzz: $(CARGO_FUZZ) ## Fuzz the CSV and XLSX input paths (3 targets), FUZZ_SECONDS each (default 600); findings in fuzz/artifacts
	./scripts/fuzz.sh

$(CARGO_FUZZ):
	$(CARGO) install --locked --root .tools cargo-fuzz --version $(CARGO_FUZZ_VERSION)

clean: ## Remove build outputs and published runs
	$(CARGO) clean
	rm -rf $(OUT)
