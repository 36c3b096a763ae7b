# The two commands of the README: `make demo` and `make test`.
# Both set everything up on a fresh machine (a .venv with the package and what it needs).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# nbgrader runs `alembic` as a subprocess: the venv's bin must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv sandbox browser postgresql test test-fast bench demo clean

help:
	@echo "make demo   set up .venv, release the notebooks, grade the sample class"
	@echo "make test   set up .venv, then run every test (unit, doctests, end-to-end)"
	@echo "make bench  run the speed benchmarks (writes benchmarks/README.md tables)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[course,test,postgres,cluster]'
	touch $(STAMP)

venv: $(STAMP)

# bubblewrap sandboxes student code while grading. Installed with apt where we can (root on
# Debian/Ubuntu); elsewhere grading runs unsandboxed and says so, and the sandbox tests skip.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } \
	  || echo "note: bubblewrap is not installed; grading will run unsandboxed" >&2

# chromium (headless, offline) checks that feedback pages typeset their maths and show their
# pictures with no network. Installed with apt like bubblewrap; without it those tests skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  || echo "note: chromium is not installed; the feedback browser tests will skip" >&2

# PostgreSQL's server, for the test of a PostgreSQL gradebook (tests/test_course_postgres.py starts
# its own server on 127.0.0.1 and stops it). Installed with apt where we can; elsewhere that test skips.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
	  || echo "note: PostgreSQL is not installed; the PostgreSQL gradebook test will skip" >&2

# Unit tests and doctests run on both cores; slow end-to-end tests (nbgrader) are marked `slow`.
test: $(STAMP) sandbox browser postgresql
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python benchmarks/bench_conv.py

# Release the notebooks, then grade the bundled sample class: prints the grade table and
# where the feedback and the summary picture are (demo-output/).
demo: $(STAMP) sandbox
	$(BIN)/python -m convcourse.cli release
	$(BIN)/python -m convcourse.cli demo --output demo-output --jobs 2

clean:
	rm -rf $(VENV) output demo-output release-bundle
