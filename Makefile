# Shortcuts for developers; the README's two commands need none of this.
PY := .venv/bin/python

.PHONY: install test lint catalogs bench
install:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'
test:
	$(PY) -m pytest
lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy
catalogs:
	$(PY) locales/update_catalogs.py

bench:
	$(PY) -m bench
