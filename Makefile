# kyso: `make demo` and `make check` work on a fresh Debian 12 machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build check check-fast demo install bench clean deb

all: build

deps:
	bash scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Every test twice: a normal build, then an ASan+UBSan build.
check: deps
	bash scripts/check.sh

# The normal build's tests only (for quick iterations).
check-fast: build
	cd $(BUILD) && ctest --output-on-failure

demo: deps build
	bash scripts/demo.sh

# Each benchmark prints ratios against a peer measured in the same run.
bench: deps build
	bash bench/token/run.sh
	bash bench/sign/run.sh
	bash bench/ra/run.sh
	bash bench/agent/run.sh
	bash bench/contract/run.sh

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Debian packages (debian/, dpkg-buildpackage) into $(BUILD)/deb; docs/install.md.
deb: deps
	bash scripts/deb.sh $(BUILD)/deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
