/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgtier-policyd: parse the command line, build the manager, run the loop. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "cgtier/cgtier.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static ManagerConfig arg_config = { .backend = CGFS_BACKEND_LIBCGROUP };
static const char *arg_bus_address;
static bool arg_user_bus;
static bool arg_no_bus;

static void help(void)
{
	printf("Usage: cgtier-policyd [OPTIONS]\n\n"
	       "Applies cgtier promotion policies to cgroups and serves statistics on D-Bus.\n\n"
	       "  -h --help                Show this help\n"
	       "     --version             Show the version\n"
	       "     --cgroup-root=PATH    cgroup2 mount (default %s)\n"
	       "     --root=PATH           Prefix of the policy directories (default /)\n"
	       "     --sysfs-root=PATH     sysfs mount (default %s)\n"
	       "     --state-dir=PATH      Keep the last good rules and the knobs written here\n"
	       "                           (default $STATE_DIRECTORY; none without it)\n"
	       "     --backend=NAME        libcgroup (default) or openat\n"
	       "     --kernel-backend=NAME How rules reach the kernel: auto (default), native\n"
	       "                           (memory.promotion.*), damos (DAMON) or none\n"
	       "     --user-bus            Serve on the user bus instead of the system bus\n"
	       "     --bus-address=ADDR    Serve on the bus at ADDR\n"
	       "     --no-bus              Do not connect to any bus\n"
	       "     --log-level=LEVEL     err, warning, notice, info (default) or debug\n",
	       CGTIER_DEFAULT_CGROUP_ROOT, CGTIER_DEFAULT_SYSFS_ROOT);
}

static int parse_argv(int argc, char *argv[])
{
	enum {
		ARG_VERSION = 0x100,
		ARG_CGROUP_ROOT,
		ARG_ROOT,
		ARG_SYSFS_ROOT,
		ARG_STATE_DIR,
		ARG_BACKEND,
		ARG_KERNEL_BACKEND,
		ARG_USER_BUS,
		ARG_BUS_ADDRESS,
		ARG_NO_BUS,
		ARG_LOG_LEVEL,
	};
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "cgroup-root", required_argument, NULL, ARG_CGROUP_ROOT },
		{ "root", required_argument, NULL, ARG_ROOT },
		{ "sysfs-root", required_argument, NULL, ARG_SYSFS_ROOT },
		{ "state-dir", required_argument, NULL, ARG_STATE_DIR },
		{ "backend", required_argument, NULL, ARG_BACKEND },
		{ "kernel-backend", required_argument, NULL, ARG_KERNEL_BACKEND },
		{ "user-bus", no_argument, NULL, ARG_USER_BUS },
		{ "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
		{ "no-bus", no_argument, NULL, ARG_NO_BUS },
		{ "log-level", required_argument, NULL, ARG_LOG_LEVEL },
		{}
	};
	int c, l;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("cgtier-policyd %s\n", CGTIER_VERSION);
			return 0;
		case ARG_CGROUP_ROOT:
			arg_config.cgroup_root = optarg;
			break;
		case ARG_ROOT:
			arg_config.root_prefix = optarg;
			break;
		case ARG_SYSFS_ROOT:
			arg_config.sysfs_root = optarg;
			break;
		case ARG_STATE_DIR:
			if (isempty(optarg)) {
				log_error("--state-dir needs a path");
				return -EINVAL;
			}
			arg_config.state_dir = optarg;
			break;
		case ARG_BACKEND:
			if (cgfs_backend_from_string(optarg, &arg_config.backend) < 0) {
				log_error("Unknown backend \"%s\": use libcgroup or openat", optarg);
				return -EINVAL;
			}
			break;
		case ARG_KERNEL_BACKEND:
			if (kernel_backend_kind_from_string(optarg, &arg_config.kernel_backend) < 0) {
				log_error("Unknown kernel backend \"%s\": use auto, native, damos or none",
					  optarg);
				return -EINVAL;
			}
			break;
		case ARG_USER_BUS:
			arg_user_bus = true;
			break;
		case ARG_BUS_ADDRESS:
			arg_bus_address = optarg;
			break;
		case ARG_NO_BUS:
			arg_no_bus = true;
			break;
		case ARG_LOG_LEVEL:
			l = log_level_from_string(optarg);
			if (l < 0) {
				log_error("Unknown log level \"%s\"", optarg);
				return -EINVAL;
			}
			log_set_max_level(l);
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

/* systemd's StateDirectory= passes its paths, ":"-separated, in
 * $STATE_DIRECTORY; the first is ours. --state-dir wins over it. */
static int state_dir_from_environment(void)
{
	static char *first;
	const char *e = getenv("STATE_DIRECTORY");

	if (arg_config.state_dir || isempty(e))
		return 0;
	first = strndup(e, strcspn(e, ":"));
	if (!first)
		return log_error_errno(-ENOMEM, "Out of memory");
	arg_config.state_dir = first;
	return 0;
}

int main(int argc, char *argv[])
{
	_cleanup_manager_ Manager *m = NULL;
	sigset_t mask;
	int r;

	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? CGTIER_EXIT_USAGE : CGTIER_EXIT_OK;
	r = state_dir_from_environment();
	if (r < 0)
		return CGTIER_EXIT_FAILURE;

	/* A ListCgroupStats reply of 10,000 cgroups is a 4 MB buffer. With
	 * glibc's dynamic threshold, freeing it once raises the mmap and trim
	 * thresholds, and later replies stay on the heap: resident memory grew
	 * from 6.4 to 9.8 MiB after a few scrapes. A fixed threshold keeps
	 * large buffers mmapped, so they go back to the kernel when freed. */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	/* sd-event takes signals through signalfd: they must be blocked. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(errno, "sigprocmask: %m"), CGTIER_EXIT_FAILURE;

	r = manager_new(&arg_config, NULL, &m);
	if (r < 0)
		return CGTIER_EXIT_FAILURE;
	r = manager_start_watching(m);
	if (r < 0)
		return CGTIER_EXIT_FAILURE;
	r = manager_load(m);
	if (r < 0)
		return CGTIER_EXIT_FAILURE;
	if (!arg_no_bus) {
		r = manager_connect_bus(m, arg_bus_address, arg_user_bus);
		if (r < 0)
			return CGTIER_EXIT_FAILURE;
	}

	/* Pings the service manager if WatchdogSec= is set; no-op otherwise. */
	(void)sd_event_set_watchdog(m->event, true);

	m->ready = true;
	(void)sd_notify(false, "READY=1");
	manager_notify_status(m);
	log_info("cgtier-policyd %s running on %s (%s backend, kernel backend %s)", CGTIER_VERSION,
		 m->cgroup_root, cgfs_backend_to_string(cgfs_get_backend(m->fs)),
		 m->backend_decided ? kernel_backend_kind_to_string(m->backend_active) : "undecided");

	r = sd_event_loop(m->event);
	/* Whatever ended the loop, what the kernel backend started goes. */
	manager_stop(m);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m"), CGTIER_EXIT_FAILURE;
	/* Positive: the exit status a handler chose (the bus went away). */
	return r > 0 ? r : CGTIER_EXIT_OK;
}
