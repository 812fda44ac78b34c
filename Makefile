# FibTastic Bench — the front door. `make` builds (Release), `make test` runs every test,
# `make bench` runs the benchmark scenarios, `make demo` narrates the lesson live.
# Missing Debian packages are installed first (scripts/install-deps).

BUILD_TYPE ?= Release
BUILD_DIR  ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
SANITIZE   ?=
comma := ,

# CCACHE=1: compile through ccache, an optional speed-up for repeated builds (.ci/run sets it when
# ccache is installed; docs/ci.md's time budget is for a cold cache, as on a fresh machine).
LAUNCHER := $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CMAKE_ARGS += $(LAUNCHER)

ifneq ($(SANITIZE),)
  BUILD_DIR := build-$(subst $(comma),-,$(SANITIZE))
  BUILD_TYPE := RelWithDebInfo
  CMAKE_ARGS += -DFIBTASTIC_SANITIZE=$(SANITIZE)
endif
# TSan cannot map its shadow memory on kernels with high ASLR entropy ("FATAL: ThreadSanitizer:
# unexpected memory mapping"): run its tests with ASLR off. A finding fails the test (ctest exits
# non-zero): every program halts on one, and Subprocess fails a test whose child reported one.
ifneq ($(findstring thread,$(SANITIZE)),)
  TEST_PREFIX := $(shell setarch -R true >/dev/null 2>&1 && echo setarch -R)
endif

.PHONY: all help deps configure build test measure unit integration check-layout bench demo clean format \
        lint lint-format lint-tidy

all: build

help:
	@echo 'FibTastic Bench — make targets (variables in [brackets], defaults in README):'
	@echo '  make / make build   build everything ($(BUILD_TYPE), in $(BUILD_DIR)/) [BUILD_TYPE= JOBS= CMAKE_ARGS= CCACHE=1]'
	@echo '  make bench          run the benchmark scenarios, write results/ [QUICK=1 SCENARIO= PLACEMENT= REPEAT=N AA=1 STACK=cpp,rails]'
	@echo '  make demo           the lesson live: the real stack and the lesson board [DEMO_AUTO=1 DEMO_HOLD=1 DEMO_N=]'
	@echo '  make test           include rules + every test but the measurements and the soak [TEST_LABELS=unit|core|integration|fault|soak|measure SANITIZE=address,undefined|thread]'
	@echo '  make measure        the measurement tests (figures against theory and tolerances; CI runs them too)'
	@echo '  make test BUILD_TARGET=core TEST_LABELS="unit|core"   build and run only the quick tests'
	@echo '  make unit           unit tests only'
	@echo '  make integration    integration tests only (real redis-server, mail sink, web, worker)'
	@echo '  make check-layout   who may include what (scripts/check-layout)'
	@echo '  make lint           clang-format check + clang-tidy (.clang-format, .clang-tidy)'
	@echo '  make format         apply clang-format to the tree'
	@echo '  make soak           long soak run [SOAK_SECONDS=600]'
	@echo '  make sidekiq-web    Sidekiq'"'"'s own Web UI on our Redis [REDIS_URL= PORT=9292]'
	@echo '  make fuzz           libFuzzer targets (clang) [FUZZ_SECONDS=300 FUZZ_TARGETS=]'
	@echo '  make deps           install missing Debian packages (scripts/install-deps)'
	@echo '  make clean          remove build directories'

deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

configure: deps $(BUILD_DIR)/CMakeCache.txt

# BUILD_TARGET=core builds only what `ctest -L 'unit|core'` runs (the sanitizer passes of CI).
BUILD_TARGET ?= all
build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(BUILD_TARGET)

# make test [TEST_LABELS=unit|core] [SANITIZE=...]: the include rules, then every test but the
# measurements and the soak (or only those whose ctest label matches the regex TEST_LABELS). The unit tests run
# JOBS at a time (no services, no shared state); each integration test is RUN_SERIAL
# (CMakeLists.txt): it runs alone, since most of them time what the programs they start do.
# The `measure` tests (measured figures against theory and tolerances, benchmark-style, about 2
# minutes) run in `make measure` and the soak in `make soak`; CI runs both as their own steps
# (the soak for 60 s), so `make test` stays under 15 minutes on 2 cores.
TEST_LABELS ?=
test: check-layout build
	cd $(BUILD_DIR) && $(TEST_PREFIX) ctest --output-on-failure --timeout 900 -j $(JOBS) \
	  $(if $(TEST_LABELS),-L '$(TEST_LABELS)',-LE 'measure|soak')

# make measure: the measurement tests (label measure): the stage waterfall and Little's law, an
# M/D/1 queue against Pollaczek–Khinchine. Release only; each prints its figures.
measure: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900 -L measure

check-layout:
	scripts/check-layout

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration

# make bench [QUICK=1] [SCENARIO=lesson,saturation|<profile>] [PLACEMENT=split|shared]
#            [REPEAT=N: each comparison's variants N times, interleaved; medians with 95% intervals]
#            [AA=1: the background variant against itself, REPEAT (default 5) runs a side]
#            [STACK=cpp|rails|rails-web+cpp-worker|cpp-web+rails-worker, comma-separated side by
#             side; default cpp (docs/targets.md)]
bench: build
	$(BUILD_DIR)/bin/fibtastic-bench $(if $(QUICK),--quick) $(if $(SCENARIO),--scenario $(SCENARIO)) \
	  $(if $(PLACEMENT),--placement $(PLACEMENT)) $(if $(AA),--aa --repeat $(or $(REPEAT),5),\
	  $(if $(REPEAT),--repeat $(REPEAT))) $(if $(STACK),--stack $(STACK))

# make demo [DEMO_AUTO=1] [DEMO_N=25]
demo: build
	BIN_DIR=$(BUILD_DIR)/bin scripts/demo

# make sidekiq-web [REDIS_URL=redis://127.0.0.1:6379/0] [PORT=9292]: Sidekiq's own Web UI on that
# Redis, until Ctrl-C (scripts/sidekiq-web; docs/sidekiq-format.md). Both are read from the
# environment, so a password in REDIS_URL stays off the command line.
.PHONY: sidekiq-web
sidekiq-web: deps
	scripts/sidekiq-web

# make soak [SOAK_SECONDS=600] (or 10m, 1h): web (both modes) + worker at a steady rate; RSS and open fds of
# every process must stay within 10% after warm-up. CI runs it for 60 s (`make test` does not).
SOAK_SECONDS ?= 600
.PHONY: soak
soak: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target soak_test
	SOAK_SECONDS=$(SOAK_SECONDS) $(BUILD_DIR)/bin/soak_test

# make fuzz [FUZZ_SECONDS=300] (or 5m) [FUZZ_TARGETS="payload_fuzz ..."]: builds the libFuzzer targets
# (clang, ASan+UBSan) in build-fuzz and runs each for FUZZ_SECONDS on a copy of fuzz/corpus/,
# JOBS targets at a time.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIBTASTIC_FUZZ=ON $(LAUNCHER)
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	FUZZ_JOBS=$(JOBS) scripts/fuzz build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

# make lint: the tree is formatted (.clang-format) and clang-tidy (.clang-tidy) finds nothing.
# TIDY_SCOPE=product leaves the test files out of clang-tidy (CI, for time); the default is all.
TIDY_SCOPE ?= all
lint: lint-format lint-tidy
lint-format: deps
	clang-format --dry-run -Werror $$(git ls-files '*.cc' '*.h')
lint-tidy: configure
	TIDY_SCOPE=$(TIDY_SCOPE) scripts/lint-tidy $(BUILD_DIR) $(JOBS)

clean:
	rm -rf build build-*
