/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the policy loader: the one parser that reads files
 * any admin (and, through D-Bus Validate, any caller) can hand us.
 * Every successful load is also resolved and explained, so that the rule
 * structures the parser builds are exercised, not just allocated.
 */
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
	"system.slice/nginx.service",
	"kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-1.scope",
	"kubepods/pod1/c1",
	"user.slice/user-1000.slice/user@1000.service/app.slice/a.scope",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	struct policy_error e = {};
	char buf[1024];

	if (policy_set_load_text("fuzz.yaml", (const char *)data, size, &s, &e) < 0) {
		/* Every failure must come with a printable message. */
		if (policy_error_format(&e, buf, sizeof(buf)) < 0 && e.message[0] == 0)
			__builtin_trap();
		return 0;
	}

	for (size_t i = 0; i < policy_set_n_rules(s); i++) {
		const struct policy_rule *r = policy_set_rule(s, i);

		(void)promotion_setting_to_max_string(&r->promotion, buf, sizeof(buf));
		(void)promotion_setting_format(&r->promotion, buf, sizeof(buf));
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const struct policy_rule *r;
		_cleanup_free_ char *t = NULL;

		(void)policy_set_resolve(s, paths[i], &r);
		if (policy_set_explain(s, paths[i], &t) < 0)
			__builtin_trap();
	}
	return 0;
}
