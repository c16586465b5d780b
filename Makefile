# SPDX-License-Identifier: BSD-3-Clause
#
# Entry points; the work is done by the scripts under scripts/.
#   make / make build   setup, then build/ (gcc, drivers) and install the
#                       plugins into our DPDK
#   make run            build, then the main job: an emulated Hyper-V NIC,
#                       our testpmd + plugins on it, testpmd forwarding
#                       on it (scripts/run.sh says what it runs);
#                       DRIVER=stock: Debian's stock PMD instead
#   make test           build/ and build-san/ (clang ASan/UBSan, libFuzzer),
#                       unit, fuzz, scripts and emu suites, one "tests: ..." line
#   make bench          build, then test/bench/run.sh: our PMD vs the stock
#                       one, side by side (docs/performance.md; ~15 min;
#                       BENCH_ARGS=--quick for the ~2 min smoke run)
#   make clean          remove build/ and build-san/ (not the DPDK cache)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

BUILD ?= build
BUILD_SAN ?= build-san
DRIVER ?=
JOBS ?= $(shell nproc)
export JOBS BUILD BUILD_SAN

# Our DPDK, selected explicitly: the stock Debian one has the same sonames.
DPDK_ENV := . scripts/dpdk-env.sh --ours && dpdk_env_check

.PHONY: all build setup run test bench clean help

all: build

setup:
ifndef SKIP_SETUP
	@scripts/setup.sh
endif

# --prefix is our DPDK's: anything meson installs lands in that private
# install, never in /usr/local.
build: setup
	@$(DPDK_ENV) && \
	CC=gcc scripts/meson-configure.sh $(BUILD) --prefix="$$DPDK_PREFIX" \
		-Ddrivers=enabled -Dwerror=true && \
	ninja -C $(BUILD) -j $(JOBS) && \
	meson install -C $(BUILD) --no-rebuild --only-changed --quiet && \
	echo "build: plugins installed into $$DPDK_PMD_DIR"

run: build
	@BUILD=$(BUILD) DRIVER=$(DRIVER) scripts/run.sh

test: setup
	@scripts/run-tests.sh

bench: build
	@test/bench/run.sh $(BENCH_ARGS) $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

help:
	@sed -n '3,14s/^# \{0,1\}//p' Makefile
	@echo "Variables: BUILD=$(BUILD) BUILD_SAN=$(BUILD_SAN) JOBS=$(JOBS)"
	@echo "DPDK cache: \$$VMBUS_NETVSC_CACHE (default ~/.cache/vmbus-netvsc); scripts/setup.sh --help"
