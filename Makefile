# `make run` and `make test` set everything up on a fresh Debian/Ubuntu machine, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint system-deps bench package clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

system-deps:
	@sh packaging/debian-deps.sh

run: system-deps $(STAMP)
	$(BIN)/yespo-console

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-deps $(STAMP) lint
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(BIN)/pytest

bench: $(STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(BIN)/python benchmarks/run_all.py

# The long reliability runs (tests/reliability: 20 kills of each process, 10,000+ fuzz inputs); their short
# versions are part of `make test`.
.PHONY: soak
soak: $(STAMP)
	YESPO_SOAK=1 QT_QPA_PLATFORM=offscreen $(BIN)/pytest -m soak tests/reliability

# The one-folder app dist/yespo-console/ (PyInstaller, packaging/yespo-console.spec), checked by running the
# bundle itself: an offscreen screenshot of the window, a command, the version; then its size and a tarball.
package: system-deps $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[package]'
	sh packaging/build.sh
	rm -f /tmp/bundle.png
	home=$$(mktemp -d) && QT_QPA_PLATFORM=offscreen YESPO_CONSOLE_HOME=$$home \
		dist/yespo-console/yespo-console gui --screenshot /tmp/bundle.png --event cartUpdated && rm -rf "$$home"
	test -s /tmp/bundle.png
	dist/yespo-console/yespo-console inspect --help >/dev/null
	dist/yespo-console/yespo-console example cartUpdated | dist/yespo-console/yespo-console inspect >/dev/null
	dist/yespo-console/yespo-console --version
	@du -sh dist/yespo-console
	@archive=dist/yespo-console-$$(dist/yespo-console/yespo-console --version | cut -d' ' -f2)-linux-$$(uname -m).tar.gz \
		&& tar -C dist -czf "$$archive" yespo-console && du -sh "$$archive"

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
