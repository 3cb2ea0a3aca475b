# Two commands for a fresh machine:  make run  (the app on the sample county)  and  make test.
PYTHON_BIN ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
PORT       ?= 8501
SUDO       := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export PYTHONPATH := $(CURDIR)
# Two malloc arenas instead of glibc's up to 8 per core: a server whose sessions each run in a thread
# otherwise keeps ~250 MB more after a meeting's crowd (data_access.memory does what it can from
# inside the process; set it in a systemd unit too).
export MALLOC_ARENA_MAX ?= 2

.PHONY: run demo serve test install install-dev system-deps seed bench clean

$(PY):
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when a requirements file changes.
$(VENV)/.installed-run: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# Debian packages the tests need: Chromium for the browser tests (Playwright drives the system
# browser; it never downloads one), CJK fonts so screenshots and PDFs show Chinese, poppler for
# rendering PDF pages, LibreOffice Impress to render the PowerPoint briefing.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@# LibreOffice renders the PowerPoint briefing to PDF so its pages can be looked at, and Calc
	@# writes a real old-format .xls for the upload tests; without recommends ~60 MB.
	@dpkg -s libreoffice-impress libreoffice-calc >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	  libreoffice-impress libreoffice-calc; }

# The sample county and its demo accounts go only into the local sample database (var/, when
# DATABASE_URL is not set) while it is new; a database with accounts is never seeded.
seed: install
	$(PY) -m sample_data.generate --local-sample

# Explicitly: the sample county and demo accounts into DATABASE_URL, if it is empty of data and accounts.
demo: install
	$(PY) -m sample_data.generate --if-empty
	$(MAKE) --no-print-directory serve

run: seed
	@$(MAKE) --no-print-directory serve

serve: install
	@echo "心理服务督导平台: http://localhost:$(PORT)"
	$(PY) -m streamlit run serve.py --server.port $(PORT) --server.address 0.0.0.0

test: install-dev system-deps
	$(PY) -m pytest

bench: install-dev
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var/*.sqlite* tests/_artifacts
