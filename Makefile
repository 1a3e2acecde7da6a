# Shortcuts for developers; the README's two commands need none of this.
PY := .venv/bin/python

.PHONY: install test lint catalogs bench screenshots
install:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'
test:
	$(PY) -m pytest
lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy
# Refresh the catalogs, then one XLSX per language for reviewers in locales/review/.
catalogs:
	$(PY) locales/update_catalogs.py
	$(PY) locales/review.py export

bench:
	$(PY) -m bench

# A screenshot of every back-office page (desktop and phone width) into docs/screenshots/.
screenshots:
	DESK_SCREENSHOTS=1 $(PY) -m pytest -q -p no:randomly tests/test_backoffice_browser.py \
		tests/test_backoffice_availability_browser.py
