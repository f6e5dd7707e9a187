# Two commands for a newcomer: `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
UV_VERSION := 0.13.9
UV     := $(VENV)/bin/uv
# One BLAS/OpenMP thread unless set: the models' matrices are small and extra threads only
# contend (see mcbi.book.execute.KERNEL_ENV); the tests' fits run in pytest's process.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install book pdf test test-slow lint lock data validate publish benchmark clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@echo "==> environment $(VENV): the pinned packages of requirements.txt, installed by uv $(UV_VERSION)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --python $(PY) --compile-bytecode -r requirements.txt
	$(UV) pip install --python $(PY) --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)
	@echo "==> environment ready"

book: install
	$(PY) -m mcbi build

# The book as an APA 7 article (_build/pdf/mcbi-book.pdf), typeset offline with Typst;
# STYLE=manuscript for the double-spaced submission layout.
STYLE ?= journal
pdf: book
	$(PY) -m mcbi pdf --style $(STYLE)

test: install
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

test-slow: install
	$(PY) -m pytest -m slow

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/lint-imports

lock: install
	$(PY) -m pip freeze --exclude-editable | grep -v -e '^mcbi' -e '^uv==' > requirements.txt

data: install
	$(PY) -m mcbi simulate --out data/trial --force

validate: install
	$(PY) -m mcbi validate data/trial

publish: book
	$(PY) -m mcbi publish

benchmark: install
	$(PY) benchmarks/bench_build.py
	$(PY) benchmarks/bench_msem.py
	$(PY) benchmarks/bench_pdf.py
	$(PY) benchmarks/bench_verify.py

clean:
	rm -rf _build book/sections book/_generated
