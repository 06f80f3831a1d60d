# kamopt: `make demo` plans the sample company, `make test` runs every test.
# The virtual environment is created on first use; nothing else is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CASE   ?= data/sample
SCENARIO ?= data/scenarios/base.yml
OUT    ?= results/sample
ASSUMPTIONS ?= data/scenarios/midterm_base.yml

# Keep Jupyter, IPython and matplotlib state inside the project, not in $HOME.
export JUPYTER_CONFIG_DIR  := $(CURDIR)/build/jupyter/config
export JUPYTER_DATA_DIR    := $(CURDIR)/build/jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/build/jupyter/runtime
export IPYTHONDIR          := $(CURDIR)/build/ipython
export MPLCONFIGDIR        := $(CURDIR)/build/mpl
export MPLBACKEND          := Agg
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test test-fast lab app report report-midterm board bench lint clean venv browser

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kamopt plan $(CASE) --scenario $(SCENARIO) --out $(OUT)

test: $(STAMP) browser
	$(BIN)/ruff check kamopt tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadscope --nbval-lax --nbval-current-env --durations=15 tests kamopt notebooks

# the tests without those marked slow (and without the notebooks): a quick check while working
test-fast: $(STAMP)
	$(BIN)/ruff check kamopt tests benchmarks
	$(BIN)/python -m pytest -q -m "not slow" tests kamopt

# make app CASE=... SCENARIO=...: the app on that case (folder, workbook or database URL) and
# scenario (YAML); without them, the sample company at the default assumptions
APP_ENV = $(if $(filter command line environment%,$(origin CASE)),KAMOPT_CASE='$(CASE)') \
	$(if $(filter command line environment%,$(origin SCENARIO)),KAMOPT_SCENARIO='$(SCENARIO)')
app: $(STAMP)
	$(APP_ENV) $(BIN)/voila notebooks/app.ipynb --no-browser --port 8866 --Voila.ip=127.0.0.1 --MappingKernelManager.cull_idle_timeout=600 --MappingKernelManager.cull_interval=60

report: $(STAMP)
	$(BIN)/kamopt report $(CASE) --scenario $(SCENARIO) --out $(OUT)/report.html

report-midterm: $(STAMP)
	$(BIN)/kamopt report $(CASE) --scenario $(SCENARIO) --assumptions $(ASSUMPTIONS) \
		--out $(OUT)/midterm.html

# the German board pack of the sample company: report (HTML and PDF), deck and workbook
BOARD ?= data/scenarios/board_de.yml
board: $(STAMP) browser
	$(BIN)/kamopt report $(CASE) --scenario $(BOARD) --pdf --out results/board/bericht.html
	$(BIN)/kamopt deck $(CASE) --scenario $(BOARD) --out results/board/praesentation.pptx
	$(BIN)/kamopt plan $(CASE) --scenario $(BOARD) --excel --out results/board/plan

lab: $(STAMP)
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name kamopt --display-name "Python (kamopt)"
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1

# Debian's Chromium for the browser test of the app (never a downloaded browser).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium' for the browser test"; fi; }

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check kamopt tests benchmarks

clean:
	rm -rf build results .pytest_cache
