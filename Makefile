# The two commands of the README's Quick start, and a few more for instructors.
#   make demo   installs the kit and runs the whole course in quick mode: executed notebooks
#               and HTML pages with their figures land in build/
#   make test   installs the kit and runs the unit tests and every notebook (quick mode)
# Set FULL=1 for the students' full-length runs: `make demo FULL=1`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU-only TensorFlow here and in CI; requirements.txt is the GPU-capable set for students
REQUIREMENTS ?= requirements-cpu.txt
QUICK := $(if $(FULL),0,1)
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: install demo test benchmarks clean

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml requirements.txt requirements-cpu.txt requirements-common.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS) -e .
	touch $@

demo: install
	mkdir -p build/notebooks build/html
	GENAI_KIT_QUICK=$(QUICK) $(BIN)/jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.timeout=1800 --output-dir build/notebooks $(NOTEBOOKS)
	$(BIN)/jupyter nbconvert --to html --output-dir build/html build/notebooks/*.ipynb
	@echo "executed notebooks: build/notebooks/   pages with figures: build/html/"

test: install
	GENAI_KIT_QUICK=1 $(BIN)/python -m pytest tests $(NOTEBOOKS) --nbmake --nbmake-timeout=900 -p no:cacheprovider

benchmarks: install
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf build runs
