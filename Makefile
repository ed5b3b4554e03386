# Backprop by Hand: the two commands of the quick start are `make book` and `make test`.
# Every target sets itself up: a virtualenv in .venv with the locked requirements and the
# course's own package (`pip install -e .`), and the Debian packages it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Jupyter's own files stay inside the project, not in the user's home.
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# nbval runs two notebooks at once on two cores: one BLAS thread each avoids oversubscription.
export OPENBLAS_NUM_THREADS := 1
# The browser tests drive Debian's Chromium (never a browser download); grading runs every
# student's kernel in a bubblewrap sandbox.
CHROMIUM ?= /usr/bin/chromium
BWRAP ?= /usr/bin/bwrap
export CHROMIUM
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JOBS ?= 2

NBVAL_FLAGS := --nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
               --nbval-kernel-startup-timeout=120 -n $(JOBS) --dist loadscope -p no:cacheprovider \
               -p tests.book_cache
PIP_COMPILE := $(BIN)/pip-compile --quiet --extra book --extra grading --extra test \
               --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
               --no-emit-find-links -o requirements.txt pyproject.toml

.PHONY: help venv browser sandbox book test test-fast serve labs clean-notebooks clean bench \
        bench-grading bench-tests grade lock release sync frameworks-venv test-frameworks \
        framework-outputs audit

help:
	@echo "make book       build the site into _build/html"
	@echo "make test       every test: unit tests, nbval on every notebook, grading, the built site"
	@echo "make test-fast  the tests that need no kernel, no sandbox and no site (under a minute)"
	@echo "make test-frameworks  run the PyTorch and Keras cells (in .venv-frameworks; not in make test)"
	@echo "make framework-outputs  store those cells' outputs in the chapter, for the site"
	@echo "make serve      preview the built site on http://127.0.0.1:8000"
	@echo "make labs       regenerate the student labs in labs/ from solutions/"
	@echo "make audit [LAB=lab4_xor]  mutation audit of the labs' tests (all labs by default)"
	@echo "make clean-notebooks  strip outputs and execution counts from committed notebooks"
	@echo "make lock       upgrade requirements.txt (the lock) within pyproject.toml's ranges"
	@echo "make release DEST=folder [REPOSITORY=url]  the student-facing repository (no solutions)"
	@echo "make sync PRIVATE=notebooks [FLAGS=--write]  private instructor notebooks in step with the course"
	@echo "make bench      measure build, notebook and grading times into benchmarks/"
	@echo "make bench-tests [TARGETS=fast] [REPEATS=n]  wall clock of the test targets into benchmarks/"
	@echo "make grade LAB=lab1_scalar SUBMISSIONS=folder-or-zip OUT=folder [ROSTER=csv] ..."
	@echo "                grade a class (see chapters/instructor_guide.md)"

$(BIN)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(BIN)/.installed

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "Install Chromium and set CHROMIUM=/path/to/chromium"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

$(BWRAP):
	@command -v apt-get >/dev/null || { echo "Install bubblewrap (bwrap) to grade in a sandbox"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq bubblewrap >/dev/null

browser: $(CHROMIUM)

sandbox: $(BWRAP)

book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The site is in _build/html: open _build/html/index.html (or run 'make serve')."

# Every notebook is executed once: nbval executes the chapters and the instructor labs and
# hands the executed chapters to the book's execution cache (tests/conftest.py), so the build
# that follows executes nothing; then the checks of the built site.
test: venv browser sandbox
	$(PY) -m pytest tests chapters solutions $(NBVAL_FLAGS) -m "not site and not frameworks" --ignore=tests/files
	$(MAKE) book
	$(PY) -m pytest tests -m site -p no:cacheprovider

test-fast: venv
	$(PY) -m pytest tests -m "not kernel and not site and not slow and not frameworks" -n $(JOBS) -p no:cacheprovider

# The cells that need PyTorch or Keras (tagged skip-execution and nbval-skip; see
# coursetools/frameworks.py) run in an environment of their own, kept out of `make test`:
# PyTorch from PyPI brings several GB of CUDA libraries, so CI takes the CPU build
# (TORCH_INDEX=https://download.pytorch.org/whl/cpu); Keras runs on the JAX backend.
FW_VENV     := .venv-frameworks
FW_PY       := $(FW_VENV)/bin/python
TORCH_INDEX ?=
FRAMEWORKS  := keras==3.15.1 jax==0.10.2 jaxlib==0.10.2

$(FW_VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(FW_VENV)
	$(FW_PY) -m pip install --quiet --upgrade pip
	$(FW_PY) -m pip install --quiet --require-hashes -r requirements.txt
	$(FW_PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(FW_PY) -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==2.13.0
	$(FW_PY) -m pip install --quiet $(FRAMEWORKS)
	touch $@

frameworks-venv: $(FW_VENV)/.installed

test-frameworks: frameworks-venv
	KERAS_BACKEND=jax $(FW_PY) -m pytest tests/test_frameworks.py -p no:cacheprovider

framework-outputs: frameworks-venv
	KERAS_BACKEND=jax $(FW_PY) -c "from coursetools import frameworks; \
	  [frameworks.write_outputs(p) for p in frameworks.FRAMEWORK_NOTEBOOKS if p.startswith('chapters/')]"

serve: book
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

labs: venv
	$(BIN)/coursetools labs

# The mutation audit of every lab (or LAB=...): make test runs it too (tests/test_audit.py).
audit: venv
	@set -e; for lab in $(if $(LAB),$(LAB),$(basename $(notdir $(wildcard solutions/*.ipynb)))); do \
	  $(BIN)/coursetools audit $$lab $$([ -d tests/files/labs/$$lab ] && echo --fixtures tests/files/labs/$$lab); done

clean-notebooks: venv
	$(BIN)/coursetools clean-notebooks chapters labs solutions

lock: venv
	$(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) --upgrade

bench: venv sandbox
	$(PY) -m benchmarks.run

# Only the grading benchmark (make bench runs it too), into benchmarks/results-grading.json:
# labs 1, 2, 4 and 6, 8 submissions each, 3 repeats; LABS=..., COUNT=n, REPEATS=n to change.
bench-grading: venv sandbox
	$(PY) -m benchmarks.grading $(if $(LABS),--labs $(LABS)) $(if $(COUNT),--count $(COUNT)) \
	  $(if $(REPEATS),--repeats $(REPEATS))

# Wall clock of the test targets (make test-fast, and make test's pytest phase) and their
# slowest tests, into benchmarks/results-tests.json; TARGETS="fast" for test-fast only.
TARGETS ?= fast full
bench-tests: venv browser sandbox
	$(PY) -m benchmarks.tests --targets $(TARGETS) $(if $(REPEATS),--repeats $(REPEATS)) \
	  $(if $(LABEL),--label $(LABEL))

# Grade a class: SUBMISSIONS is a folder or an LMS zip. Optional: INSTRUCTOR (a private copy of
# the instructor notebook), ROSTER, DEADLINE, LATE_PENALTY, ASSIGNMENT (the lab's column in the
# LMS gradebook), POINTS_POSSIBLE, JOBS (default: the grader's, the number of cores; the
# JOBS ?= 2 above is the tests'), TIMEOUT (seconds per cell), SHARD (i/N), and FLAGS for any
# other option of `coursetools grade --help`.
grade: venv sandbox
	@if [ -z "$(LAB)" ] || [ -z "$(SUBMISSIONS)" ] || [ -z "$(OUT)" ]; then \
	  echo "usage: make grade LAB=lab1_scalar SUBMISSIONS=folder-or-zip OUT=folder [ROSTER=csv] [DEADLINE=...] [LATE_PENALTY=...] [ASSIGNMENT=column] [POINTS_POSSIBLE=n] [INSTRUCTOR=notebook] [JOBS=n] [TIMEOUT=s] [SHARD=i/N] [FLAGS=...]"; \
	  exit 2; fi
	$(BIN)/coursetools grade --lab "$(LAB)" --submissions "$(SUBMISSIONS)" --out "$(OUT)" \
	  $(if $(INSTRUCTOR),--instructor "$(INSTRUCTOR)") $(if $(ROSTER),--roster "$(ROSTER)") \
	  $(if $(DEADLINE),--deadline "$(DEADLINE)") $(if $(LATE_PENALTY),--late-penalty "$(LATE_PENALTY)") \
	  $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(POINTS_POSSIBLE),--points-possible $(POINTS_POSSIBLE)) \
	  $(if $(filter command line environment,$(origin JOBS)),--jobs $(JOBS)) \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(SHARD),--shard $(SHARD)) $(FLAGS)

# The public repository students read, from this private source (chapters/instructor_guide.md,
# "Private solutions behind a public site").
release: venv
	@if [ -z "$(DEST)" ]; then echo "usage: make release DEST=folder [REPOSITORY=url]"; exit 2; fi
	$(BIN)/coursetools release "$(DEST)" $(if $(REPOSITORY),--repository "$(REPOSITORY)")

# Private instructor notebooks (hidden tests kept outside the repository) in step with the course.
sync: venv
	@if [ -z "$(PRIVATE)" ]; then echo "usage: make sync PRIVATE=notebooks [FLAGS=--write]"; exit 2; fi
	$(BIN)/coursetools sync $(PRIVATE) $(FLAGS)

clean:
	rm -rf _build .pytest_cache
