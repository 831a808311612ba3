#!/bin/bash
# Build, from the same patched tree as the test kernel, the upstream
# selftests cgtier must keep passing, plus the harness's KUnit module:
#   build/selftests/cgroup/test_memcontrol   (cgroup memory controller)
#   build/selftests/mm/migration             (mm migration)
#   build/selftests/promotion/test_promotion_files  (cgtier's memory.promotion.*)
#   build/tests/kunit-selftest/*.ko          (tests/vm/selftest)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
KB=${KB:-$top/build/kernel}
out=$top/build/selftests
src=$KB/src
[ -f "$KB/obj/vmlinux" ] || { echo "build-selftests: build the kernel first (make kernel)" >&2; exit 1; }

# Small builds: no need to wait for the machine-wide kernel build lock, but
# never run this concurrently with scripts/kernel-build.sh on the same tree.
mk=(make -s -C "$src" O="$KB/obj" HOSTCC=gcc)
"${mk[@]}" headers >/dev/null
hdr="-isystem $KB/obj/usr/include"
mkdir -p "$out/cgroup" "$out/mm"
make -s -C "$src/tools/testing/selftests/cgroup" OUTPUT="$out/cgroup" \
	KHDR_INCLUDES="$hdr" "$out/cgroup/test_memcontrol" >/dev/null
make -s -C "$src/tools/testing/selftests/mm" OUTPUT="$out/mm" \
	KHDR_INCLUDES="$hdr" "$out/mm/migration" >/dev/null
# cgtier's own: libc only, built by the top-level Makefile.
make -s -C "$top" selftests-promotion >/dev/null

ks=$top/build/tests/kunit-selftest
mkdir -p "$ks"
cp "$top"/tests/vm/selftest/{Kbuild,cgtier_harness_kunit.c} "$ks/"
cc="gcc"
command -v ccache >/dev/null && cc="ccache gcc"
"${mk[@]}" CC="$cc" M="$ks" modules >/dev/null
echo "build-selftests: $(cd "$out" && ls cgroup/test_memcontrol mm/migration promotion/test_promotion_files | tr '\n' ' ')+ $(basename "$ks"/*.ko)"
