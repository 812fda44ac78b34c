# FibTastic Bench — the front door. `make` builds (Release), `make test` runs every test,
# `make bench` runs the benchmark scenarios, `make demo` narrates the lesson live.
# Missing Debian packages are installed first (scripts/install-deps).

BUILD_TYPE ?= Release
BUILD_DIR  ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
SANITIZE   ?=
comma := ,

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

.PHONY: all deps configure build test unit integration bench demo clean format tidy

all: build

deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && $(TEST_PREFIX) ctest --output-on-failure --timeout 900

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration

# make bench [QUICK=1] [SCENARIO=lesson,saturation|<profile>] [PLACEMENT=split|shared]
bench: build
	$(BUILD_DIR)/bin/fibtastic-bench $(if $(QUICK),--quick) $(if $(SCENARIO),--scenario $(SCENARIO)) \
	  $(if $(PLACEMENT),--placement $(PLACEMENT))

# make demo [DEMO_AUTO=1] [DEMO_N=25]
demo: build
	BIN_DIR=$(BUILD_DIR)/bin scripts/demo

# make soak [SOAK_SECONDS=600]: web (both modes) + worker at a steady rate; RSS and open fds of
# every process must stay within 10% after warm-up. `make test` runs the same test for 60 s.
SOAK_SECONDS ?= 600
.PHONY: soak
soak: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target soak_test
	SOAK_SECONDS=$(SOAK_SECONDS) $(BUILD_DIR)/bin/soak_test

# make fuzz [FUZZ_SECONDS=300] [FUZZ_TARGETS="payload_fuzz ..."]: builds the libFuzzer targets
# (clang, ASan+UBSan) in build-fuzz and runs each for FUZZ_SECONDS on a copy of fuzz/corpus/.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIBTASTIC_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	scripts/fuzz build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: build
	clang-tidy -p $(BUILD_DIR) $$(git ls-files '*.cc')

clean:
	rm -rf build build-*
