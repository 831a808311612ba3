/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A small, checked YAML tree built from libyaml events. libyaml itself has no
 * depth limit and expands aliases; this layer refuses aliases, anchors and
 * tags, limits nesting, rejects duplicate mapping keys and keeps every
 * node's position for error messages, so the schema code never sees libyaml.
 */

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* A mapping with more keys than this is not a policy; refuse it early. */
#define YAML_MAPPING_KEYS_MAX 256

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
};

struct ynode {
	enum ynode_type type;
	unsigned line, column;  /* 1-based */
	char *value;            /* scalar only, NUL-terminated, never contains NUL */
	bool plain;             /* scalar written without quotes or block style */
	struct ynode **children; /* sequence items; mapping: key, value, key, value... */
	size_t n_children;
};

/*
 * Parses one YAML document. *ret_root is NULL for an empty document (no
 * content, only comments). Errors carry path and 1-based line:column.
 */
int yaml_tree_parse(const char *path, const char *text, size_t len, struct ynode **ret_root, struct policy_error *err);

struct ynode *ynode_free(struct ynode *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ynode *, ynode_free);

/* "a scalar", "a sequence", "a mapping": for "expected X, got Y" messages. */
const char *ynode_type_to_string(enum ynode_type t);
