#!/bin/sh
# Install what cgtier needs from Debian's packages. Idempotent: prints
# nothing and touches nothing when everything is present.
#
#   scripts/deps.sh            everything (kernel build, VM, userspace, tests)
#   scripts/deps.sh userspace  only what `make` and `make check-unit` need
set -eu

userspace="build-essential pkg-config libsystemd-dev libyaml-dev libcgroup-dev
	libnuma-dev check dbus clang libclang-rt-14-dev llvm scdoc bash-completion
	debhelper dpkg-dev fakeroot lintian procps systemd man-db"
# scdoc: the man pages (docs/*.scd); bash-completion: its completionsdir and
# _init_completion for the completion test; debhelper, dpkg-dev, fakeroot,
# lintian: make deb and the package stage of make check; procps: /bin/kill,
# the unit's ExecReload, which systemd-analyze verify (systemd) checks;
# man-db: man --warnings on the installed pages
kernel="linux-source-6.12 bc bison flex libelf-dev libssl-dev ccache rsync
	xz-utils cpio kmod patch qemu-system-x86 numactl libcap-dev libmnl-dev
	gnuplot-nox e2fsprogs util-linux procps systemd linux-perf dwarves"
# systemd: busctl, which the end-to-end test calls in the guest; linux-perf:
# the benchmarks' PROFILE=1 (tests/vm/bench/promote.sh); dwarves: pahole,
# for the BTF of a distribution configuration (make kernel-deb KCONFIG=...)

case "${1:-all}" in
userspace) want=$userspace ;;
all) want="$userspace $kernel" ;;
*) echo "usage: $0 [all|userspace]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: need root to install:$missing (run as root or install sudo)" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
	echo "deps: apt-get update failed: cannot reach Debian's package mirror" >&2
	exit 1
fi
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/tmp/cgtier-deps.log 2>&1; then
	tail -n 20 /tmp/cgtier-deps.log >&2
	echo "deps: apt-get install failed for:$missing (full log: /tmp/cgtier-deps.log)" >&2
	exit 1
fi
echo "deps: done"
