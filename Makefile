# bosun — build, test and run. `make demo` runs the main job, `make test` runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CTEST_ARGS ?= --output-on-failure --timeout 600 -j$(JOBS)

FUZZ_SECONDS ?= 600

# The build's own makes keep quiet about the directories they enter (`make demo` starts clean).
MAKEFLAGS += --no-print-directory

.PHONY: all deps configure build install deb test unit e2e asan bench fuzz demo format tidy clean

all: build

deps:
	@scripts/deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# The binary (dashboard inside), shell completions, the man page and the systemd user unit under
# PREFIX; DESTDIR stages.
PREFIX ?= /usr/local
install: build
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# A Debian package of the same install (prefix /usr): build/bosun_<version>_<arch>.deb.
deb: build
	@cd $(BUILD) && cpack -G DEB

# Every test: unit, end-to-end (real daemon, PTYs, git, SQLite).
test: build
	@cd $(BUILD) && ctest $(CTEST_ARGS)

unit: build
	@cd $(BUILD) && ctest $(CTEST_ARGS) -L unit

e2e: build
	@cd $(BUILD) && ctest $(CTEST_ARGS) -L e2e

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBOSUN_SANITIZE=ON -DBOSUN_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

# Every libFuzzer target (fuzz/) for FUZZ_SECONDS each; `make test` runs the parser targets for
# 5 s each and replays the daemon targets' seeds (fuzz.replay.*).
fuzz: deps
	@scripts/fuzz $(FUZZ_SECONDS) $(BUILD)/fuzz

# Benchmarks (not part of `make test`); figures go to docs/performance.md.
bench: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOSUN_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	@scripts/bench $(BUILD)

# The main job: start a daemon on a fresh state directory and show how to reach it.
demo: build
	@$(BUILD)/bosun demo

format:
	@clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

tidy: configure
	@run-clang-tidy -quiet -p $(BUILD) 'src/.*\.cpp$$'

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD)
