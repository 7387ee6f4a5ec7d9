/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few JSON values every exporter writes the same way (report, the
 * TUI's timeline export): pfns as "0x..", values a recording cannot know
 * as null, page flags by name.
 */
#ifndef PAGESTATE_JSONUTIL_H
#define PAGESTATE_JSONUTIL_H

#include <jansson.h>

#include "pagestate/pageop.h"

json_t *ps_json_hex(u64 v);
/* v, or null when the recording does not know it */
json_t *ps_json_known(s64 v, bool known);
/* PS_PG_* flags as an array of their names */
json_t *ps_json_pg_flags(u64 flags);

#endif
