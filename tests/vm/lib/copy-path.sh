# shellcheck shell=sh
# Sourced (after common.sh) by the VM benchmarks that choose the copy path
# of migrations.
#
# copy_path_load: load the test-only software DMA engine (4 channels),
# mtcopy, and dcbm over that engine with 4 channels.
# copy_path PATH: make PATH the copy path of batched migrations:
#   upstream  no migrator, cpu_batch 0: the per-folio copy, unchanged
#   batch     the batch copy phase with the CPU copying (cpu_batch 1)
#   mtcopyN   the mtcopy migrator with N threads
#   dcbm      dcbm over the software engine (copies with the CPU: it shows
#             the framework's overhead and parallelism, not DMA hardware),
#             4 channels
#   dcbmN     the same over N channels (how one large folio's copy spreads)
MO=/sys/kernel/mm/migrate_offload
P_MT=/sys/module/mtcopy/parameters P_DC=/sys/module/dcbm/parameters

copy_path_load() {
	modprobe_test swcopy-test nr_channels=4 || fail "swcopy-test"
	modprobe_test mtcopy || fail "mtcopy"
	modprobe_test dcbm || fail "dcbm"
	echo 4 >$P_DC/nr_dma_chan || fail "dcbm nr_dma_chan"
}

copy_path() {
	echo 0 >$P_MT/offloading; echo 0 >$P_DC/offloading; echo 0 >$MO/cpu_batch
	case $1 in
	upstream) ;;
	batch) echo 1 >$MO/cpu_batch ;;
	mtcopy*) echo "${1#mtcopy}" >$P_MT/nr_threads && echo 1 >$P_MT/offloading ;;
	dcbm) echo 4 >$P_DC/nr_dma_chan && echo 1 >$P_DC/offloading ;;
	dcbm[1-9]*) echo "${1#dcbm}" >$P_DC/nr_dma_chan && echo 1 >$P_DC/offloading ;;
	*) fail "unknown copy path $1" ;;
	esac || fail "cannot switch to copy path $1"
}
