// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the config file parser.  Whatever parses must be
 * written back by showconf's writer into text that parses again to the
 * same text (the setconf/showconf round trip), and must build into
 * netlink messages that stay within the size limit (the first message
 * may grow by the NAT nest, which is never split).
 */
#include "config.h"
#include "msg.h"
#include "nat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *write_text(const struct tw_device *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	config_write(f, d);
	fclose(f);
	return buf;
}

static void check_messages(const struct tw_device *d)
{
	struct tw_build b = { .family = 0x10, .seq = 1, .max_len = 2048 };
	struct tw_batch batch;
	size_t i, max = 2048;

	if (TW_HAS(d, TW_NAT) && nat_put_size(&d->nat) + 1024 > max)
		max = nat_put_size(&d->nat) + 1024;
	build_set(d, &b, &batch);
	for (i = 0; i < batch.n; i++)
		if (batch.msgs[i].len > max)
			abort();
	batch_free(&batch);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tw_device a, b;
	char *t1, *t2;

	dev_init(&a);
	if (config_parse("fuzz", (const char *)data, size, &a)) {
		dev_free(&a);
		return 0;
	}
	check_messages(&a);
	t1 = write_text(&a);
	dev_init(&b);
	if (config_parse("t1", t1, strlen(t1), &b))
		abort();	/* showconf output must parse */
	t2 = write_text(&b);
	if (strcmp(t1, t2))
		abort();	/* and round-trip exactly */
	free(t1);
	free(t2);
	dev_free(&a);
	dev_free(&b);
	return 0;
}
