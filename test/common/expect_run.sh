#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# expect_run.sh RC REGEX COMMAND [ARG]...: run COMMAND; pass only if it
# exits with exactly RC (a crash or another failure does not count) and
# its output (stdout and stderr) matches the extended REGEX. For tests of
# error paths and --help, which must fail or succeed for their reason.
set -u
want_rc=$1 regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
if [ "$rc" != "$want_rc" ]; then
	echo "FAIL: '$*' exited $rc, want $want_rc; output:"
	printf '%s\n' "$out"
	exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
	echo "FAIL: output of '$*' does not match /$regex/:"
	printf '%s\n' "$out"
	exit 1
fi
echo "ok: '$*' exited $rc and said: $(printf '%s\n' "$out" | grep -E -m1 -- "$regex")"
