# Houvast: `make run` sets everything up and serves the app; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000

.PHONY: install run dev wapiti test lint bench migrations-check clean messages mutate-commits

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

# No Werkzeug debugger here: `make run` is what a library may use to run Houvast for real on
# one machine, and the debugger's /console and tracebacks with source must never be reachable.
run: install
	$(FLASK) db upgrade
	PORT=$(PORT) $(FLASK) seed-demo --if-empty
	PORT=$(PORT) HOUVAST_SCHEDULER_IN_WEB=1 $(FLASK) run --no-reload --host 127.0.0.1 --port $(PORT)

# Development only: the interactive debugger and reloading on code changes.
dev: install
	$(FLASK) db upgrade
	PORT=$(PORT) $(FLASK) seed-demo --if-empty
	PORT=$(PORT) HOUVAST_SCHEDULER_IN_WEB=1 FLASK_DEBUG=1 $(FLASK) run --reload --host 127.0.0.1 --port $(PORT)

# A manual security scan of the signed-in app with wapiti (Debian package; not in CI: slow).
wapiti: install
	tools/wapiti.sh

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Removes each commit of a POST view in turn and names the test that notices (slow: minutes).
mutate-commits: install
	$(BIN)/python -m tests.mutate_commits $(MUTATE)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m tests.bench $(BENCH)

migrations-check: install
	$(FLASK) db upgrade
	$(FLASK) db check

clean:
	rm -rf $(VENV) .pytest_cache

# Collects every UI text (the msgids are the Dutch texts) for a translation catalogue.
messages: install
	mkdir -p app/translations
	$(BIN)/pybabel extract -F app/babel.cfg -k _l -o app/translations/messages.pot .
