#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The kernel suite: build uio_hv_vmbus (Makefile.kbuild) and the
# fake_vmbus stub against Debian's kernel headers, boot Debian's kernel
# in QEMU (software emulation) with a busybox initramfs, and let
# test/kernel/init.sh + uio_face check the UIO face of our module and of
# Debian's own uio_hv_generic. Prints the guest's checks, then a table of
# where the two faces differ.
#
#   test/kernel/run.sh SRCDIR WORKDIR
#
# Needs what scripts/setup-kernel.sh installs; without it, exits 77
# (skip) and says what is missing. Exit 0 only if every check of our
# module passed and the guest reached its end.

set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
work=${2:-$src/build/kernel-test}
cache=${VMBUS_NETVSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbus-netvsc}/kernel

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "kernel suite: $*" >&2; exit 1; }

command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 missing (scripts/setup-kernel.sh installs it)"
busybox=/bin/busybox
[ -x "$busybox" ] && ! readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter' ||
	skip "no static busybox (apt-get install busybox-static; scripts/setup-kernel.sh)"
command -v cpio >/dev/null || skip "cpio missing (scripts/setup-kernel.sh)"

# The newest headers with a matching unpacked image in the cache.
kdir= kver=
for d in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V -r); do
	v=${d#/usr/src/linux-headers-}
	if [ -f "$cache/$v/boot/vmlinuz-$v" ]; then
		kdir=$d kver=$v
		break
	fi
done
[ -n "$kver" ] || skip "no Debian kernel image + headers pair (scripts/setup-kernel.sh fetches them into $cache)"
img=$cache/$kver
mods=$img/lib/modules/$kver/kernel
[ -f "$mods/drivers/hv/hv_vmbus.ko" ] || skip "$img lacks hv_vmbus.ko"

rm -rf "$work"
mkdir -p "$work/root/modules" "$work/root/bin"

echo "== building uio_hv_vmbus against $kdir"
make -s -C "$src" -f Makefile.kbuild KDIR="$kdir" OUT="$work/module" \
	BTF_VMLINUX="$img/boot/vmlinuz-$kver" \
	BTF_HV_VMBUS="$mods/drivers/hv/hv_vmbus.ko" >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; die "module build failed"; }

echo "== building fake_vmbus"
mkdir -p "$work/stub"
cp "$src"/test/kernel/fake_vmbus/{fake_vmbus.c,Kbuild} "$work/module/hv_vmbus_layout.h" \
	"$work/stub/"
make -s -C "$kdir" M="$work/stub" modules >>"$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; die "stub build failed"; }
python3 "$src/test/kernel/fake_vmbus/patch_crc.py" "$work/stub/fake_vmbus.ko" \
	"$kdir/Module.symvers"

echo "== building uio_face (static, with the bus's sysfs parser)"
${CC:-gcc} -static -O2 -Wall -Wextra -Werror \
	-I"$src/drivers/common/hv" -I"$src/drivers/bus/vmbus/linux" \
	"$src/test/kernel/uio_face.c" "$src/drivers/bus/vmbus/linux/vmbus_sysfs.c" \
	"$src/drivers/common/hv/hv_guid.c" -o "$work/root/bin/uio_face"

cp "$work/module/uio_hv_vmbus.ko" "$work/stub/fake_vmbus.ko" \
	"$mods/drivers/uio/uio.ko" "$work/root/modules/"
[ -f "$mods/drivers/uio/uio_hv_generic.ko" ] &&
	cp "$mods/drivers/uio/uio_hv_generic.ko" "$work/root/modules/"
cp "$busybox" "$work/root/bin/busybox"
cp "$src/test/kernel/init.sh" "$work/root/init"
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

echo "== booting $kver in QEMU (TCG)"
# The timeout is a hang guard for a wedged guest, not a measurement.
timeout 300 qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nographic \
	-no-reboot -kernel "$img/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 oops=panic" \
	</dev/null >"$work/console.log" 2>&1 || true
tr -d '\r' <"$work/console.log" >"$work/guest.log"

grep -E '^(ok|not ok|differs|==|    )' "$work/guest.log" || true
python3 "$src/test/kernel/face_table.py" "$work/guest.log"

pass=$(grep -c '^ok - ours' "$work/guest.log" || true)
fail=$(grep -c '^not ok' "$work/guest.log" || true)
grep -q '^== done' "$work/guest.log" ||
	{ tail -40 "$work/guest.log"; die "the guest did not reach its end"; }
echo "kernel suite: $pass checks of uio_hv_vmbus passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
