# Two commands matter: `make demo` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup test lint demo demo-stop bench mutate kubo chromium tor git azurite messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mirrorpub needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# kubo (IPFS) v0.43.1, built from the Go module proxy into .cache/ (minutes, once per machine).
kubo:
	scripts/build-kubo.sh >/dev/null

# Debian's Chromium, for the browser tests (Playwright drives it; no browser download), and
# a Chinese font, without which its screenshots of pages in Chinese show empty boxes.
chromium:
	@{ command -v chromium >/dev/null && fc-list :lang=zh family | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium fonts-wqy-microhei >/dev/null; }

# The theme's words: mirrorpub/locale/messages.pot from the templates and the code, and
# every catalog brought in line with it (tests/site/test_catalogs.py fails until it is run).
messages: $(STAMP)
	$(PY) scripts/messages.py

# Debian's tor, for the onion tests (run offline: DisableNetwork 1). The package also
# installs a system tor service; stop it (`systemctl disable --now tor`) if you do not
# want one: the tests start their own.
tor:
	@command -v tor >/dev/null || test -x /usr/sbin/tor || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends tor >/dev/null; }

# Debian's git with git-http-backend, for the git mirror's tests (a smart-HTTP remote).
git:
	@test -x "$$(git --exec-path 2>/dev/null)/git-http-backend" || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    git >/dev/null; }

# Azurite (Microsoft's Azure Storage emulator, from npm) for the azure tests, in .cache/.
AZURITE_VERSION := 3.37.0
AZURITE := .cache/azurite-$(AZURITE_VERSION)
azurite:
	@test -x $(AZURITE)/node_modules/.bin/azurite-blob || { \
	  command -v npm >/dev/null || { echo "azurite needs node and npm" >&2; exit 1; }; \
	  npm install --prefix $(AZURITE) --no-audit --no-fund --loglevel=error \
	    azurite@$(AZURITE_VERSION) >/dev/null; }

lint: $(STAMP)
	$(VENV)/bin/ruff check mirrorpub tests benchmarks

# Bytecode once: the tests start mirrorpub hundreds of times, and with PYTHONDONTWRITEBYTECODE
# set (as on some CI machines) each start would compile the package again.
test: $(STAMP) kubo chromium tor git azurite lint
	$(PY) -m compileall -q mirrorpub
	$(PY) -m pytest -q

demo: $(STAMP) kubo
	deploy/demo/demo.sh

demo-stop:
	deploy/demo/services.sh stop

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run.py

# Mutation testing of the pure core ([tool.mutmut] in pyproject.toml) against the fast
# tests; a tool run like `make bench`, not part of `make test`. Slow: narrow it with
# MUTATE='mirrorpub.content.slugs*'; JOBS=1 on a shared machine. Results stay in mutants/
# (a rerun only checks what changed); the scores come from benchmarks/mutation_scores.py.
MUTATE ?=
JOBS ?= 2
mutate: $(STAMP)
	$(PY) -m pip install --quiet -e '.[mutate]'
	$(VENV)/bin/mutmut run --max-children $(JOBS) $(foreach m,$(MUTATE),'$(m)')
	$(PY) benchmarks/mutation_scores.py --survivors --min 85

clean:
	rm -rf public mutants .mirrorpub demo test-output .pytest_cache .ruff_cache
