/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP-like harness for the engine's unit tests: each TEST is a
 * function; EXPECT_* records a failure with file:line and the values, and
 * the test prints "ok - name" or "not ok - name # why" for tests/run.
 */
#ifndef PAGESTATE_UNIT_H
#define PAGESTATE_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;
static char unit_why[256];
static int unit_total_failed;

#define EXPECT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b && !unit_failed) {					\
		unit_failed = 1;					\
		snprintf(unit_why, sizeof(unit_why),			\
			 "%s:%d: %s == %lld, expected %s == %lld",	\
			 __FILE__, __LINE__, #a, _a, #b, _b);		\
	}								\
} while (0)

#define EXPECT_TRUE(c) do {						\
	if (!(c) && !unit_failed) {					\
		unit_failed = 1;					\
		snprintf(unit_why, sizeof(unit_why), "%s:%d: %s",	\
			 __FILE__, __LINE__, #c);			\
	}								\
} while (0)

#define RUN(fn) do {							\
	unit_failed = 0;						\
	fn();								\
	if (unit_failed) {						\
		printf("not ok - %s # %s\n", #fn, unit_why);		\
		unit_total_failed++;					\
	} else {							\
		printf("ok - %s\n", #fn);				\
	}								\
} while (0)

#define UNIT_EXIT() (unit_total_failed ? 1 : 0)

#endif
