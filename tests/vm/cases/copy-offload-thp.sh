#!/bin/sh
# A THP through dcbm (issue #17, defect 5). A migration batch holds at
# most 512 base pages, so a 2 MiB THP reaches dcbm as a batch of one
# folio; dcbm cuts its runs by pages, through large folios, so that every
# channel copies a part of it. Moving one THP at a time with 4 channels,
# each move must execute at least 4 DMA descriptors (cut by whole folios
# it was 1), be copied by DMA, and keep every word.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/offload.sh"

offload_begin

modprobe_test swcopy-test nr_channels=4 || fail "modprobe swcopy-test"
modprobe_test dcbm || fail "modprobe dcbm"
P=/sys/module/dcbm/parameters SW=/sys/module/swcopy_test/parameters
echo syscall_or_cpuset >$MO/reasons || fail "cannot set reasons"
echo madvise >$THP/enabled || fail "THP madvise"
echo 4 >$P/nr_dma_chan && echo 1 >$P/offloading || fail "dcbm on"

d0=$(cat $SW/descriptors) f0=$(cat $P/folios_migrated) b0=$(cat $P/fallbacks)
out=$("$PM" verify -s 2 -f 2048 -n 4 -m 95 2>&1) || { echo "$out"; fail "pagemove verify of one THP"; }
echo "$out" | grep -E '^(setup|verify):' | sed 's/^/# /'
echo "$out" | grep -q "^setup:.*folios=1/1" || fail "the region was not one THP: $(echo "$out" | grep "^setup:")"
d=$(($(cat $SW/descriptors) - d0)) f=$(($(cat $P/folios_migrated) - f0)) b=$(($(cat $P/fallbacks) - b0))
note "4 moves of one 2 MiB THP: $d descriptors, $f folios by DMA, $b fallbacks"
[ $b -eq 0 ] || fail "$b batches fell back to the CPU"
[ $f -ge 4 ] || fail "only $f folios copied by DMA in 4 moves"
[ $d -ge 16 ] || fail "$d descriptors for 4 THP moves over 4 channels: a THP went to one channel"
echo "PASS: a THP is copied by all 4 channels"
