#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-tests.sh: the "make test" sequence, after scripts/setup.sh.
#   1. build/     gcc, drivers on, -Dwerror=true: unit, fuzz, scripts, emu suites,
#                 and kernel (QEMU; scripts/setup-kernel.sh first),
#                 and bench-smoke (test/bench/run.sh --quick, no thresholds)
#   2. build-san/ clang ASan/UBSan + libFuzzer, drivers on: same suites; the
#                 bus and PMD tests run our testpmd with the sanitized
#                 plugins and the ASan runtime preloaded (test/netvsc/lib.sh)
#   3. one summary line from both testlog.json files
# Both trees always run, so one broken tree still reports the other's
# results; exits non-zero if anything failed.

set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$src"
build=${BUILD:-build}
build_san=${BUILD_SAN:-build-san}
jobs=${JOBS:-$(nproc)}
suites=(--suite unit --suite fuzz --suite scripts --suite emu)

say() { printf '\n==== %s\n' "$*"; }

run_suites() {
	local dir=$1
	shift
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" "${suites[@]}" "$@" --print-errorlogs --num-processes "$jobs" || true
}

# The kernel suite (QEMU, gcc build only) needs QEMU, busybox and a
# Debian kernel; without them it skips and says why.
say "kernel suite prerequisites"
scripts/setup-kernel.sh || echo "test: setup-kernel.sh failed; the kernel suite will skip"

say "gcc build with drivers ($build)"
if make --no-print-directory build BUILD="$build" SKIP_SETUP=1; then
	run_suites "$build" --suite kernel --suite bench-smoke
else
	echo "test: $build did not build; its tests count as failed"
	rm -f "$build/meson-logs/testlog.json"
fi

say "clang ASan/UBSan + libFuzzer build ($build_san)"
rm -f "$build_san/meson-logs/testlog.json"
# Our DPDK selected for the drivers (a subshell: the gcc tree is done).
if (. scripts/dpdk-env.sh --ours && dpdk_env_check >/dev/null &&
	CC=clang scripts/meson-configure.sh "$build_san" \
	-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=enabled \
	-Ddrivers=enabled -Dwerror=true &&
	ninja -C "$build_san" -j "$jobs"); then
	run_suites "$build_san"
else
	echo "test: $build_san did not build; its tests count as failed"
fi

say "summary"
python3 scripts/test-summary.py "$build" "$build_san"
