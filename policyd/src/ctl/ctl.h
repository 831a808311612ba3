/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgtierctl internals, split by job: ctl-bus.c talks to the daemon,
 * ctl-output.c formats (table, JSON, Prometheus), ctl-verbs.c implements
 * the commands. Every verb returns a CGTIER_EXIT_* code. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "stats.h"

typedef struct CtlOptions {
	bool json;
	bool prometheus;
	bool no_legend;        /* tables without their header line */
	bool no_pager;
	bool user_bus;
	const char *bus_address;
	const char *proc_root; /* PIDs are looked up here; NULL = /proc */
	sd_bus *systemd_bus;   /* units are resolved here; NULL = system (or user) bus */
	double interval_sec;   /* top */
	unsigned iterations;   /* top: 0 = until interrupted */
} CtlOptions;

struct ctl_cgroup {
	char *cgroup;
	char *rule;
	char *setting; /* human form: "max=64.0 MiB/s weight=50" */
	char *max;     /* kernel line, "" when the rule sets no max */
	uint32_t weight;
};

struct ctl_cgroup_list {
	struct ctl_cgroup *items;
	size_t n;
};

void ctl_cgroup_list_done(struct ctl_cgroup_list *l);

/* Statistics of many cgroups, sorted by path. */
struct ctl_cgroup_stats {
	char *cgroup;
	struct cgroup_stats stats;
};

struct ctl_stats_list {
	struct ctl_cgroup_stats *items;
	size_t n;
};

void ctl_stats_list_done(struct ctl_stats_list *l);

/* The daemon's own properties, as status and stats --prometheus show them. */
struct ctl_daemon_state {
	char *version;
	char *backend;
	char *cgroup_root;
	char *kernel_support; /* "yes", "no" or "unknown" */
	char *kernel_backend; /* "native", "damos" or "none" */
	char *last_error;     /* "" after a good load */
	int kernel_supports_knobs;
	uint32_t rules;
	uint32_t managed_cgroups;
};

void ctl_daemon_state_done(struct ctl_daemon_state *s);

/* ctl-bus.c */
int ctl_connect(const CtlOptions *o, sd_bus **ret);
int ctl_get_daemon_state(sd_bus *bus, struct ctl_daemon_state *ret, sd_bus_error *error);
int ctl_list_cgroups(sd_bus *bus, struct ctl_cgroup_list *ret);
int ctl_get_stats(sd_bus *bus, const char *cgroup, struct cgroup_stats *ret, sd_bus_error *error);
/* Every managed cgroup's statistics in one call (ListCgroupStats); from a
 * daemon without that method, ListCgroups and one call per cgroup. */
int ctl_list_cgroup_stats(sd_bus *bus, struct ctl_stats_list *ret, sd_bus_error *error);
/* Maps a failed call to an exit code and prints the error once. */
int ctl_bus_error_exit(const char *what, int r, const sd_bus_error *error);

/* ctl-output.c */
void json_string(FILE *f, const char *s);
/* Human output: control characters and invalid UTF-8 as \xNN (line breaks
 * kept); every name or text from the daemon goes through it or ctl_escape. */
void fputs_escaped(const char *s, FILE *f);
void prometheus_label_value(FILE *f, const char *s);
/* Writes the node_exporter textfile format for n cgroups' stats. */
void prometheus_write(FILE *f, const char *const *cgroups, const struct cgroup_stats *stats,
		      size_t n);
/* Gauges of the effective rule's limit and weight for those of the cgroups
 * that are managed (l from ListCgroups). */
void prometheus_write_limits(FILE *f, const char *const *cgroups, size_t n,
			     const struct ctl_cgroup_list *l);
/* Daemon-level gauges: kernel support, rules, managed cgroups, reload state. */
void prometheus_write_daemon(FILE *f, const struct ctl_daemon_state *s);
/* Metric name of a memory.promotion.stat key: "cgtier_promotion_<key>_..._total". */
int prometheus_metric_name(const char *key, char *buf, size_t size);
void stats_write_text(FILE *f, const char *cgroup, const struct cgroup_stats *s);
void stats_write_json(FILE *f, const char *cgroup, const struct cgroup_stats *s);

/* ctl-verbs.c */
int verb_status(sd_bus *bus, const CtlOptions *o, FILE *out);
int verb_list(sd_bus *bus, const CtlOptions *o, FILE *out);
int verb_stats(sd_bus *bus, const CtlOptions *o, char **cgroups, size_t n, FILE *out);
int verb_top(sd_bus *bus, const CtlOptions *o, FILE *out);
/* arg and the cgroups of stats: a path, a PID or a unit (ctl_resolve_cgroup). */
int verb_explain(sd_bus *bus, const CtlOptions *o, const char *arg, FILE *out);
int verb_reload(sd_bus *bus, const CtlOptions *o, FILE *out);
/* ctl-numa.c: per-node memory table with totals (numastat -m style). */
int verb_numa(sd_bus *bus, const CtlOptions *o, char **cgroups, size_t n, FILE *out);
/* Offline: no daemon, the policy library directly. */
int verb_validate(const CtlOptions *o, char **files, size_t n, FILE *out);

/* ctl-resolve.c: explain and stats take a cgroup path, a PID or a unit
 * (a name without '/' ending in .service, .scope, .slice, .socket, .mount
 * or .swap; write "/x.slice" for the cgroup). */
enum ctl_arg_kind { CTL_ARG_PATH, CTL_ARG_PID, CTL_ARG_UNIT };
enum ctl_arg_kind ctl_arg_kind(const char *arg);
/* -ESRCH: no such process; -ENOMEDIUM: no cgroup v2 line. */
int ctl_pid_cgroup(const char *proc_root, const char *pid, char **ret);
/* -ENOENT: unit not loaded; -ENODATA: loaded, no cgroup (not running). */
int ctl_unit_cgroup(sd_bus *bus, const char *unit, char **ret, sd_bus_error *error);
/* The cgroup arg names; logs the reason once on failure. */
int ctl_resolve_cgroup(const CtlOptions *o, const char *arg, char **ret);
/* Exit code of a failed ctl_resolve_cgroup(): 4 for what does not exist. */
int ctl_resolve_exit(int r);

/* ctl-pager.c: pipes stdout into a pager when tty and not --no-pager;
 * 1 if started, 0 if not wanted, negative errno. pager_close() (also fine
 * from atexit()) ends the output and waits for the pager. */
const char *pager_command(void);
int pager_open(const CtlOptions *o, bool tty);
void pager_close(void);

/* Promotion rate in bytes/s from two readings of "promoted" (pages). */
uint64_t ctl_rate_bytes_per_sec(uint64_t before, uint64_t after, double seconds,
				uint64_t page_size);
