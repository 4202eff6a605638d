# The two commands in the README: `make demo` and `make check`. Everything else is a convenience.
# Each target installs the Debian packages it needs first (scripts/install-deps.sh is idempotent).

JOBS ?= $(shell nproc)
DEMO_OUT ?= out/demo

.PHONY: all deps release asan fuzz-build demo check bench fuzz-smoke clean

all: release

deps:
	@bash scripts/install-deps.sh

release: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)

fuzz-build: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)

demo: release
	bash scripts/demo.sh build/sanso $(DEMO_OUT)

check: asan
	ctest --preset asan -j $(JOBS)
	$(MAKE) --no-print-directory fuzz-smoke

bench: release
	@bash scripts/install-deps.sh --bench
	bash bench/run.sh build

fuzz-smoke: fuzz-build
	bash fuzz/smoke.sh build-fuzz

clean:
	rm -rf build build-asan build-fuzz out
