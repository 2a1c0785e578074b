/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal test runner: CHECK() records failures, the runner counts tests. */
#ifndef TWILL_TEST_H
#define TWILL_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

extern int t_failed;


#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, \
			__LINE__, #cond); \
		t_failed = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) { \
		fprintf(stderr, "  %s:%d: CHECK_STR failed:\n    got:  '%s'\n" \
			"    want: '%s'\n", __FILE__, __LINE__, \
			a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		t_failed = 1; \
	} \
} while (0)

#define CHECK_CONTAINS(hay, needle) do { \
	const char *h_ = (hay), *n_ = (needle); \
	if (!h_ || !strstr(h_, n_)) { \
		fprintf(stderr, "  %s:%d: '%s' does not contain '%s'\n", \
			__FILE__, __LINE__, h_ ? h_ : "(null)", n_); \
		t_failed = 1; \
	} \
} while (0)

struct test {
	const char *name;
	void (*fn)(void);
};

#define TEST_LIST(name) const struct test name[]; \
	const size_t name##_count

extern const struct test parse_tests[];
extern const size_t parse_tests_count;
extern const struct test config_tests[];
extern const size_t config_tests_count;
extern const struct test msg_tests[];
extern const size_t msg_tests_count;
extern const struct test diff_tests[];
extern const size_t diff_tests_count;
extern const struct test output_tests[];
extern const size_t output_tests_count;
extern const struct test nat_tests[];
extern const size_t nat_tests_count;
extern const struct test cluster_tests[];
extern const size_t cluster_tests_count;
extern const struct test service_tests[];
extern const size_t service_tests_count;
extern const struct test service_kmod_tests[];
extern const size_t service_kmod_tests_count;
extern const struct test maglev_tests[];
extern const size_t maglev_tests_count;
extern const struct test cni_tests[];
extern const size_t cni_tests_count;

/* work counters (test_count.c): calls into the hash sets and allocator */
extern unsigned long t_ops;
bool check_growth(const char *what, unsigned long ops1, unsigned long ops10);

/* helpers (test_main.c) */
double now_sec(void);
/* Captures what fn writes to a FILE into a malloc'd string. */
char *capture(void (*fn)(FILE *f, const void *arg), const void *arg);

#endif
