#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the QEMU guest built by test/kernel/run.sh: loads fake_vmbus
# and a UIO glue driver, plays host events and lets uio_face check what
# userspace sees. Runs our uio_hv_vmbus (judged), then Debian's
# uio_hv_generic (observed, for the comparison table). Every line the
# host looks at starts with "ok", "not ok", "differs", "face" or "==".

/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug

M=/modules
GUID=f8615163-0001-1000-2000-00155d000001
NIC_CLASS=f8615163-df3e-46c5-913f-f2d2f965ed0e
CTL=/sys/kernel/debug/fake_vmbus/ctl
# Sizes given to our module, and what the maps must then be (bytes).
RING_KB=512
RECV_KB=4096
SEND_KB=2048
RING=$((RING_KB * 1024))
RECV=$((RECV_KB * 1024))
SEND=$((SEND_KB * 1024))

# Guest uptime on every phase line: where the suite's time goes (no check).
say() { echo "== $* (at $(cut -d' ' -f1 /proc/uptime) s)"; }

# ok/not ok with a name, for shell-level steps.
expect() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then
		echo "ok - $DRV: $name"
	else
		echo "$FAIL - $DRV: $name ($(head -c 200 /tmp/out))"
	fi
}

# ok when the command fails (a refusal), with a name.
refuse() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then
		echo "$FAIL - $DRV: $name (it succeeded)"
	else
		echo "ok - $DRV: $name ($(head -c 200 /tmp/out))"
	fi
}

# Kernel warnings since the last call belong to the phase just ended.
# A second argument keeps the phase out of the face table (a phase only
# our driver runs would mark the row as differing).
dmesg_clean() {
	if dmesg | grep -E 'WARNING:|BUG:|Call Trace:|general protection|refcount_t:' >/tmp/warn; then
		echo "$FAIL - $DRV: kernel warnings during $1:"
		sed 's/^/    /' /tmp/warn | head -20
		[ -n "$2" ] || echo "face $DRV kernel_warnings $1:yes"
	else
		echo "ok - $DRV: no kernel warning during $1"
		[ -n "$2" ] || echo "face $DRV kernel_warnings $1:no"
	fi
	dmesg -c >/dev/null
}

say "kernel $(uname -r), page size $(getconf PAGESIZE 2>/dev/null || echo 4096)"
dmesg -c >/dev/null
insmod $M/uio.ko || echo "not ok - insmod uio.ko"

# ---------------------------------------------------------------- ours
DRV=ours
FAIL="not ok"
say "uio_hv_vmbus over fake_vmbus"
expect "insmod fake_vmbus" insmod $M/fake_vmbus.ko
expect "insmod uio_hv_vmbus with sizes" insmod $M/uio_hv_vmbus.ko \
	ring_size_kb=$RING_KB recv_buf_kb=$RECV_KB send_buf_kb=$SEND_KB
expect "host offers the NIC" sh -c "echo offer > $CTL"
uio_face unbound ours
refuse "bind refused while the GUID is not named" \
	sh -c "echo $GUID > /sys/bus/vmbus/drivers/uio_hv_vmbus/bind"
uio_face unbound ours
expect "GUID named in the devices parameter" \
	sh -c "echo $GUID > /sys/module/uio_hv_vmbus/parameters/devices"
expect "bind by instance GUID" \
	sh -c "echo $GUID > /sys/bus/vmbus/drivers/uio_hv_vmbus/bind"
uio_face face ours $RING $RECV $SEND
uio_face abi ours bound
uio_face mmap ours
uio_face irq ours strict
uio_face rescind ours
uio_face reoffer ours strict
uio_face face ours $RING $RECV $SEND
uio_face abi ours re-offered
uio_face mmap ours
expect "rmmod uio_hv_vmbus" rmmod uio_hv_vmbus
uio_face noleak ours
expect "rmmod fake_vmbus" rmmod fake_vmbus
dmesg_clean load-unload

say "uio_hv_vmbus, channels without a monitor page"
expect "insmod fake_vmbus monitor=0" insmod $M/fake_vmbus.ko monitor=0
# Named by driver_override this time (what vmbus-devbind also writes).
expect "insmod uio_hv_vmbus, no devices named" insmod $M/uio_hv_vmbus.ko
expect "host offers the NIC" sh -c "echo offer > $CTL"
uio_face unbound ours
expect "driver_override names uio_hv_vmbus" \
	sh -c "echo uio_hv_vmbus > /sys/bus/vmbus/devices/$GUID/driver_override"
expect "bind by driver_override" \
	sh -c "echo $GUID > /sys/bus/vmbus/drivers/uio_hv_vmbus/bind"
uio_face ready ours
uio_face nomonitor ours
uio_face abi ours no-monitor
expect "rmmod uio_hv_vmbus" rmmod uio_hv_vmbus
uio_face noleak ours
expect "rmmod fake_vmbus" rmmod fake_vmbus
dmesg_clean no-monitor

# docs/uio-abi.md "When the files appear": a sub-channel's add uevent
# only once its ring file exists, over rescind + re-offer cycles
# (fake_vmbus holds the driver's callback after the core's add uevent).
say "uio_hv_vmbus, sub-channels announced after their ring, 12 re-offers"
expect "insmod fake_vmbus" insmod $M/fake_vmbus.ko
expect "insmod uio_hv_vmbus devices=GUID with sizes" insmod $M/uio_hv_vmbus.ko \
	devices=$GUID ring_size_kb=$RING_KB recv_buf_kb=$RECV_KB send_buf_kb=$SEND_KB
expect "host offers the NIC" sh -c "echo offer > $CTL"
uio_face ready ours
uio_face subadd ours 12
expect "rmmod uio_hv_vmbus" rmmod uio_hv_vmbus
uio_face noleak ours
expect "rmmod fake_vmbus" rmmod fake_vmbus
dmesg_clean subadd ours-only

# The guest has two NUMA nodes (run.sh): CPU 0 on node 0, CPU 1 on node 1.
# The channels target CPU 1; every step that makes the driver allocate
# runs on CPU 0 (taskset 1), so memory that is not asked for on the
# device's node lands on node 0 and the check fails.
say "uio_hv_vmbus, NIC on NUMA node 1, driven from CPU 0 (node 0)"
expect "insmod fake_vmbus cpu=1" insmod $M/fake_vmbus.ko cpu=1
expect "insmod uio_hv_vmbus devices=GUID with sizes" insmod $M/uio_hv_vmbus.ko \
	devices=$GUID ring_size_kb=$RING_KB recv_buf_kb=$RECV_KB send_buf_kb=$SEND_KB
expect "host offers the NIC (from CPU 0)" taskset 1 sh -c "echo offer > $CTL"
uio_face ready ours
taskset 1 uio_face numa ours 1
expect "rmmod uio_hv_vmbus" rmmod uio_hv_vmbus
uio_face noleak ours
expect "rmmod fake_vmbus" rmmod fake_vmbus
dmesg_clean numa

# ---------------------------------------------------------------- Debian
DRV=debian
FAIL=differs
if [ -f $M/uio_hv_generic.ko ]; then
	say "Debian's uio_hv_generic over fake_vmbus"
	expect "insmod fake_vmbus" insmod $M/fake_vmbus.ko
	expect "insmod uio_hv_generic (signed, unmodified)" insmod $M/uio_hv_generic.ko
	expect "host offers the NIC" sh -c "echo offer > $CTL"
	expect "new_id binds every NIC" \
		sh -c "echo $NIC_CLASS > /sys/bus/vmbus/drivers/uio_hv_generic/new_id"
	uio_face face debian
	uio_face abi debian bound
	uio_face mmap debian
	uio_face irq debian
	uio_face rescind debian
	uio_face reoffer debian
	uio_face subadd debian 1
	expect "rmmod uio_hv_generic" rmmod uio_hv_generic
	uio_face noleak debian
	expect "rmmod fake_vmbus" rmmod fake_vmbus
	dmesg_clean load-unload

	say "Debian's uio_hv_generic, channels without a monitor page"
	insmod $M/fake_vmbus.ko monitor=0
	insmod $M/uio_hv_generic.ko
	echo $NIC_CLASS > /sys/bus/vmbus/drivers/uio_hv_generic/new_id
	echo offer > $CTL
	uio_face nomonitor debian
	uio_face abi debian no-monitor
	rmmod uio_hv_generic
	rmmod fake_vmbus
	dmesg_clean no-monitor

	say "Debian's uio_hv_generic, NIC on NUMA node 1, driven from CPU 0 (node 0)"
	insmod $M/fake_vmbus.ko cpu=1
	insmod $M/uio_hv_generic.ko
	taskset 1 sh -c "echo offer > $CTL"
	taskset 1 sh -c "echo $NIC_CLASS > /sys/bus/vmbus/drivers/uio_hv_generic/new_id"
	taskset 1 uio_face numa debian 1
	rmmod uio_hv_generic
	rmmod fake_vmbus
	dmesg_clean numa
else
	say "no uio_hv_generic.ko in the image: comparison skipped"
fi

say "done"
poweroff -f
