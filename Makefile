# Every target builds .venv from pyproject.toml when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.sqlite3
# The tests run in this many worker processes (pytest-xdist; auto: one per CPU core);
# TEST_WORKERS=0 runs them in one.
TEST_WORKERS ?= auto

.PHONY: test lint demo run bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# ruff's rules and mypy's checks over the whole tree, as pyproject.toml configures them; mypy
# runs even when ruff found something, so one run shows both
lint: $(STAMP)
	status=0; $(BIN)/ruff check . || status=1; $(BIN)/mypy || status=1; exit $$status

# The bot on a fresh demo database, in the terminal console (no Slack workspace needed).
demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/cancelbot demo-data > /dev/null
	@echo 'Wrote the demo database $(DEMO_DB).'; echo
	@DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/cancelbot console --demo

run: $(STAMP)
	$(BIN)/cancelbot db upgrade
	$(BIN)/cancelbot run $(RUN_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/store.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/slack.py
	$(BIN)/python bench/import.py

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
