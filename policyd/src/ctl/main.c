/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgtierctl: parse the command line and run one verb. */
#include <getopt.h>

#include "cgtier/cgtier.h"
#include "ctl.h"
#include "log.h"
#include "util.h"

static void help(void)
{
	printf("Usage: cgtierctl [OPTIONS] COMMAND ...\n\n"
	       "Query and control cgtier-policyd.\n\n"
	       "Commands:\n"
	       "  status               Daemon, kernel support, policy files\n"
	       "  list                 Managed cgroups and their effective rule\n"
	       "  stats [CGROUP|UNIT|PID...]  Promotion statistics (all managed cgroups if none)\n"
	       "  top                  Live promotion rate per managed cgroup\n"
	       "  numa [CGROUP...]     Memory per NUMA node with totals, like numastat -m\n"
	       "  explain CGROUP|UNIT|PID  Why each rule does or does not apply\n"
	       "  validate FILE...     Check policy files offline (\"-\" = stdin)\n"
	       "  reload               Reload policies (root only)\n\n"
	       "Options:\n"
	       "  -h --help            Show this help\n"
	       "     --version         Show the version\n"
	       "     --json            JSON output\n"
	       "     --prometheus      stats: node_exporter textfile format\n"
	       "     --no-legend       Tables without their header line\n"
	       "     --no-pager        Do not pipe output into a pager\n"
	       "  -i --interval=SEC    top: refresh interval (default 1)\n"
	       "  -n --iterations=N    top: stop after N refreshes\n"
	       "     --user            Talk to the daemon on the user bus\n"
	       "     --bus-address=ADDR  Talk to the daemon on this bus\n\n"
	       "Exit status: 0 success, 1 failure, 2 usage error or invalid cgroup path,\n"
	       "3 invalid policy (validate, reload), 4 no such cgroup.\n");
}

/* Like systemctl: page what people read, never top (it redraws) or reload. */
static void maybe_page(const CtlOptions *o, const char *verb)
{
	if (streq(verb, "top") || streq(verb, "reload") || o->prometheus)
		return;
	if (pager_open(o, isatty(STDOUT_FILENO)) > 0)
		atexit(pager_close);
}

int main(int argc, char *argv[])
{
	enum { ARG_VERSION = 0x100, ARG_JSON, ARG_PROMETHEUS, ARG_USER, ARG_BUS_ADDRESS,
	       ARG_NO_LEGEND, ARG_NO_PAGER };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "prometheus", no_argument, NULL, ARG_PROMETHEUS },
		{ "no-legend", no_argument, NULL, ARG_NO_LEGEND },
		{ "no-pager", no_argument, NULL, ARG_NO_PAGER },
		{ "interval", required_argument, NULL, 'i' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "user", no_argument, NULL, ARG_USER },
		{ "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
		{}
	};
	CtlOptions o = { .interval_sec = 1.0 };
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	const char *verb;
	char *end;
	int c, r;

	log_set_max_level(LOG_INFO);
	while ((c = getopt_long(argc, argv, "hi:n:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return CGTIER_EXIT_OK;
		case ARG_VERSION:
			printf("cgtierctl %s\n", CGTIER_VERSION);
			return CGTIER_EXIT_OK;
		case ARG_JSON:
			o.json = true;
			break;
		case ARG_PROMETHEUS:
			o.prometheus = true;
			break;
		case ARG_NO_LEGEND:
			o.no_legend = true;
			break;
		case ARG_NO_PAGER:
			o.no_pager = true;
			break;
		case 'i':
			o.interval_sec = strtod(optarg, &end);
			if (*end || o.interval_sec <= 0 || o.interval_sec > 3600) {
				log_error("Invalid interval \"%s\"", optarg);
				return CGTIER_EXIT_USAGE;
			}
			break;
		case 'n':
			o.iterations = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.iterations == 0) {
				log_error("Invalid iteration count \"%s\"", optarg);
				return CGTIER_EXIT_USAGE;
			}
			break;
		case ARG_USER:
			o.user_bus = true;
			break;
		case ARG_BUS_ADDRESS:
			o.bus_address = optarg;
			break;
		default:
			return CGTIER_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		help();
		return CGTIER_EXIT_USAGE;
	}
	verb = argv[optind++];

	if (streq(verb, "validate")) {
		if (optind >= argc) {
			log_error("validate needs at least one file");
			return CGTIER_EXIT_USAGE;
		}
		maybe_page(&o, verb);
		return verb_validate(&o, argv + optind, (size_t)(argc - optind), stdout);
	}

	if (!streq(verb, "status") && !streq(verb, "list") && !streq(verb, "stats") &&
	    !streq(verb, "top") && !streq(verb, "explain") && !streq(verb, "reload") &&
	    !streq(verb, "numa")) {
		log_error("Unknown command \"%s\" (see --help)", verb);
		return CGTIER_EXIT_USAGE;
	}
	if ((streq(verb, "explain") && argc - optind != 1) ||
	    ((streq(verb, "status") || streq(verb, "list") || streq(verb, "top") ||
	      streq(verb, "reload")) && optind != argc)) {
		log_error("Wrong number of arguments for \"%s\" (see --help)", verb);
		return CGTIER_EXIT_USAGE;
	}

	maybe_page(&o, verb);
	/* A scrape of 10,000 cgroups is 12 MB: 64 KiB writes, not 4 KiB. */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, NULL, _IOFBF, 64 * 1024);
	r = ctl_connect(&o, &bus);
	if (r < 0) {
		log_error_errno(r, "Cannot connect to the bus: %m");
		return CGTIER_EXIT_FAILURE;
	}

	if (streq(verb, "status"))
		return verb_status(bus, &o, stdout);
	if (streq(verb, "list"))
		return verb_list(bus, &o, stdout);
	if (streq(verb, "stats"))
		return verb_stats(bus, &o, optind < argc ? argv + optind : NULL,
				  (size_t)(argc - optind), stdout);
	if (streq(verb, "numa"))
		return verb_numa(bus, &o, optind < argc ? argv + optind : NULL,
				 (size_t)(argc - optind), stdout);
	if (streq(verb, "top"))
		return verb_top(bus, &o, stdout);
	if (streq(verb, "explain"))
		return verb_explain(bus, &o, argv[optind], stdout);
	return verb_reload(bus, &o, stdout);
}
