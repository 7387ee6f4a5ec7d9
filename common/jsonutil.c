// SPDX-License-Identifier: GPL-2.0
/*
 * JSON values shared by the exporters, see jsonutil.h.
 */
#include <stdio.h>

#include "pagestate/jsonutil.h"

json_t *ps_json_hex(u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

json_t *ps_json_known(s64 v, bool known)
{
	return known ? json_integer(v) : json_null();
}

json_t *ps_json_pg_flags(u64 flags)
{
	json_t *a = json_array();
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		const char *n = ps_pg_flag_name(bit);

		if (n && (flags & (1ull << bit)))
			json_array_append_new(a, json_string(n));
	}
	return a;
}
