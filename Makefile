# `make repro` runs the pipeline, `make test` runs the tests; both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
UI_PORT ?= 5000
DASHBOARD_PORT ?= 8080
SERVE_PORT ?= 8000
DOCS_PORT ?= 8001
# `make server`: the team's MLflow tracking server (docs/deploy.md); its PostgreSQL cluster,
# artifacts and log live in SERVER_DATA, which the postgres user must be able to reach.
SERVER_DATA ?= server-data
SERVER_PORT ?= 5000
SERVER_DB_PORT ?= 5433
# `make serve MODEL=models` serves the local models folder instead of the registered champion.
MODEL ?= models:/speech2face@champion
# `make dashboard STUDY_STORAGE=<url>` for another study storage than tune.storage's.
STUDY_STORAGE ?=

# `make test`: processes the suite runs on, and any further pytest arguments.
TEST_WORKERS ?= 2
PYTEST_WORKERS := -n $(TEST_WORKERS) --dist loadfile
PYTEST_ARGS ?=

# `make experiments`: `dvc exp show` of the changed params and headline metrics only.
EXP_SHOW_DROP := Created|conditions\..*|decoder\..*|judges\..*|.*/.*|.+_(low|high|chance)|.+_gap_.+|cosine|match_1in2|(test|val|heldout|baseline|chance|identities|epochs|stand_in).*

# Debian (main) packages, installed with apt when missing (as root, or through sudo): the
# corpus's speech engines (corpus/engines.py PACKAGES), for repro and test; and the Chromium the
# service's page is tested in (Playwright drives it; it never downloads a browser), for test.
ENGINE_PACKAGES := flite festival festvox-kdlpc16k festvox-us-slt-hts
BROWSER_PACKAGES := chromium
# The PostgreSQL of `make server` and of the integration tests' throwaway clusters.
SERVER_PACKAGES := postgresql

.PHONY: repro docs experiments engine-packages server-packages system-packages server tune bias test test-fast lint sheet serve screenshots ui ui-screenshot dashboard clean-venv

$(INSTALLED): pyproject.toml requirements.lock requirements-nodeps.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# pip byte-compiles the packages; the project's own modules too (every stage, test and
	@# worker process would compile them again where PYTHONDONTWRITEBYTECODE is set)
	$(BIN)/python -m compileall -q src
	touch $@

# $(call apt_install,PACKAGES): install those of PACKAGES that are missing; idempotent.
define apt_install
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" -eq 0 ]; then sudo=; \
		elif command -v sudo >/dev/null; then sudo=sudo; \
		else echo "missing Debian packages: $$missing; install them as root (apt-get install $$missing)"; exit 1; fi; \
		echo "installing $$missing"; \
		$$sudo apt-get update -q && $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

engine-packages:
	$(call apt_install,$(ENGINE_PACKAGES))

server-packages:
	$(call apt_install,$(SERVER_PACKAGES))

system-packages:
	$(call apt_install,$(ENGINE_PACKAGES) $(BROWSER_PACKAGES) $(SERVER_PACKAGES))

repro: $(INSTALLED) engine-packages
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

experiments: $(INSTALLED)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc exp show --no-pager --only-changed --drop '$(EXP_SHOW_DROP)'

tune: $(INSTALLED)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro tuning/dvc.yaml

# The bias studies (README: bias studies): each point a DVC experiment; resumes where it stopped.
bias: $(INSTALLED) engine-packages
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/speech2face study share
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/speech2face study mitigation
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/speech2face study accent

# The suite on TEST_WORKERS processes (pytest-xdist, a test file per process at a time), in a
# random order (pytest-randomly: the seed is printed; PYTEST_ARGS="-p randomly
# --randomly-seed=N" repeats an order, "-p no:randomly" keeps the files' own).
test: $(INSTALLED) system-packages
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: $(INSTALLED) system-packages
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest $(PYTEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

# The documentation site (mkdocs.yml): the figures blocks rendered from reports/, then served.
docs: $(INSTALLED)
	$(BIN)/speech2face docs
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(DOCS_PORT)

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks scripts docs/hooks
	$(BIN)/ruff format --check src tests benchmarks scripts docs/hooks

sheet: $(INSTALLED)
	$(BIN)/speech2face corpus_sheet

serve: $(INSTALLED)
	$(BIN)/speech2face serve --model '$(MODEL)' --host 127.0.0.1 --port $(SERVE_PORT)

screenshots: $(INSTALLED) system-packages
	$(BIN)/python scripts/avatar_screenshots.py

server: $(INSTALLED) server-packages
	$(BIN)/speech2face server --data '$(SERVER_DATA)' --port $(SERVER_PORT) --db-port $(SERVER_DB_PORT)

# The local store's UI, printing the link to the project's runs; with MLFLOW_TRACKING_URI a
# tracking server (make server), whose own page is the UI: the newest runs and that link.
ui: $(INSTALLED)
	$(BIN)/speech2face ui --port $(UI_PORT)

ui-screenshot: $(INSTALLED) system-packages
	$(BIN)/python scripts/mlflow_ui_screenshot.py --view compare
	$(BIN)/python scripts/mlflow_ui_screenshot.py --view runs

dashboard: $(INSTALLED)
	@# exit code 2: the command has said in one line what is missing (e.g. no study yet)
	@$(BIN)/speech2face dashboard --port $(DASHBOARD_PORT) $(if $(STUDY_STORAGE),--storage $(STUDY_STORAGE)) || [ $$? -eq 2 ]

clean-venv:
	rm -rf $(VENV)
