/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * cgtier promotion policies: loading, validation and resolution.
 *
 * A policy_set is built from YAML files (docs/cgtier-policies.5.scd), validated as a
 * whole, and immutable afterwards: the daemon swaps whole sets on reload and
 * keeps the last good one when loading fails. Nothing here touches cgroupfs
 * or prints; every function returns 0 (or a documented positive value) or a
 * negative errno, and writes its out-parameters only on success.
 *
 * Cgroup paths are relative to the cgroup2 root without a leading slash
 * ("system.slice/nginx.service"); paths with "." or ".." components, empty
 * components, a leading or trailing slash, or that are empty (the root
 * cgroup carries no promotion knobs) are rejected with -EINVAL.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rate.h"
#include "util.h"

#define POLICY_VERSION 1
/* Larger files are refused before parsing: policies are small, YAML is not. */
#define POLICY_FILE_SIZE_MAX (1024 * 1024)
/* libyaml has no depth limit; our schema needs 5 levels. */
#define POLICY_NESTING_MAX 16
#define POLICY_PRIORITY_MIN (-1000000)
#define POLICY_PRIORITY_MAX 1000000
#define POLICY_NAME_MAX 128
/* Relative to the root prefix, highest precedence first. */
#define POLICY_DIR_ETC "/etc/cgtier/policies.d"
#define POLICY_DIR_RUN "/run/cgtier/policies.d"
#define POLICY_DIR_LIB "/usr/lib/cgtier/policies.d"

/*
 * Where and why loading failed. line and column are 1-based; both are 0 when
 * the problem concerns the whole file (unreadable, too large) or no file.
 */
struct policy_error {
	char file[PATH_MAX];
	unsigned line, column;
	char message[512];
};

/* Kubernetes QoS class of a pod cgroup. */
enum policy_qos {
	POLICY_QOS_NONE = 0, /* selector not given / cgroup is not in a pod */
	POLICY_QOS_GUARANTEED,
	POLICY_QOS_BURSTABLE,
	POLICY_QOS_BESTEFFORT,
	_POLICY_QOS_MAX,
};

/* What a rule writes; a has_* false key stays at the kernel default. */
struct promotion_setting {
	bool has_max;
	uint64_t max_bytes_per_sec; /* PROMOTION_MAX_UNLIMITED = unlimited */
	bool has_period;
	uint64_t period_us;
	bool has_weight;
	uint32_t weight;
};

/* Selectors of a rule; all given ones must match (AND). */
struct policy_match {
	char *cgroup;         /* path glob, NULL if not given */
	char *unit;           /* unit name glob, NULL if not given */
	enum policy_qos qos;  /* POLICY_QOS_NONE if not given */
};

/* One rule. Owned by its policy_set; read-only for users of the set. */
struct policy_rule {
	char *name;
	char *description;   /* NULL if not given */
	int priority;
	char *file;          /* path as loaded, or the name given to _load_text() */
	unsigned line, column; /* of the rule's sequence item */
	size_t index;        /* position in application order (file basename, then file order) */
	struct policy_match match;
	struct promotion_setting promotion;
};

enum policy_file_state {
	POLICY_FILE_LOADED,     /* parsed and contributes its rules */
	POLICY_FILE_MASKED,     /* symlink to /dev/null: hides that basename */
	POLICY_FILE_OVERRIDDEN, /* same basename in a higher-precedence directory */
};

/* A file seen while loading, for the PolicyFiles D-Bus property. */
struct policy_file {
	char *path;           /* full path including the root prefix */
	char *name;           /* basename */
	enum policy_file_state state;
	size_t n_rules;       /* 0 unless LOADED */
	char *text;           /* the source of a LOADED file, kept for policy_set_save_state() */
	size_t text_len;
};

struct policy_set;

/*
 * Loads the *.yaml files in policies.d of POLICY_DIR_ETC, POLICY_DIR_RUN and
 * POLICY_DIR_LIB below root_prefix (NULL, "" or "/" = the real root).
 * Same basename: the first directory in that list wins; a symlink to
 * /dev/null masks the basename; missing directories are fine; files apply
 * in basename order. Returns -EINVAL for invalid content (and for a file
 * that is not a regular file), -ERANGE for a value out of range, -EFBIG for
 * a file over POLICY_FILE_SIZE_MAX, the open/read errno for unreadable
 * files, -ENOMEM; on every failure *err (if not NULL) says where and why.
 * policy_load_error_is_invalid() tells the policy's faults from the rest.
 */
int policy_set_load_dirs(const char *root_prefix, struct policy_set **ret, struct policy_error *err);

/* True when a load error is the policy's fault (-EINVAL, -ERANGE, -EFBIG),
 * false for I/O errors and -ENOMEM. */
bool policy_load_error_is_invalid(int r);

/*
 * Loads an explicit list of files as one set, the way policy_set_load_dirs()
 * would if they were its only files (what `cgtierctl validate` checks):
 * applied in basename order, rule names unique across all of them, errors
 * with file:line:column. "-" is standard input, ordered by the basename "-".
 * Any file name is accepted (the daemon itself only reads *.yaml); a
 * symlink to /dev/null loads as masked. Two paths with the same basename
 * fail with -EINVAL ("same basename as X: only one would be loaded"), since
 * in the directories only one of them can take effect. Errors as above.
 */
int policy_set_load_files(char *const *paths, size_t n, struct policy_set **ret, struct policy_error *err);

/*
 * Loads one document held in memory (D-Bus Validate, tests, fuzzing). name
 * is used as the file name in rules and errors. text need not be
 * NUL-terminated; embedded NULs are rejected. Errors as above.
 */
int policy_set_load_text(const char *name, const char *text, size_t len, struct policy_set **ret,
			 struct policy_error *err);

/*
 * The daemon's memory of the last set that loaded, in its state directory
 * (StateDirectory=): the sources of the LOADED files, each with its path, in
 * a state file (state-file.h, kind "rules"). Loading it runs the same
 * loader on those sources, so a saved set is validated like any other;
 * masked and overridden files are not kept.
 */
#define POLICY_STATE_FILE "rules.state"
int policy_set_save_state(const struct policy_set *s, int dir_fd);
/* -ENOENT when nothing was saved; -EBADMSG (err says why) for a damaged
 * file; a load error as above when the saved sources no longer load. */
int policy_set_load_state(int dir_fd, struct policy_set **ret, struct policy_error *err);

/* Frees the set and every rule and file in it; NULL is fine. Returns NULL. */
struct policy_set *policy_set_free(struct policy_set *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy_set *, policy_set_free);
#define _cleanup_policy_set_free_ _cleanup_(policy_set_freep)

/* Rules in application order; i must be < policy_set_n_rules(). */
size_t policy_set_n_rules(const struct policy_set *s);
const struct policy_rule *policy_set_rule(const struct policy_set *s, size_t i);
/* NULL if no rule has that name. */
const struct policy_rule *policy_set_rule_by_name(const struct policy_set *s, const char *name);

/* Files seen, in basename order; a winner comes before the files it overrides. */
size_t policy_set_n_files(const struct policy_set *s);
const struct policy_file *policy_set_file(const struct policy_set *s, size_t i);

/* Formats "file:line:column: message" (or "file: message", or "message"). */
int policy_error_format(const struct policy_error *e, char *buf, size_t size);

/*
 * Builds the kernel's memory.promotion.max line for a setting: "max PERIOD"
 * or "BYTES PERIOD", BYTES = rate * period (see rate_to_max_bytes()); an
 * unset period is PROMOTION_PERIOD_DEFAULT_US and an unset max is "max".
 * -ENODATA when the setting sets neither max nor period (nothing to write),
 * -ERANGE for a period outside the kernel's range or a budget that does not
 * fit (neither happens for rules that loaded), -ENOBUFS if buf is too small.
 */
int promotion_setting_to_max_string(const struct promotion_setting *s, char *buf, size_t size);

/* "max=64.0 MiB/s period=100ms weight=50", listing only what is set. */
int promotion_setting_format(const struct promotion_setting *s, char *buf, size_t size);

/* "guaranteed", "burstable", "besteffort"; NULL for anything else. */
const char *policy_qos_to_string(enum policy_qos q);
/* -EINVAL for an unknown name. */
int policy_qos_from_string(const char *s, enum policy_qos *ret);

/* 0 if path is a valid relative cgroup path (see top of file), else -EINVAL. */
int cgroup_path_validate(const char *path);

/*
 * The systemd unit of a cgroup: its deepest path component ending in
 * .service, .scope, .slice, .socket, .mount or .swap ("system.slice/
 * nginx.service/worker" -> "nginx.service"). -ENXIO if there is none.
 */
int cgroup_path_get_unit(const char *path, char **ret_unit);

/*
 * The Kubernetes QoS class of a cgroup at or below a QoS-level cgroup, for
 * both kubelet cgroup drivers: systemd ("kubepods.slice/kubepods-burstable.slice/
 * ...", "kubepods.slice/kubepods-pod<uid>.slice" = guaranteed) and cgroupfs
 * ("kubepods/besteffort/...", "kubepods/pod<uid>" = guaranteed). The
 * kubepods cgroup may sit below a prefix (kubelet --cgroup-root). -ENXIO
 * when the cgroup is not in a pod or QoS cgroup.
 */
int cgroup_path_get_qos(const char *path, enum policy_qos *ret_qos);

/*
 * 1 if every selector of the rule matches the cgroup, 0 if not; then
 * *ret_failed (if not NULL) names the first failing selector, checked in
 * the order cgroup, unit, qos. -EINVAL for a bad path.
 */
enum policy_selector {
	POLICY_SELECTOR_NONE = 0,
	POLICY_SELECTOR_CGROUP,
	POLICY_SELECTOR_UNIT,
	POLICY_SELECTOR_QOS,
};
const char *policy_selector_to_string(enum policy_selector sel);
int policy_rule_match(const struct policy_rule *r, const char *cgroup_path, enum policy_selector *ret_failed);

/*
 * The effective rule of a cgroup: the matching rule with the highest
 * priority; on equal priority the later rule in application order wins
 * (later basename, then later in the file), like drop-ins. The winner
 * supplies all settings; nothing merges across rules. -ENOENT when no rule
 * matches, -EINVAL for a bad path.
 */
int policy_set_resolve(const struct policy_set *s, const char *cgroup_path, const struct policy_rule **ret_rule);

enum policy_verdict {
	POLICY_VERDICT_WON,       /* matched and is the effective rule */
	POLICY_VERDICT_LOST,      /* matched, beaten by the winner */
	POLICY_VERDICT_NO_MATCH,  /* a selector failed */
};

struct policy_explain_entry {
	const struct policy_rule *rule;
	enum policy_verdict verdict;
	enum policy_selector failed_selector; /* for NO_MATCH */
};

/* Structured explain result; rule pointers borrow from the set, which must outlive it. */
struct policy_explanation {
	char *cgroup_path;
	char *unit;                /* derived unit, NULL if none */
	enum policy_qos qos;       /* derived class, POLICY_QOS_NONE if none */
	const struct policy_rule *winner; /* NULL if nothing matched */
	size_t n_entries;          /* one per rule, in application order */
	struct policy_explain_entry *entries;
};

/* Why each rule did or did not apply to cgroup_path. -EINVAL for a bad path. */
int policy_set_explain_full(const struct policy_set *s, const char *cgroup_path, struct policy_explanation **ret);
struct policy_explanation *policy_explanation_free(struct policy_explanation *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy_explanation *, policy_explanation_free);

/* Multi-line human text for an explanation (newline-terminated lines). */
int policy_explanation_format(const struct policy_explanation *e, char **ret_text);

/* policy_set_explain_full() + policy_explanation_format(). */
int policy_set_explain(const struct policy_set *s, const char *cgroup_path, char **ret_text);
