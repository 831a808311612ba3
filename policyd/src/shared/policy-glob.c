/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdarg.h>

#include "policy-glob.h"
#include "util.h"

enum token_type {
	TOKEN_CHAR,     /* one literal character */
	TOKEN_ANY,      /* ?  */
	TOKEN_STAR,     /* *  */
	TOKEN_GLOBSTAR, /* ** */
	TOKEN_SPLIT,    /* no input: may jump over a "**" + "/" pair */
};

struct token {
	enum token_type type;
	char c;
	unsigned short jump;
};

struct nfa {
	struct token tokens[GLOB_PATTERN_MAX];
	size_t n;
	bool state[2][GLOB_PATTERN_MAX + 1];
};

const char *const unit_cgroup_suffixes[6] = {
	".service", ".scope", ".slice", ".socket", ".mount", ".swap",
};

static _printf_(3, 4) int invalid(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (why && size > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int nfa_compile(struct nfa *m, const char *p)
{
	size_t n = 0;

	for (size_t i = 0; p[i]; n++) {
		if (n + 3 > GLOB_PATTERN_MAX)
			return -E2BIG;

		if (p[i] == '*' && p[i + 1] == '*') {
			/* A whole "**" component may also stand for no component at all. */
			if ((i == 0 || p[i - 1] == '/') && p[i + 2] == '/') {
				m->tokens[n] = (struct token){ .type = TOKEN_SPLIT, .jump = (unsigned short)(n + 3) };
				m->tokens[++n] = (struct token){ .type = TOKEN_GLOBSTAR };
				m->tokens[++n] = (struct token){ .type = TOKEN_CHAR, .c = '/' };
				i += 3;
			} else {
				m->tokens[n] = (struct token){ .type = TOKEN_GLOBSTAR };
				i += 2;
			}
		} else if (p[i] == '*') {
			m->tokens[n] = (struct token){ .type = TOKEN_STAR };
			i++;
		} else if (p[i] == '?') {
			m->tokens[n] = (struct token){ .type = TOKEN_ANY };
			i++;
		} else {
			m->tokens[n] = (struct token){ .type = TOKEN_CHAR, .c = p[i] };
			i++;
		}
	}

	m->n = n;
	return 0;
}

/* Adds state s and everything reachable from it without consuming input. */
static void nfa_add(const struct nfa *m, bool *set, size_t s)
{
	while (s <= m->n && !set[s]) {
		if (s == m->n) {
			set[s] = true;
			return;
		}
		switch (m->tokens[s].type) {
		case TOKEN_SPLIT:
			set[s] = true;
			nfa_add(m, set, m->tokens[s].jump);
			s++;
			break;
		case TOKEN_STAR:
		case TOKEN_GLOBSTAR:
			set[s] = true;
			s++;
			break;
		default:
			set[s] = true;
			return;
		}
	}
}

bool glob_match(const char *pattern, const char *s)
{
	_cleanup_free_ struct nfa *m = NULL;
	bool *cur, *next;
	unsigned which = 0;

	if (!pattern || !s)
		return false;

	m = malloc(sizeof(*m));
	if (!m)
		return false;
	if (nfa_compile(m, pattern) < 0)
		return false;

	cur = m->state[0];
	memset(cur, 0, m->n + 1);
	nfa_add(m, cur, 0);

	for (const char *c = s; *c; c++) {
		bool any = false;

		next = m->state[which ^ 1];
		memset(next, 0, m->n + 1);

		for (size_t i = 0; i < m->n; i++) {
			const struct token *t = &m->tokens[i];

			if (!cur[i])
				continue;
			switch (t->type) {
			case TOKEN_CHAR:
				if (*c == t->c)
					nfa_add(m, next, i + 1);
				break;
			case TOKEN_ANY:
				if (*c != '/')
					nfa_add(m, next, i + 1);
				break;
			case TOKEN_STAR:
				if (*c != '/')
					nfa_add(m, next, i);
				break;
			case TOKEN_GLOBSTAR:
				nfa_add(m, next, i);
				break;
			case TOKEN_SPLIT:
				break;
			}
		}

		for (size_t i = 0; i <= m->n; i++)
			any = any || next[i];
		if (!any)
			return false;

		which ^= 1;
		cur = next;
	}

	return cur[m->n];
}

static int glob_validate_common(const char *what, const char *pattern, char *why, size_t why_size)
{
	if (isempty(pattern))
		return invalid(why, why_size, "%s glob is empty", what);
	if (strlen(pattern) >= GLOB_PATTERN_MAX)
		return invalid(why, why_size, "%s glob is longer than %d characters", what, GLOB_PATTERN_MAX - 1);

	for (const char *c = pattern; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return invalid(why, why_size, "%s glob contains a control character", what);
		if (*c == '[' || *c == ']')
			return invalid(why, why_size, "character classes (\"[...]\") are not supported in %s globs; use ? or *",
				       what);
		if (*c == '{' || *c == '}')
			return invalid(why, why_size,
				       "alternatives (\"{a,b}\") are not supported in %s globs; write one rule per alternative",
				       what);
	}

	if (strstr(pattern, "***"))
		return invalid(why, why_size, "\"***\" is ambiguous: use \"*\" (within a component) or \"**\" (across \"/\")");

	return 0;
}

int glob_cgroup_validate(const char *pattern, char *why, size_t why_size)
{
	const char *c;
	size_t l;
	int r;

	r = glob_validate_common("cgroup", pattern, why, why_size);
	if (r < 0)
		return r;

	if (pattern[0] == '/')
		return invalid(why, why_size,
			       "cgroup globs are relative to the cgroup2 root: drop the leading \"/\" (\"%s\")",
			       pattern + strspn(pattern, "/"));
	if (endswith(pattern, "/"))
		return invalid(why, why_size, "cgroup glob ends in \"/\": to match everything below, end it in \"/**\"");

	c = path_find_noncanonical_component(pattern, &l);
	if (c && l == 0)
		return invalid(why, why_size, "cgroup glob has an empty path component (\"//\")");
	if (c)
		return invalid(why, why_size, "cgroup glob has a \"%.*s\" component; cgroup paths are canonical", (int)l,
			       c);

	return 0;
}

/* The suffix after the last "." of a glob with no wildcard after that ".". */
static const char *unit_glob_literal_suffix(const char *pattern)
{
	const char *dot = strrchr(pattern, '.');

	if (!dot || strpbrk(dot, "*?"))
		return NULL;
	return dot;
}

int glob_unit_validate(const char *pattern, char *why, size_t why_size)
{
	const char *suffix;
	int r;

	r = glob_validate_common("unit", pattern, why, why_size);
	if (r < 0)
		return r;

	if (strchr(pattern, '/'))
		return invalid(why, why_size, "unit globs match unit names, which have no \"/\"; use cgroup: for paths");
	if (strlen(pattern) > 255)
		return invalid(why, why_size, "unit glob is longer than a unit name can be (255)");
	/* systemd's unit name alphabet, plus our two wildcards. */
	for (const char *c = pattern; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(":-_.\\@*?", *c))
			return invalid(why, why_size,
				       "unit glob contains \"%c\": unit names have only letters, digits and \":-_.\\@\"", *c);

	/* Catch "nginx" and "*.servce", which would silently never match. */
	if (!strpbrk(pattern, "*?") && !strchr(pattern, '.'))
		return invalid(why, why_size, "unit glob \"%s\" can never match: unit names have a type suffix, e.g. \"%s.service\"",
			       pattern, pattern);

	suffix = unit_glob_literal_suffix(pattern);
	if (suffix) {
		const char *best = NULL;
		size_t best_d = SIZE_MAX;

		for (size_t i = 0; i < ELEMENTSOF(unit_cgroup_suffixes); i++) {
			size_t d;

			if (streq(suffix, unit_cgroup_suffixes[i]))
				return 0;
			d = strlevenshtein(suffix, unit_cgroup_suffixes[i]);
			if (d < best_d) {
				best_d = d;
				best = unit_cgroup_suffixes[i];
			}
		}
		if (best && best_d <= 2)
			return invalid(why, why_size, "unknown unit type \"%s\" (did you mean \"%s\"?)", suffix, best);
		return invalid(why, why_size,
			       "unknown unit type \"%s\": cgroups belong to .service, .scope, .slice, .socket, .mount or .swap units",
			       suffix);
	}

	return 0;
}
