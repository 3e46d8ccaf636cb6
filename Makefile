# The two commands of the README's Quick start, and a few more for instructors.
#   make demo   installs the kit and runs the whole course in quick mode: executed notebooks
#               and HTML pages with their figures land in build/
#   make test   installs the kit and runs the unit tests and every notebook (quick mode)
#   make test-without-avx512  the unit tests with the kernels of a CPU without AVX-512
#   make test-min-versions  the unit tests on the lowest versions the kit claims
#   make assignments  the graded assignments' student copies, autograders, solutions and
#               rubrics, from the master notebooks in assignments/ -> build/assignments/
# Set FULL=1 for the students' full-length runs: `make demo FULL=1`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU-only TensorFlow here and in CI; requirements.txt is the GPU-capable set for students
REQUIREMENTS ?= requirements-cpu.txt
QUICK := $(if $(FULL),0,1)
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

EXECUTED := build/notebooks
# test files run side by side, one pytest worker per CPU up to 4 (TensorFlow leaves most of a
# second core idle in these small models; more workers would need more memory than a laptop has)
TEST_JOBS ?= $(shell $(PYTHON) -c "import os; print(min(4, os.cpu_count() or 1))")
PARALLEL := -n $(TEST_JOBS) --dist loadfile
# the longest test files first (the grading fixtures, the trainers' runs, the slowest notebooks,
# as measured), then the rest: workers that start with the long ones do not end with one
# (the notebooks by their copies in $(EXECUTED), which the recipe makes)
SLOW_FIRST := $(patsubst notebooks/%,$(EXECUTED)/%,$(wildcard tests/test_grading.py \
	tests/test_trainers.py tests/test_pretrained.py notebooks/06_*.ipynb \
	tests/test_run_interruptions.py tests/test_train_cli.py notebooks/09_*.ipynb \
	notebooks/07_*.ipynb))
# the lowest versions the kit claims (requirements*.txt, pyproject.toml), in their own venv
MIN_VENV ?= .venv-min
# nbconvert's stream coalescing keeps what a progress bar last drew on each line
COALESCE := --CoalesceStreamsPreprocessor.enabled=True

.PHONY: install demo test test-without-avx512 test-min-versions assignments benchmarks clean

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml requirements.txt requirements-cpu.txt requirements-common.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS) -e .
	touch $@

demo: install
	mkdir -p $(EXECUTED) build/html
	GENAI_KIT_QUICK=$(QUICK) $(BIN)/jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.timeout=1800 --output-dir $(EXECUTED) $(NOTEBOOKS)
	$(BIN)/jupyter nbconvert --to notebook --inplace $(COALESCE) $(EXECUTED)/*.ipynb
	$(BIN)/jupyter nbconvert --to html --output-dir build/html $(EXECUTED)/*.ipynb
	@echo "executed notebooks: $(EXECUTED)/   pages with figures: build/html/"
	$(BIN)/python scripts/check_notebooks.py $(EXECUTED)/*.ipynb

# otter assign on every master notebook: student/ to release, autograder/ to grade with
# (python -m genai_kit grade SUBMISSIONS_DIR --out grades.csv), solutions/ and rubrics/
assignments: install
	$(BIN)/python -m genai_kit.grading.assignments --out build/assignments

# the unit tests, then every notebook executed by nbmake on a copy in build/notebooks (so
# that its outputs are kept), then the check that no executed notebook looks broken
test: install
	rm -rf $(EXECUTED) && mkdir -p $(EXECUTED) && cp $(NOTEBOOKS) $(EXECUTED)/
	GENAI_KIT_QUICK=1 $(BIN)/python -m pytest $(SLOW_FIRST) tests/test_*.py $(EXECUTED)/*.ipynb \
		--nbmake $(PARALLEL) --nbmake-timeout=900 --overwrite -p no:cacheprovider
	$(BIN)/jupyter nbconvert --to notebook --inplace $(COALESCE) --log-level=WARN $(EXECUTED)/*.ipynb
	$(BIN)/python scripts/check_notebooks.py $(EXECUTED)/*.ipynb

# the unit tests as a CPU without AVX-512 runs them (a laptop, Colab, most CI runners): oneDNN
# capped at AVX2 picks that CPU's kernels, and the kit's "auto" precision stays float32
test-without-avx512: install
	ONEDNN_MAX_CPU_ISA=AVX2 GENAI_KIT_QUICK=1 $(BIN)/python -m pytest tests $(PARALLEL) -p no:cacheprovider

# the unit tests on the lowest versions of everything the kit claims to support: uv resolves
# the lowest version of each direct requirement (its dependencies at their newest)
test-min-versions:
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip uv
	$(MIN_VENV)/bin/python -m uv pip install --quiet --python $(MIN_VENV)/bin/python \
		--resolution lowest-direct -r $(REQUIREMENTS) -e .
	$(MIN_VENV)/bin/python -m pip list --format=freeze | grep -iE \
		'^(tensorflow[-_]cpu|tensorflow|keras|numpy|scipy|matplotlib|pillow|tqdm|keras[-_]tuner|tensorflow[-_]datasets|tensorboard|protobuf|pytest)=='
	GENAI_KIT_QUICK=1 $(MIN_VENV)/bin/python -m pytest tests $(PARALLEL) -p no:cacheprovider

benchmarks: install
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf build runs $(MIN_VENV)
