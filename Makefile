# Backprop by Hand: the two commands of the quick start are `make book` and `make test`.
# Every target sets itself up: a virtualenv in .venv with the pinned requirements.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONPATH := $(CURDIR)
# Jupyter's own files stay inside the project, not in the user's home.
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# nbval runs two notebooks at once on two cores: one BLAS thread each avoids oversubscription.
export OPENBLAS_NUM_THREADS := 1
# The browser tests drive Debian's Chromium (never a browser download).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

NOTEBOOKS_EXECUTED := chapters solutions
NBVAL_FLAGS := --nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
               --nbval-kernel-startup-timeout=120 -n 2 --dist loadscope -p no:cacheprovider

.PHONY: help venv browser book test serve labs clean-notebooks clean bench grade bench-grading

help:
	@echo "make book   build the site into _build/html"
	@echo "make test   run every test: unit tests, nbval on every notebook, the built site"
	@echo "make serve  preview the built site on http://127.0.0.1:8000"
	@echo "make labs   regenerate the student labs in labs/ from solutions/"
	@echo "make clean-notebooks  strip outputs and execution counts from committed notebooks"
	@echo "make bench  measure build and notebook times into benchmarks/results.json"
	@echo "make grade LAB=lab1_scalar SUBMISSIONS=folder OUT=folder [INSTRUCTOR=notebook]"
	@echo "            grade a folder of submitted notebooks (see chapters/instructor_guide.md)"

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(BIN)/.installed

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "Install Chromium and set CHROMIUM=/path/to/chromium"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM)

book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The site is in _build/html: open _build/html/index.html (or run 'make serve')."

# Unit tests and notebook checks first (fast feedback), then the site built from scratch of cache.
test: venv browser
	$(PY) -m pytest tests chapters solutions $(NBVAL_FLAGS) -m "not site" --ignore=tests/files
	$(MAKE) book
	$(PY) -m pytest tests -m site -p no:cacheprovider

serve: book
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

labs: venv
	$(PY) -m coursetools labs

clean-notebooks: venv
	$(PY) -m coursetools clean-notebooks chapters labs solutions

bench: venv
	$(PY) -m benchmarks.run

# Only the grading benchmark (make bench runs it too): grading vs bare execution of the same
# 100 notebooks, into benchmarks/results-grading.json
bench-grading: venv
	$(PY) -m benchmarks.grading

# Grade a folder of submissions: one *.ipynb per student. INSTRUCTOR (optional) is an
# instructor notebook kept outside the repository (private hidden tests); JOBS and TIMEOUT
# (seconds per cell) are optional too.
grade: venv
	@if [ -z "$(LAB)" ] || [ -z "$(SUBMISSIONS)" ] || [ -z "$(OUT)" ]; then \
	  echo "usage: make grade LAB=lab1_scalar SUBMISSIONS=folder OUT=folder [INSTRUCTOR=notebook] [JOBS=n] [TIMEOUT=s]"; \
	  exit 2; fi
	$(PY) -m coursetools grade --lab "$(LAB)" --submissions "$(SUBMISSIONS)" --out "$(OUT)" \
	  $(if $(INSTRUCTOR),--instructor "$(INSTRUCTOR)") $(if $(JOBS),--jobs $(JOBS)) \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT))

clean:
	rm -rf _build .pytest_cache
