/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "rate.h"
#include "util.h"

struct unit {
	const char *suffix;
	uint64_t factor;
};

/* Both SI and IEC: operators copy numbers from vendors who use either. */
static const struct unit rate_units[] = {
	{ "B", 1ULL },
	{ "kB", 1000ULL },
	{ "KB", 1000ULL },
	{ "MB", 1000ULL * 1000 },
	{ "GB", 1000ULL * 1000 * 1000 },
	{ "TB", 1000ULL * 1000 * 1000 * 1000 },
	{ "KiB", 1ULL << 10 },
	{ "MiB", 1ULL << 20 },
	{ "GiB", 1ULL << 30 },
	{ "TiB", 1ULL << 40 },
};

static const struct unit period_units[] = {
	{ "us", 1ULL },
	{ "\xc2\xb5s", 1ULL }, /* µs */
	{ "ms", 1000ULL },
	{ "s", 1000000ULL },
};

#define FRACTION_DIGITS_MAX 9

static _printf_(3, 4) void set_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!why || size == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/*
 * Parses "DIGITS[.DIGITS]" at *p and advances *p past it. The value is kept
 * as an integer and a count of fraction digits so that scaling by a unit is
 * exact; no floating point anywhere.
 */
static int decimal_parse(const char **p, uint64_t *ret_int, uint64_t *ret_frac, unsigned *ret_frac_digits)
{
	const char *c = *p;
	uint64_t ip = 0, fp = 0;
	unsigned fd = 0;
	bool any = false;

	for (; *c >= '0' && *c <= '9'; c++) {
		unsigned d = (unsigned)(*c - '0');

		if (ip > (UINT64_MAX - d) / 10)
			return -ERANGE;
		ip = ip * 10 + d;
		any = true;
	}
	if (!any)
		return -EINVAL;

	if (*c == '.') {
		c++;
		if (*c < '0' || *c > '9')
			return -EINVAL;
		for (; *c >= '0' && *c <= '9'; c++) {
			if (fd == FRACTION_DIGITS_MAX)
				return -EINVAL;
			fp = fp * 10 + (uint64_t)(*c - '0');
			fd++;
		}
	}

	*p = c;
	*ret_int = ip;
	*ret_frac = fp;
	*ret_frac_digits = fd;
	return 0;
}

/* round((ip + fp / 10^fd) * factor), or -ERANGE beyond limit. */
static int decimal_scale(uint64_t ip, uint64_t fp, unsigned fd, uint64_t factor, uint64_t limit, uint64_t *ret)
{
	unsigned __int128 pow10 = 1, v;

	for (unsigned i = 0; i < fd; i++)
		pow10 *= 10;

	if (ip > limit / factor)
		return -ERANGE;
	v = (unsigned __int128)ip * factor + ((unsigned __int128)fp * factor + pow10 / 2) / pow10;
	if (v > limit)
		return -ERANGE;
	*ret = (uint64_t)v;
	return 0;
}

static const struct unit *unit_lookup(const struct unit *units, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(units[i].suffix) == len && strncmp(units[i].suffix, s, len) == 0)
			return &units[i];
	return NULL;
}

int rate_parse_explained(const char *s, uint64_t *ret_bytes_per_sec, char *why, size_t why_size)
{
	const struct unit *u;
	const char *p, *unit, *slash;
	uint64_t ip, fp, v;
	unsigned fd;
	size_t ulen;
	int r;

	if (!s || !ret_bytes_per_sec)
		return -EINVAL;

	if (streq(s, "unlimited") || streq(s, "max")) {
		*ret_bytes_per_sec = PROMOTION_MAX_UNLIMITED;
		return 0;
	}

	p = s;
	r = decimal_parse(&p, &ip, &fp, &fd);
	if (r == -ERANGE) {
		set_why(why, why_size, "number is too large");
		return r;
	}
	if (r < 0) {
		set_why(why, why_size, "expected a number and a unit per second, e.g. 64MiB/s, 10MB/s, or unlimited");
		return r;
	}

	if (*p == ' ')
		p++;
	unit = p;
	if (!*unit) {
		set_why(why, why_size, "missing unit: write e.g. \"%sMiB/s\" or \"%sMB/s\"", s, s);
		return -EINVAL;
	}

	slash = strchr(unit, '/');
	ulen = slash ? (size_t)(slash - unit) : strlen(unit);
	u = unit_lookup(rate_units, ELEMENTSOF(rate_units), unit, ulen);

	if (!u) {
		/* "Mb/s" is the most likely mistake: network people think in bits. */
		if (ulen >= 1 && unit[ulen - 1] == 'b') {
			set_why(why, why_size,
				"rates are in bytes, not bits: did you mean \"%.*s%.*sB/s\"?",
				(int)(unit - s), s, (int)(ulen - 1), unit);
			return -EINVAL;
		}
		if (ulen == 1 && strchr("kKMGT", unit[0])) {
			set_why(why, why_size, "ambiguous unit \"%c\": use \"%ciB\" (binary) or \"%cB\" (decimal)",
				unit[0], unit[0] == 'k' ? 'K' : unit[0], unit[0]);
			return -EINVAL;
		}
		set_why(why, why_size,
			"unknown unit \"%.*s\": use B, KiB, MiB, GiB, TiB (binary) or kB, MB, GB, TB (decimal), per second",
			(int)ulen, unit);
		return -EINVAL;
	}

	if (!slash || !streq(slash, "/s")) {
		set_why(why, why_size, "a rate needs \"/s\": did you mean \"%.*s/s\"?", (int)(unit - s + ulen), s);
		return -EINVAL;
	}

	/* UINT64_MAX is reserved for "unlimited". */
	r = decimal_scale(ip, fp, fd, u->factor, UINT64_MAX - 1, &v);
	if (r < 0) {
		set_why(why, why_size, "rate is too large (use \"unlimited\")");
		return r;
	}

	*ret_bytes_per_sec = v;
	return 0;
}

int rate_parse(const char *s, uint64_t *ret_bytes_per_sec)
{
	return rate_parse_explained(s, ret_bytes_per_sec, NULL, 0);
}

int rate_format(uint64_t bytes_per_sec, char *buf, size_t size)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned __int128 tenths;
	size_t i = 0;
	int r;

	if (bytes_per_sec == PROMOTION_MAX_UNLIMITED)
		r = snprintf_ok(buf, size, "unlimited");
	else if (bytes_per_sec < 1024)
		r = snprintf_ok(buf, size, "%" PRIu64 " B/s", bytes_per_sec);
	else {
		while (i + 1 < ELEMENTSOF(names) && bytes_per_sec >= (1ULL << (10 * (i + 1))))
			i++;
		tenths = ((unsigned __int128)bytes_per_sec * 10 + (1ULL << (10 * i)) / 2) >> (10 * i);
		/* 1023.96 KiB rounds to 1024.0: say 1.0 MiB instead. */
		if (tenths >= 10240 && i + 1 < ELEMENTSOF(names)) {
			i++;
			tenths = ((unsigned __int128)bytes_per_sec * 10 + (1ULL << (10 * i)) / 2) >> (10 * i);
		}
		r = snprintf_ok(buf, size, "%" PRIu64 ".%" PRIu64 " %s/s", (uint64_t)(tenths / 10),
				(uint64_t)(tenths % 10), names[i]);
	}

	return r < 0 ? r : 0;
}

int period_parse_explained(const char *s, uint64_t *ret_us, char *why, size_t why_size)
{
	const struct unit *u;
	const char *p;
	uint64_t ip, fp, v;
	unsigned fd;
	int r;

	if (!s || !ret_us)
		return -EINVAL;

	p = s;
	r = decimal_parse(&p, &ip, &fp, &fd);
	if (r == -ERANGE) {
		set_why(why, why_size, "period must be between 1ms and 10s");
		return r;
	}
	if (r < 0) {
		set_why(why, why_size, "expected a duration such as 100ms, 1s or 250000us");
		return r;
	}

	if (*p == ' ')
		p++;
	if (!*p) {
		set_why(why, why_size, "missing unit: write e.g. \"%sus\", \"%sms\" or \"%ss\"", s, s, s);
		return -EINVAL;
	}

	u = unit_lookup(period_units, ELEMENTSOF(period_units), p, strlen(p));
	if (!u) {
		set_why(why, why_size, "unknown unit \"%s\": use us, ms or s", p);
		return -EINVAL;
	}

	r = decimal_scale(ip, fp, fd, u->factor, UINT64_MAX, &v);
	if (r < 0 || v < PROMOTION_PERIOD_MIN_US || v > PROMOTION_PERIOD_MAX_US) {
		set_why(why, why_size, "period must be between 1ms and 10s");
		return -ERANGE;
	}

	*ret_us = v;
	return 0;
}

int period_parse(const char *s, uint64_t *ret_us)
{
	return period_parse_explained(s, ret_us, NULL, 0);
}

int period_format(uint64_t us, char *buf, size_t size)
{
	int r;

	if (us != 0 && us % 1000000 == 0)
		r = snprintf_ok(buf, size, "%" PRIu64 "s", us / 1000000);
	else if (us != 0 && us % 1000 == 0)
		r = snprintf_ok(buf, size, "%" PRIu64 "ms", us / 1000);
	else
		r = snprintf_ok(buf, size, "%" PRIu64 "us", us);

	return r < 0 ? r : 0;
}

int rate_to_max_bytes(uint64_t bytes_per_sec, uint64_t period_us, uint64_t *ret_max_bytes)
{
	unsigned __int128 v;

	if (!ret_max_bytes)
		return -EINVAL;
	if (period_us == 0)
		return -ERANGE;

	if (bytes_per_sec == PROMOTION_MAX_UNLIMITED) {
		*ret_max_bytes = PROMOTION_MAX_UNLIMITED;
		return 0;
	}

	v = ((unsigned __int128)bytes_per_sec * period_us + 500000) / 1000000;
	if (v == 0 && bytes_per_sec > 0)
		v = 1;
	/* The kernel would read UINT64_MAX as "max": refuse rather than alias. */
	if (v >= PROMOTION_MAX_UNLIMITED)
		return -ERANGE;

	*ret_max_bytes = (uint64_t)v;
	return 0;
}

int promotion_max_format(uint64_t max_bytes, uint64_t period_us, char *buf, size_t size)
{
	int r;

	if (max_bytes == PROMOTION_MAX_UNLIMITED)
		r = snprintf_ok(buf, size, "max %" PRIu64, period_us);
	else
		r = snprintf_ok(buf, size, "%" PRIu64 " %" PRIu64, max_bytes, period_us);

	return r < 0 ? r : 0;
}

/* Copies s without one trailing newline, as the kernel's files end in one. */
static int kernel_line_copy(const char *s, char *buf, size_t size)
{
	size_t l;

	if (!s)
		return -EINVAL;
	l = strlen(s);
	if (l > 0 && s[l - 1] == '\n')
		l--;
	if (l >= size)
		return -EINVAL;
	memcpy(buf, s, l);
	buf[l] = 0;
	return 0;
}

int promotion_max_parse(const char *kernel_text, uint64_t *ret_max, uint64_t *ret_period_us)
{
	char line[RATE_STRING_MAX], *space;
	uint64_t max, period;
	int r;

	r = kernel_line_copy(kernel_text, line, sizeof(line));
	if (r < 0)
		return r;

	space = strchr(line, ' ');
	if (!space)
		return -EINVAL;
	*space = 0;

	if (streq(line, "max"))
		max = PROMOTION_MAX_UNLIMITED;
	else if (safe_atou64(line, &max) < 0)
		return -EINVAL;

	if (safe_atou64(space + 1, &period) < 0 || period == 0)
		return -EINVAL;

	if (ret_max)
		*ret_max = max;
	if (ret_period_us)
		*ret_period_us = period;
	return 0;
}

int promotion_weight_parse(const char *s, uint32_t *ret_weight)
{
	char line[RATE_STRING_MAX];
	uint64_t v;
	int r;

	r = kernel_line_copy(s, line, sizeof(line));
	if (r < 0)
		return r;

	r = safe_atou64(line, &v);
	if (r < 0)
		return r;
	if (v < PROMOTION_WEIGHT_MIN || v > PROMOTION_WEIGHT_MAX)
		return -ERANGE;

	*ret_weight = (uint32_t)v;
	return 0;
}
