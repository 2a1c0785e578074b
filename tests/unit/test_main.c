// SPDX-License-Identifier: GPL-2.0
#include "test.h"

#include <stdlib.h>
#include <time.h>

int t_failed;

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *capture(void (*fn)(FILE *f, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fn(f, arg);
	fclose(f);
	return buf;
}

struct suite {
	const struct test *tests;
	const size_t *count;
};

int main(int argc, char **argv)
{
	const struct suite suites[] = {
		{ parse_tests, &parse_tests_count },
		{ config_tests, &config_tests_count },
		{ msg_tests, &msg_tests_count },
		{ diff_tests, &diff_tests_count },
		{ output_tests, &output_tests_count },
		{ nat_tests, &nat_tests_count },
		{ cluster_tests, &cluster_tests_count },
		{ service_tests, &service_tests_count },
		{ maglev_tests, &maglev_tests_count },
		{ service_kmod_tests, &service_kmod_tests_count },
		{ cni_tests, &cni_tests_count },
	};
	const char *only = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;
	size_t s, i;

	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		for (i = 0; i < *suites[s].count; i++) {
			const struct test *t = &suites[s].tests[i];

			if (only && !strstr(t->name, only))
				continue;
			t_failed = 0;
			t->fn();
			printf("%s %s\n", t_failed ? "FAIL" : "ok  ", t->name);
			if (t_failed)
				failed++;
			else
				passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
