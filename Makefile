# Sổ trực chốt — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test serve loadtest translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Compiled catalogues are build output, not source: made from the .po files each time.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d checkpoint/translations

# Pull new strings from the code into the catalogues (then translate them in vi/…/messages.po).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o checkpoint/translations/messages.pot .
	$(BIN)/pybabel update -i checkpoint/translations/messages.pot -d checkpoint/translations --no-fuzzy-matching -w 100

run: $(VENV)/.installed translations
	@bash tools/system-packages.sh
	@mkdir -p instance
	$(FLASK) init-db
	@if [ ! -f instance/.demo-loaded ]; then $(FLASK) demo && touch instance/.demo-loaded; \
	  else $(FLASK) demo --logins; fi
	$(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev-installed translations
	@bash tests/prepare.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Production-style: migrate, then gunicorn (gunicorn.conf.py) against whatever DATABASE_URL says.
serve: $(VENV)/.installed translations
	@bash tools/system-packages.sh
	@mkdir -p instance
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

# Open-loop load test against its own gunicorn and its own database (bench/README.md);
# e.g. make loadtest LOADTEST_ARGS="--duration 20 --rate-multiplier 0.1".
loadtest: $(VENV)/.dev-installed translations
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) instance/.demo-loaded
