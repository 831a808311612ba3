# cgtier top-level build. Targets are a contract other work and docs rely on:
#   make            userspace: libcgtier, cgtier-policyd, cgtierctl, test tools
#   make kernel     pristine Debian 6.12 tree + kernel/patches, built out of tree
#   make selftests  upstream + cgtier selftests into build/selftests (needs make kernel;
#                   make selftests-promotion builds cgtier's own without a kernel)
#   make check      everything: unit tests, VM tests, KUnit; prints the counts
#   make check-unit fast tests, no VM
#   make check-vm   harness self-tests + VM tests on the patched kernel
#   make bench      benchmarks (see docs/BENCHMARKS.md)
#   make bisect-check  build every prefix of the kernel series (hours; not in check)
#   make check-kasan    copy-offload races and hotplug on a KASAN kernel (not in check)
#   make demo       build, boot the two-tier VM, show per-cgroup promotion
#                   (KERNEL=base: on the unpatched kernel, through DAMOS)
#   make kernel-base the unpatched base kernel into build/kernel-base/ (for
#                   the damos benchmark and the base demo; not in check)
#   make install    userspace, unit, D-Bus policy, man pages, completion into
#                   DESTDIR/PREFIX (make uninstall removes exactly that)
#   make deb        the cgtier Debian package into build/deb/ (debian/)
#   make kernel-deb the patched kernel as linux-image/linux-headers packages
#                   into build/kernel-deb/, from the test-bed configuration or
#                   KCONFIG=/boot/config-... (hours on two cores)
#   make clean      remove build outputs (keeps the extracted kernel tree)

TOP := $(abspath .)
B := $(TOP)/build
CC ?= cc
TOOL_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE

TOOLS_SRC := $(wildcard tests/bin/*.c)
TOOLS := $(TOOLS_SRC:tests/bin/%.c=$(B)/tests/bin/%)

# cgtier's own kernel selftests (scripts/build-selftests.sh builds them too);
# plain libc programs, no kernel headers needed.
PROMO_DIR := tests/selftests/promotion
PROMO_TEST := $(B)/selftests/promotion/test_promotion_files

.PHONY: all userspace vm-tools kernel selftests deps deps-userspace check \
	check-unit check-vm bench demo install uninstall clean fuzz distclean \
	selftests-promotion man deb kernel-deb kernel-base bisect-check check-kasan

all: userspace vm-tools

userspace:
	$(MAKE) -C policyd

vm-tools: $(TOOLS)

$(B)/tests/bin/%: tests/bin/%.c $(wildcard tests/bin/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -o $@ $<

selftests-promotion: $(PROMO_TEST)

$(PROMO_TEST): $(PROMO_DIR)/test_promotion_files.c $(PROMO_DIR)/cgroup_helpers.c \
		$(PROMO_DIR)/cgroup_helpers.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -o $@ $(filter %.c,$^)

deps:
	@scripts/deps.sh all

deps-userspace:
	@scripts/deps.sh userspace

kernel: deps
	scripts/kernel-build.sh

kernel-base: deps
	scripts/kernel-build.sh --base

selftests: kernel
	scripts/build-selftests.sh

check: deps
	tests/check.sh

check-unit: deps-userspace
	tests/check.sh unit

check-vm: deps
	tests/check.sh vm

fuzz: deps-userspace
	$(MAKE) -C policyd/fuzz fuzz

check-kasan: deps
	scripts/check-kasan.sh

bisect-check: deps
	scripts/bisect-check.sh

bench: deps
	scripts/bench.sh

demo: deps
	KERNEL="$(KERNEL)" scripts/demo.sh

man:
	$(MAKE) -C policyd man

install: userspace
	$(MAKE) -C policyd install DESTDIR=$(DESTDIR) PREFIX=$(or $(PREFIX),/usr/local)

uninstall:
	$(MAKE) -C policyd uninstall DESTDIR=$(DESTDIR) PREFIX=$(or $(PREFIX),/usr/local)

# dpkg-buildpackage writes its results next to the source tree, so it runs in
# a copy of the tracked files under build/deb/src; the .deb lands in build/deb.
deb: deps-userspace
	scripts/deb-build.sh

# Not part of make check: a distribution configuration takes hours.
kernel-deb: deps
	scripts/kernel-build.sh --deb

clean:
	$(MAKE) -C policyd clean
	rm -rf $(B)/tests $(B)/vm $(B)/selftests $(B)/results

distclean: clean
	rm -rf $(B)
