# bulletin-rag: two commands for a fresh clone
#   make run    set up, prepare the model, build or refresh the index of corpus/, start the app
#   make test   set up, prepare the model, run the whole test suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-fast setup model index browser converters libreoffice eval bench bench-full train train-cross-encoder train-judge train-selector screenshots clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# torch first, pinned: this release is a CPU build; any other request pulls a multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

model: setup
	$(PY) -m rag prepare-model

# exit code 1: some files were skipped (listed) and the rest indexed, which does not stop the app
index: model
	$(PY) -m rag ingest corpus/ --rebuild-on-mismatch || [ $$? -eq 1 ]

run: index
	$(PY) app.py

# the benchmarks (eval/bench/run.py; reports in eval/reports/NAME/TIER/, each with its baseline measured in
# the same run): the quick tier (about 10 minutes on 2 cores, only what the repository holds), or the full
# tier (the figures of eval/README.md: needs CRUD, and SAMPLE_INDEX for ann and scale; OCR needs a Chinese
# font, which `make browser` installs). BENCH="NAME ..." runs only those.
bench: model
	nice -n 10 $(PY) eval/bench/run.py --tier quick $(BENCH)

bench-full: model browser
	nice -n 10 $(PY) eval/bench/run.py --tier full --crud $(CRUD) $(if $(SAMPLE_INDEX),--sample-index $(SAMPLE_INDEX)) $(BENCH)

# Debian's chromium for the browser test (Playwright's own download does not work offline),
# and a Chinese font so its screenshots (docs/) are readable
BROWSER_PKGS := chromium fonts-wqy-microhei
browser:
	@{ command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PKGS) >/dev/null; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PKGS) >/dev/null; \
	  else echo "the browser test needs Debian's chromium and a Chinese font: apt-get install $(BROWSER_PKGS)"; exit 1; fi; }

# Word 97-2003 (.doc) and WPS (.wps) files: antiword (Debian, 0.6 MB) converts them; LibreOffice
# (`make libreoffice`, about 200 MB) reads more of them, with their headings. Without either, such a
# file is refused by name, saying what to install. The OCR tests draw their pages in a Chinese font.
CONVERTER_PKGS := antiword fonts-wqy-microhei
converters:
	@{ command -v antiword >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CONVERTER_PKGS) >/dev/null; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CONVERTER_PKGS) >/dev/null; \
	  else echo "reading .doc/.wps needs antiword: apt-get install $(CONVERTER_PKGS)"; exit 1; fi; }

LIBREOFFICE_PKGS := libreoffice-writer-nogui
libreoffice:
	@command -v soffice >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(LIBREOFFICE_PKGS) >/dev/null; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(LIBREOFFICE_PKGS) >/dev/null; \
	  else echo "LibreOffice: apt-get install $(LIBREOFFICE_PKGS)"; exit 1; fi; }

test: model browser converters
	$(PY) -m pytest -q

test-fast: setup converters
	$(PY) -m pytest -q -m "not slow"

# refresh the README's screenshots in docs/ (the browser test takes them)
screenshots: model browser
	RAG_SCREENSHOTS=docs $(PY) -m pytest -q tests/ui/test_browser.py

# the tables of eval/README.md (needs the crud-news benchmark folder; CRUD=path to change it)
CRUD ?= ../shared/benchmarks/crud-news
eval: model
	bash eval/run_all.sh eval/reports $(CRUD)

# the learned models, from the shared training data (DRCD; DRCD=path to change it) and the bulletin dev set,
# deterministic (the same files every run). `make train`: the answer selector (rag/answering/selector.json,
# about 25 minutes on 2 cores); the cross-encoder and the judge take hours and have targets of their own
DRCD ?= ../shared/benchmarks/drcd
train-selector: model
	$(PY) -m rag train selector --drcd $(DRCD)

# the cross-encoder reranker (rag/search/models/cross-encoder.safetensors and its card), from DRCD, at the
# lowest priority (hours on 2 cores: eval/README.md); stopped, it resumes from its checkpoint with RESUME=--resume
train-cross-encoder: model
	nice -n 19 $(PY) -m rag train cross-encoder --drcd $(DRCD) --layers 4 --seed 0 $(RESUME)

# the answer judge (rag/answering/models/judge.safetensors and its card), from DRCD; resumable as above
train-judge: model
	nice -n 19 $(PY) -m rag train judge --drcd $(DRCD) --seed 0 $(RESUME)

train: train-selector

clean:
	rm -rf index/ .pytest_cache
