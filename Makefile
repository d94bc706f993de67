# The project's commands. `make run` and `make test` work on a machine with only Python 3.11.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SOURCES := app.py cli.py extensions.py blueprints consents jobs templates
export FLASK_APP := app

.PHONY: run test install install-dev translations extract update-translations bench clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

## Build the .mo catalogues (they are not committed).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations >/dev/null

## Extract strings into translations/messages.pot and merge them into the fr and en catalogues.
extract: $(VENV)/.installed
	$(BIN)/pybabel extract --no-location --sort-output --omit-header -F translations/babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o translations/messages.pot $(SOURCES)

update-translations: extract
	$(BIN)/pybabel update -N --ignore-pot-creation-date -i translations/messages.pot -d translations
	$(BIN)/python translations/fill_source.py

## Set up and run the whole application on its embedded default (SQLite, in-process Redis, a worker).
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	$(BIN)/flask embedded

## Set up and run the whole test suite.
test: install-dev
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/manager_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
