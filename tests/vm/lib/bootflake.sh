# shellcheck shell=bash
# Sourced by tests/vm/run-vm.sh (and tests/vm/selftest.sh, which tests it).
#
# tcg_boot_flake CONSOLE: true if the guest whose console log is CONSOLE
# died in boot, before init.sh ran, with an "Oops: int3": multi-threaded
# TCG (QEMU 7.2) running a stale translation of kernel text another vCPU
# had just live-patched (docs/TESTBED.md). Such a boot ran no test, so it
# says nothing about the kernel under test and may be tried again; any
# other early death, or an int3 once init ran (a test flipping a static
# key), is the kernel's and is not retried.
tcg_boot_flake() {
	[ -r "$1" ] || return 1
	grep -q 'cgtier-init:' "$1" && return 1
	grep -q 'Oops: int3' "$1"
}
