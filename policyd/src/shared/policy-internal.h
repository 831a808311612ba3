/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals shared by the policy-*.c files; not for the daemon or the CLI. */

#include "policy.h"

struct policy_set {
	struct policy_rule *rules;
	size_t n_rules;
	struct policy_file *files;
	size_t n_files;
};

/* Fills *e (if not NULL) and returns r, so callers can "return policy_error_set(...)". */
_printf_(6, 7) int policy_error_set(struct policy_error *e, const char *file, unsigned line, unsigned column, int r,
				    const char *fmt, ...);
_printf_(6, 0) int policy_error_setv(struct policy_error *e, const char *file, unsigned line, unsigned column, int r,
				     const char *fmt, va_list ap);

/* Frees what a rule owns, not the rule itself. */
void policy_rule_done(struct policy_rule *r);
void policy_file_done(struct policy_file *f);
/* Free arrays of n rules or files and their contents; NULL is fine. */
void policy_rules_free(struct policy_rule *rules, size_t n);
void policy_files_free(struct policy_file *files, size_t n);

/*
 * Parses one document into newly allocated rules (file set to path, index
 * left 0). An empty document yields zero rules and *ret_rules NULL.
 */
int policy_document_parse(const char *path, const char *text, size_t len, struct policy_rule **ret_rules,
			  size_t *ret_n_rules, struct policy_error *err);

/*
 * Takes ownership of rules and files (even on failure), numbers the rules,
 * rejects duplicate names and returns the finished set.
 */
int policy_set_new(struct policy_rule *rules, size_t n_rules, struct policy_file *files, size_t n_files,
		   struct policy_set **ret, struct policy_error *err);

/* Appends n src rules to *rules (reallocating); src's contents move, src is freed. */
int policy_rules_append(struct policy_rule **rules, size_t *n_rules, struct policy_rule *src, size_t n);

/* Name closest to word among candidates (edit distance <= 2), or NULL. */
const char *policy_suggest(const char *word, const char *const *candidates, size_t n_candidates);
