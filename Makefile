# FibTastic Bench — the front door. `make` builds (Release), `make test` runs every test,
# `make bench` runs the benchmark scenarios, `make demo` narrates the lesson live.
# Missing Debian packages are installed first (scripts/install-deps).

BUILD_TYPE ?= Release
BUILD_DIR  ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
SANITIZE   ?=

ifneq ($(SANITIZE),)
  BUILD_DIR := build-$(subst $(comma),-,$(SANITIZE))
  BUILD_TYPE := RelWithDebInfo
  CMAKE_ARGS += -DFIBTASTIC_SANITIZE=$(SANITIZE)
endif
comma := ,

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
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900

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

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: build
	clang-tidy -p $(BUILD_DIR) $$(git ls-files '*.cc')

clean:
	rm -rf build build-*
