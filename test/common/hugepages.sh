# SPDX-License-Identifier: BSD-3-Clause
#
# Sourced by test scripts that run DPDK on real 2 MiB hugepages (sh and
# bash). huge_reserve PAGES raises nr_hugepages by PAGES, mounts a private
# hugetlbfs limited to that much and sets huge_dir; huge_release (call it
# from the EXIT trap) unmounts, removes the mount point and lowers
# nr_hugepages by what was added. On failure huge_reserve returns 1 with
# the reason in huge_why.

HUGE_SYS=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
huge_saved= huge_set= huge_dir= huge_why=

# Lower nr_hugepages by our share rather than writing the saved value
# back blindly: another user may have changed it since.
huge_release() {
	if [ -n "$huge_dir" ]; then
		# Lazy as a last resort: a straggler must not keep the mount.
		umount "$huge_dir" 2>/dev/null || umount -l "$huge_dir" 2>/dev/null
		rmdir "$huge_dir" 2>/dev/null
		huge_dir=
	fi
	if [ -n "$huge_set" ]; then
		cur=$(cat "$HUGE_SYS")
		want=$((cur - (huge_set - huge_saved)))
		[ "$cur" -eq "$huge_set" ] && want=$huge_saved
		[ "$want" -lt 0 ] && want=0
		echo "$want" > "$HUGE_SYS"
		huge_set=
	fi
}

huge_reserve() {
	huge_pages=$1
	if [ "$(id -u)" != 0 ] || [ ! -w "$HUGE_SYS" ] ||
	   ! grep -qw hugetlbfs /proc/filesystems; then
		huge_why="not root, or no 2 MiB hugepage support"
		return 1
	fi
	huge_saved=$(cat "$HUGE_SYS") || return 1
	# The kernel grants what it can find and says so by the read-back.
	echo $((huge_saved + huge_pages)) > "$HUGE_SYS" 2>/dev/null
	huge_set=$(cat "$HUGE_SYS")
	if [ "$huge_set" -lt $((huge_saved + huge_pages)) ]; then
		huge_why="kernel found $((huge_set - huge_saved)) of $huge_pages free 2 MiB pages"
		return 1
	fi
	huge_dir=$(mktemp -d "${TMPDIR:-/tmp}/dpdk-huge.XXXXXX") || return 1
	if ! mount -t hugetlbfs -o "pagesize=2M,size=$((huge_pages * 2))M" \
		nodev "$huge_dir"; then
		huge_why="cannot mount hugetlbfs on $huge_dir"
		return 1
	fi
	return 0
}
