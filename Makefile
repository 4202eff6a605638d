# The two commands in the README: `make demo` and `make check`. Everything else is a convenience.
# Each target installs the Debian packages it needs first (scripts/install-deps.sh is idempotent).

JOBS ?= $(shell nproc)
DEMO_OUT ?= out/demo

.PHONY: all deps release asan fuzz-build demo check bench fuzz-smoke deb package-check clean

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
	cmake --build --preset fuzz -j $(JOBS) --target fuzz_targets

demo: release
	bash scripts/demo.sh build/sanso $(DEMO_OUT)

check: asan
	ctest --preset asan -j $(JOBS)
	$(MAKE) --no-print-directory fuzz-smoke

bench: release
	@bash scripts/install-deps.sh --bench
	bash bench/run.sh build

# The Debian package (docs/packaging.md): out/deb/sanso_<version>_amd64.deb.
deb: deps
	dpkg-checkbuilddeps
	rm -rf out/deb && mkdir -p out/deb
	debian/rules clean
	DEB_BUILD_OPTIONS="parallel=$(JOBS)" SANSO_DEB_DIR=$(CURDIR)/out/deb debian/rules binary
	debian/rules clean

# Installs the package into a fresh Debian 12 tree (debootstrap) and uses it there. Not yet part of
# `make check`: it adds an optimised build and a debootstrap to CI's time (docs/packaging.md).
package-check: deb
	bash tests/package/install-test.sh out/deb

fuzz-smoke: fuzz-build
	bash fuzz/smoke.sh build-fuzz

clean:
	rm -rf build build-asan build-fuzz out
