/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <yaml.h>

#include "policy-internal.h"
#include "policy-yaml.h"

struct tree_parser {
	yaml_parser_t parser;
	const char *path;
	const char *text;
	size_t len;
	struct policy_error *err;
};

struct ynode *ynode_free(struct ynode *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n_children; i++)
		ynode_free(n->children[i]);
	free(n->children);
	free(n->value);
	free(n);
	return NULL;
}

const char *ynode_type_to_string(enum ynode_type t)
{
	switch (t) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQUENCE:
		return "a sequence";
	case YNODE_MAPPING:
		return "a mapping";
	}
	return "unknown";
}

static void event_deletep(yaml_event_t *e)
{
	yaml_event_delete(e);
}

/* libyaml marks are 0-based; people count from 1. */
static _printf_(4, 5) int tree_error_at(struct tree_parser *tp, yaml_mark_t mark, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = policy_error_setv(tp->err, tp->path, (unsigned)mark.line + 1, (unsigned)mark.column + 1, r, fmt, ap);
	va_end(ap);
	return r;
}

/* Reader errors only carry a byte offset; count lines and characters ourselves. */
static void offset_to_position(const char *text, size_t len, size_t offset, unsigned *ret_line, unsigned *ret_column)
{
	unsigned line = 1, column = 1;

	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			column = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80)
			column++;
	}
	*ret_line = line;
	*ret_column = column;
}

static int tree_libyaml_error(struct tree_parser *tp)
{
	const yaml_parser_t *p = &tp->parser;
	const char *problem = strempty(p->problem);
	unsigned line, column;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return policy_error_set(tp->err, tp->path, 0, 0, -ENOMEM, "out of memory");

	case YAML_READER_ERROR:
		offset_to_position(tp->text, tp->len, p->problem_offset, &line, &column);
		return policy_error_set(tp->err, tp->path, line, column, -EINVAL, "invalid text: %s (files must be UTF-8)",
					problem);

	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		line = (unsigned)p->problem_mark.line + 1;
		column = (unsigned)p->problem_mark.column + 1;
		if (p->problem_mark.index < tp->len && tp->text[p->problem_mark.index] == '\t')
			return policy_error_set(tp->err, tp->path, line, column, -EINVAL,
						"tab character: YAML indentation must use spaces");
		if (p->context && streq(p->context, "while scanning an alias"))
			return policy_error_set(tp->err, tp->path, line, column, -EINVAL,
						"invalid YAML: %s (a value starting with \"*\" must be quoted, e.g. \"*.service\")",
						problem);
		if (p->context)
			return policy_error_set(tp->err, tp->path, line, column, -EINVAL, "invalid YAML: %s %s", problem,
						p->context);
		return policy_error_set(tp->err, tp->path, line, column, -EINVAL, "invalid YAML: %s", problem);

	default:
		return policy_error_set(tp->err, tp->path, 0, 0, -EINVAL, "invalid YAML: %s", problem);
	}
}

static int tree_next_event(struct tree_parser *tp, yaml_event_t *ret)
{
	if (!yaml_parser_parse(&tp->parser, ret))
		return tree_libyaml_error(tp);
	return 0;
}

static struct ynode *ynode_new(enum ynode_type type, yaml_mark_t mark)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = (unsigned)mark.line + 1;
	n->column = (unsigned)mark.column + 1;
	return n;
}

static int ynode_add_child(struct ynode *parent, struct ynode *child)
{
	size_t n = parent->n_children;

	/* Grow geometrically: a 1 MiB flow sequence holds ~350000 items. */
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		struct ynode **c = reallocarray(parent->children, n ? n * 2 : 4, sizeof(*c));

		if (!c)
			return -ENOMEM;
		parent->children = c;
	}
	parent->children[parent->n_children++] = child;
	return 0;
}

/* Anchors are refused outright: aliases are how "billion laughs" expands. */
static int tree_check_node_event(struct tree_parser *tp, const yaml_event_t *e)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (e->type) {
	case YAML_ALIAS_EVENT:
		return tree_error_at(tp, e->start_mark, -EINVAL, "YAML aliases (\"*%s\") are not supported",
				     (const char *)e->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = e->data.scalar.anchor;
		tag = e->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = e->data.sequence_start.anchor;
		tag = e->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = e->data.mapping_start.anchor;
		tag = e->data.mapping_start.tag;
		break;
	default:
		return tree_error_at(tp, e->start_mark, -EINVAL, "unexpected YAML event");
	}

	if (anchor)
		return tree_error_at(tp, e->start_mark, -EINVAL, "YAML anchors (\"&%s\") are not supported",
				     (const char *)anchor);
	if (tag)
		return tree_error_at(tp, e->start_mark, -EINVAL, "YAML tags (\"%s\") are not supported",
				     (const char *)tag);
	return 0;
}

static int tree_parse_node(struct tree_parser *tp, const yaml_event_t *e, unsigned depth, struct ynode **ret);

static int tree_parse_scalar(struct tree_parser *tp, const yaml_event_t *e, struct ynode **ret)
{
	_cleanup_(ynode_freep) struct ynode *n = NULL;
	size_t l = e->data.scalar.length;

	/* A double-quoted "\0" would otherwise cut the value short silently. */
	if (memchr(e->data.scalar.value, 0, l))
		return tree_error_at(tp, e->start_mark, -EINVAL, "value contains a NUL character");

	n = ynode_new(YNODE_SCALAR, e->start_mark);
	if (!n)
		return -ENOMEM;
	n->value = strndup((const char *)e->data.scalar.value, l);
	if (!n->value)
		return -ENOMEM;
	n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

	*ret = TAKE_PTR(n);
	return 0;
}

static int tree_check_duplicate_key(struct tree_parser *tp, const struct ynode *map, const struct ynode *key)
{
	for (size_t i = 0; i < map->n_children; i += 2) {
		const struct ynode *k = map->children[i];

		if (!streq(k->value, key->value))
			continue;
		return policy_error_set(tp->err, tp->path, key->line, key->column, -EINVAL,
					"duplicate key \"%s\" (first set at line %u, column %u)", key->value, k->line,
					k->column);
	}
	return 0;
}

static int tree_parse_collection(struct tree_parser *tp, const yaml_event_t *start, unsigned depth,
				 struct ynode **ret)
{
	bool mapping = start->type == YAML_MAPPING_START_EVENT;
	yaml_event_type_t end_type = mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	_cleanup_(ynode_freep) struct ynode *n = NULL;
	int r;

	if (depth >= POLICY_NESTING_MAX)
		return tree_error_at(tp, start->start_mark, -EINVAL, "nesting is deeper than %d levels", POLICY_NESTING_MAX);

	n = ynode_new(mapping ? YNODE_MAPPING : YNODE_SEQUENCE, start->start_mark);
	if (!n)
		return -ENOMEM;

	for (;;) {
		_cleanup_(event_deletep) yaml_event_t e = {};
		_cleanup_(ynode_freep) struct ynode *child = NULL;

		r = tree_next_event(tp, &e);
		if (r < 0)
			return r;
		if (e.type == end_type)
			break;

		r = tree_parse_node(tp, &e, depth + 1, &child);
		if (r < 0)
			return r;

		/* Keys sit at even positions of a mapping's children. */
		if (mapping && n->n_children % 2 == 0) {
			if (child->type != YNODE_SCALAR)
				return policy_error_set(tp->err, tp->path, child->line, child->column, -EINVAL,
							"mapping keys must be scalars, got %s",
							ynode_type_to_string(child->type));
			if (n->n_children / 2 >= YAML_MAPPING_KEYS_MAX)
				return policy_error_set(tp->err, tp->path, child->line, child->column, -EINVAL,
							"mapping has more than %d keys", YAML_MAPPING_KEYS_MAX);
			r = tree_check_duplicate_key(tp, n, child);
			if (r < 0)
				return r;
		}

		r = ynode_add_child(n, child);
		if (r < 0)
			return r;
		TAKE_PTR(child);
	}

	*ret = TAKE_PTR(n);
	return 0;
}

static int tree_parse_node(struct tree_parser *tp, const yaml_event_t *e, unsigned depth, struct ynode **ret)
{
	int r;

	r = tree_check_node_event(tp, e);
	if (r < 0)
		return r;

	if (e->type == YAML_SCALAR_EVENT)
		return tree_parse_scalar(tp, e, ret);
	return tree_parse_collection(tp, e, depth, ret);
}

static int tree_expect(struct tree_parser *tp, yaml_event_type_t type, yaml_event_t *ret)
{
	int r;

	r = tree_next_event(tp, ret);
	if (r < 0)
		return r;
	if (ret->type != type) {
		/* yaml_event_delete() zeroes the event: take the mark first. */
		yaml_mark_t mark = ret->start_mark;

		yaml_event_delete(ret);
		return tree_error_at(tp, mark, -EINVAL, "unexpected YAML structure");
	}
	return 0;
}

int yaml_tree_parse(const char *path, const char *text, size_t len, struct ynode **ret_root, struct policy_error *err)
{
	struct tree_parser tp = { .path = path, .text = text, .len = len, .err = err };
	_cleanup_(ynode_freep) struct ynode *root = NULL;
	int r;

	/* libyaml only skips a byte-order mark when it guesses the encoding itself. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		tp.text += 3;
		tp.len -= 3;
	}

	if (!yaml_parser_initialize(&tp.parser))
		return policy_error_set(err, path, 0, 0, -ENOMEM, "out of memory");
	yaml_parser_set_input_string(&tp.parser, (const unsigned char *)tp.text, tp.len);
	/* One encoding only, so that the byte offsets of reader errors are positions. */
	yaml_parser_set_encoding(&tp.parser, YAML_UTF8_ENCODING);

	{
		_cleanup_(event_deletep) yaml_event_t e = {};

		r = tree_expect(&tp, YAML_STREAM_START_EVENT, &e);
		if (r < 0)
			goto finish;
	}

	for (unsigned docs = 0;; docs++) {
		_cleanup_(event_deletep) yaml_event_t e = {};
		_cleanup_(event_deletep) yaml_event_t content = {};
		_cleanup_(event_deletep) yaml_event_t end = {};

		r = tree_next_event(&tp, &e);
		if (r < 0)
			goto finish;
		if (e.type == YAML_STREAM_END_EVENT)
			break;
		if (docs > 0) {
			r = tree_error_at(&tp, e.start_mark, -EINVAL,
					  "more than one YAML document: put each document in its own file");
			goto finish;
		}

		r = tree_next_event(&tp, &content);
		if (r < 0)
			goto finish;
		r = tree_parse_node(&tp, &content, 0, &root);
		if (r < 0)
			goto finish;

		r = tree_expect(&tp, YAML_DOCUMENT_END_EVENT, &end);
		if (r < 0)
			goto finish;
	}

	/* "---" alone is an empty plain scalar: as empty as no content at all. */
	if (root && root->type == YNODE_SCALAR && root->plain && isempty(root->value))
		root = ynode_free(root);

	*ret_root = TAKE_PTR(root);
	r = 0;
finish:
	yaml_parser_delete(&tp.parser);
	return r;
}
