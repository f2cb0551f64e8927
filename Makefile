# murphy — plain Makefile.  `make` builds build/murphy (installing missing
# Debian packages first), `make test` runs the layering check, unit and
# cluster tests, `make demo` starts a local cluster with sample data and
# opens psql (without a terminal on stdin it prints how to connect and
# leaves the cluster up),
# `make check-fresh` runs the first two on a fresh Debian 12 root (tests/fresh).

CC      ?= cc
CFLAGS  ?= -O2 -g
# always on, whatever CFLAGS the command line gives (make asan passes its own)
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Isrc
ALL_CFLAGS = $(CFLAGS) $(BASE_CFLAGS)
PKGS    := libuv sqlite3 libxxhash libprotobuf-c libssl libcrypto gmp
# Recursive (=), not simple (:=): pkg-config must run when a link recipe is
# expanded, after build/.deps has installed pkg-config and the -dev packages.
# Evaluated at parse time, on a fresh machine it gave nothing and the first
# link failed with undefined sqlite3_* (issue 14; tests/fresh/run.sh).
LDLIBS   = -lpg_query $(shell pkg-config --libs $(PKGS)) -lm -lpthread
PYTHON  := /usr/bin/python3

DEB_PKGS := build-essential pkg-config libuv1-dev libsqlite3-dev libpg-query-dev \
            libprotobuf-c-dev libxxhash-dev libssl-dev libgmp-dev libcmocka-dev python3-pytest python3-psycopg2 \
            python3-psycopg python3-asyncpg postgresql postgresql-client sqlite3 clang libclang-rt-14-dev iproute2 \
            tzdata
# The client matrix's drivers and runtimes (tests/cluster/test_clients.py),
# installed without recommends: ~620 MB, most of it the JDK and Go.
CLIENT_PKGS := python3-sqlalchemy python3-pandas libpostgresql-jdbc-java default-jdk-headless \
               golang-go golang-github-jackc-pgx-v4-dev

# B: the build directory (build/, or build-asan/ for `make asan`)
B        ?= build
SRCS     := $(shell find src -name '*.c' | sort)
OBJS     := $(SRCS:src/%.c=$(B)/obj/%.o)
LIB_OBJS := $(filter-out $(B)/obj/node/main.o,$(OBJS))
# tests/unit/<folder>/ mirrors src/<folder>/; tests/lib/ holds shared fixtures
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' | sort)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
# tests/lib/*.c (fixtures with state: the leader-engine fixture) are compiled
# once and linked into every unit test, like src/
TLIB_SRCS := $(shell find tests/lib -name '*.c' | sort)
TLIB_OBJS := $(TLIB_SRCS:tests/lib/%.c=$(B)/obj/tests_lib/%.o)
# made only through the pattern rules below: keep them (not intermediate)
.SECONDARY: $(TLIB_OBJS)

.PHONY: all deps clients-deps test layering unit cluster demo clean fuzz asan asan-cluster bench bench-shuffle bench-pacelc bench-tpch \
        nemesis check-fresh
all: build/.deps $(B)/murphy

# $(call deb_install,PACKAGES[,APT OPTIONS]): install whichever of the
# Debian packages are missing (we run as root on Debian 12; sudo otherwise).
deb_install = missing=""; for p in $(1); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) $$missing; \
	fi

# The package lists live here: a changed Makefile checks them again (only
# what is missing is installed; the stamp orders, it forces no rebuild).
deps build/.deps: Makefile
	@$(call deb_install,$(DEB_PKGS))
	@$(call deb_install,$(CLIENT_PKGS),--no-install-recommends)
	@mkdir -p build && touch build/.deps

# node-postgres for the client matrix: npm's pg, pinned by
# tests/clients/package-lock.json, into tests/clients/node_modules where
# npm is (a nodejs from outside Debian, as NodeSource's, conflicts with
# Debian's node-* packages); else Debian's node-pg, which brings nodejs.
clients-deps: build/.deps
	@if [ -d tests/clients/node_modules/pg ]; then :; \
	elif command -v npm >/dev/null; then \
	  echo "npm ci (tests/clients: pg)"; cd tests/clients && npm ci --no-audit --no-fund --silent; \
	else $(call deb_install,node-pg); fi

# Every object and link waits for build/.deps (order-only: the stamp's time
# does not force a rebuild), so `make -j2` never compiles or links first.
$(B)/murphy: $(OBJS) | build/.deps
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/%.o: src/%.c | build/.deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/tests_lib/%.o: tests/lib/%.c | build/.deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -Itests/lib -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_OBJS) $(TLIB_OBJS) | build/.deps
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) -Itests/lib -o $@ $< $(TLIB_OBJS) $(LIB_OBJS) $(LDLIBS) -lcmocka

unit: all $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# the short nemesis run last: it takes ~40 s and -x must not hide the rest
# MURPHY_CLIENTS=required: a client runtime clients-deps should have
# installed fails test_clients.py instead of skipping it
cluster: all clients-deps
	MURPHY_BIN=$(CURDIR)/$(B)/murphy MURPHY_CLIENTS=required $(PYTHON) -m pytest -q -x tests/cluster \
	  --deselect tests/cluster/test_nemesis.py
	MURPHY_BIN=$(CURDIR)/$(B)/murphy $(PYTHON) -m pytest -q -x tests/cluster/test_nemesis.py

# The folder-level include graph of src/ against the rule written in
# docs/architecture.md (the ```layers block): no include the rule does not
# list, no cycle between folders, no folder over its share of the lines;
# then the check's own tests.  Milliseconds, so `make test` runs it first.
layering:
	$(PYTHON) tests/layering.py
	$(PYTHON) tests/layering_test.py

test: layering unit cluster

# Random faults (kill -9, pause, partition followers; kill -9 the leader, also
# right after cutting a primary off) under writers and readers for 10 minutes,
# then check nothing acknowledged was lost (tests/nemesis/run.py,
# docs/failures.md). ARGS passes through and wins: ARGS="--seed 7 --seconds 60
# --no-leader-kills"; a failing run prints the seed that reproduces it.
nemesis: all
	MURPHY_BIN=$(CURDIR)/$(B)/murphy $(PYTHON) tests/nemesis/run.py --seconds 600 $(ARGS)

# PostgreSQL's own regression files (tests/regress/sql) on murphy and on a
# PostgreSQL 15, statement by statement; prints per-file counts and every
# wrong answer (issue 19).  Not part of `make test`: it reports, it does not
# gate.  ARGS="union window" runs some files, ARGS="--out FILE.md" saves.
.PHONY: regress
regress: all
	$(PYTHON) tests/regress/split_test.py
	MURPHY_BIN=$(CURDIR)/$(B)/murphy $(PYTHON) tests/regress/run.py $(ARGS)

# DEMO_ARGS: extra `murphy demo` options, e.g. DEMO_ARGS="--pg-port 6433"
demo: all
	build/murphy demo $(DEMO_ARGS)

bench: all
	bench/run.sh

# COUNT(DISTINCT) by gather, repartition and approximate vs PostgreSQL and
# SQLite (docs/shuffle.md); ARGS="--rows 1000000 --users 100000" is quicker
bench-shuffle: all
	/usr/bin/python3 bench/bench_shuffle.py $(ARGS)

# read consistency and write quorum under a delayed replica and a partition
# (docs/consistency.md, "What each level costs"); ARGS=--quick is quicker
bench-pacelc: all
	/usr/bin/python3 bench/bench_pacelc.py $(ARGS)

# TPC-H-like Q1, Q3, Q6, Q13, Q18 vs PostgreSQL, answers compared;
# ARGS="--sf 0.02 --repeat 1" is quicker
bench-tpch: all
	/usr/bin/python3 bench/bench_tpch.py $(ARGS)

# libFuzzer target for the pgwire decoder: make fuzz && build/fuzz_pgwire -max_total_time=60
fuzz: build/.deps
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc \
	  -o build/fuzz_pgwire tests/fuzz/fuzz_pgwire.c $(filter src/pgwire/% src/common/%,$(SRCS)) $(LDLIBS)

# Everything under AddressSanitizer + UBSan in build-asan/: the unit tests,
# then the cluster tests against build-asan/murphy (`make asan-cluster`).
# MUR_DEBUG_CHECKS turns on the costly invariant checks (lock owner, whole
# log); plain assert()s are on in every build: nothing defines NDEBUG.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -DMUR_DEBUG_CHECKS
asan:
	$(MAKE) B=build-asan CFLAGS="$(ASAN_FLAGS)" unit

asan-cluster:
	$(MAKE) B=build-asan CFLAGS="$(ASAN_FLAGS)" cluster

# The README's `make demo` and `make test` in a fresh Debian 12 minbase root
# (debootstrap, as root; several minutes): see tests/fresh/README.md.
check-fresh:
	tests/fresh/run.sh $(ARGS)

# The C style as .clang-format writes it (tabs, 100 columns, Linux braces).
# `make format` rewrites src/ and tests/ in place; `make format-check` lists
# the files clang-format would change and fails if there are any (not part of
# `make test`).  Both install Debian's clang-format (14 on Debian 12) on first
# use: nothing else needs it.
FORMAT_SRCS = $(shell find src tests -name '*.[ch]' | sort)
.PHONY: format format-check
format:
	@$(call deb_install,clang-format)
	clang-format -i $(FORMAT_SRCS)

format-check:
	@$(call deb_install,clang-format)
	@bad=0; for f in $(FORMAT_SRCS); do \
	  clang-format "$$f" | cmp -s "$$f" - || { echo "not formatted: $$f"; bad=1; }; done; \
	if [ $$bad = 1 ]; then echo "make format rewrites them"; exit 1; fi

clean:
	rm -rf --one-file-system build build-asan

-include $(OBJS:.o=.d) $(TLIB_OBJS:.o=.d)
