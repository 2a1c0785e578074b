// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for `twill set` arguments: the input is split on
 * newlines into argv.  Accepted arguments must build into messages that
 * the reply parser reads back with the same number of prefixes.
 */
#include "msg.h"
#include "setargs.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 256

static size_t count_back(const struct tw_batch *batch)
{
	struct tw_device back;
	size_t i, n = 0;

	for (i = 0; i < batch->n; i++) {
		dev_init(&back);
		if (parse_device_msg((const void *)batch->msgs[i].buf, &back,
				     NULL))
			abort();
		n += peer_total_prefixes(&back);
		dev_free(&back);
	}
	return n;
}

static void check(const struct tw_device *d)
{
	struct tw_build b = { .family = 0x10, .seq = 1, .max_len = 1024 };
	struct tw_batch batch;
	size_t want = 0, i;

	for (i = 0; i < d->npeers; i++)
		if (!(d->peers[i].flags & TWILL_PEER_F_REMOVE))
			want += d->peers[i].npfx;
	build_set(d, &b, &batch);
	if (count_back(&batch) != want)
		abort();
	batch_free(&batch);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS], *p, *nl;
	struct tw_device d;
	int argc = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; p && argc < MAX_ARGS; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		argv[argc++] = p;
	}
	dev_init(&d);
	if (!parse_set_args(argc, argv, &d))
		check(&d);
	dev_free(&d);
	free(buf);
	return 0;
}
