/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Names that come from other users (cgroup directories in a delegated
 * subtree) must not reach a terminal as they are: an ESC or a C1 CSI would
 * let their owner rewrite the screen of whoever runs cgtierctl. These
 * helpers make such text safe for people (C-style \xNN escapes, like
 * systemd's cescape) and for JSON (\u escapes, always valid UTF-8).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), its code point
 * in *ret; -EILSEQ for a byte that does not start one (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
int utf8_decode(const char *s, size_t n, uint32_t *ret);

bool utf8_is_valid(const char *s);

enum {
	ESCAPE_KEEP_NEWLINE = 1 << 0,  /* multi-line text: '\n' stays a line break */
	ESCAPE_INVALID_ONLY = 1 << 1,  /* only bytes of invalid UTF-8 (for D-Bus strings) */
};

/* Copy of s for display, NULL on ENOMEM: C0 controls, DEL, C1 controls and
 * bytes of invalid UTF-8 written as \xNN (\n, \t, \r in their short
 * forms); printable UTF-8 stays as it is. For people, not for parsing:
 * a '\' in the name is not doubled, so the result is not reversible. */
char *text_escape(const char *s, unsigned flags);

/* Writes s as a JSON string literal: '"' '\' and every control character
 * (C0, DEL, C1) escaped, bytes of invalid UTF-8 replaced by U+FFFD. */
void json_string_write(FILE *f, const char *s);

/* Writes s as a Prometheus label value: '"' '\' and newline escaped (the
 * format's only escapes), invalid UTF-8 replaced by U+FFFD. */
void prometheus_label_write(FILE *f, const char *s);
