# tfmodel: top-level entry points. See README.md.
#   make demo   install what is missing, build, run the main job on an example model
#   make test   install what is missing, build (normal + ASan/UBSan), run all tests
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
TESTDATA  ?= $(abspath ../shared/testdata)
export TFMODEL_TESTDATA ?= $(TESTDATA)
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Hash paths relative to the checkout so clones in other folders (CI) share cache entries.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1
export CCACHE_MAXSIZE ?= 5G
CMAKE_COMMON = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DTFMODEL_WERROR=ON

.PHONY: all setup build build-asan test test-unit test-asan demo bench format clean check-testdata

all: build

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DTFMODEL_SANITIZE=ON -DTFMODEL_BUILD_BENCH=OFF

build-asan: setup $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)

check-testdata:
	@bash scripts/check_testdata.sh

# Full suite: normal build runs everything; the sanitizer build runs unit + conformance.
test: build build-asan check-testdata
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -L 'unit|conformance'

test-unit: build check-testdata
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@bash scripts/setup.sh --bench
	@bash bench/run.sh $(BUILD_DIR)

format:
	find src include tests bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
