# Every target builds .venv from pyproject.toml when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.sqlite3

.PHONY: test demo run bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

# Until the terminal console exists, the demo shows a lookup card and a list page.
demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/cancelbot demo-data
	@echo; echo '$$ cancelbot show QSPDEMO01'
	@DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/cancelbot show QSPDEMO01
	@echo; echo '$$ cancelbot show QSPDEMO04'
	@DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/cancelbot show QSPDEMO04
	@echo; echo '$$ cancelbot list api'
	@DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/cancelbot list api
	@echo; echo 'Try more with: DATABASE_URL=sqlite:///$(DEMO_DB) .venv/bin/cancelbot --help'

run: $(STAMP)
	$(BIN)/cancelbot db upgrade
	$(BIN)/cancelbot run

bench: $(STAMP)
	$(BIN)/python bench/store.py
	$(BIN)/python bench/jobs.py

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
