# Two commands on a fresh machine: `make run` and `make test` (see README).
VENV   := .venv
PY     := $(VENV)/bin/python
QA     := $(VENV)/bin/qa
INDEX  ?= data/index
HOST   ?= 127.0.0.1
PORT   ?= 7860
# chunks of the scale benchmark's synthetic index (`make bench`; a few minutes the first time, then cached)
BENCH_CHUNKS ?= 20000

export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TIKTOKEN_CACHE_DIR := $(CURDIR)/.cache/tiktoken

.PHONY: install index run test bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Incremental: only new or changed documents are embedded, an unchanged corpus costs well under a
# second, and an index in an older format is rebuilt instead of stopping `make run`.
index: install
	$(QA) index build --index $(INDEX)

run: index
	$(QA) serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest -q -p no:cacheprovider

bench: index
	$(PY) -m eval.bench_latency --index $(INDEX)
	$(PY) -m eval.bench_scale --chunks $(BENCH_CHUNKS)

clean:
	rm -rf $(VENV) .cache data/index reports
