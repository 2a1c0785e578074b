// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char tw_errmsg[TW_ERRLEN];

int tw_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tw_errmsg, sizeof(tw_errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

int tw_err_ctx(const char *fmt, ...)
{
	char ctx[TW_ERRLEN], old[TW_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, tw_errmsg, sizeof(old));
	/* a long message is cut short, which is fine for an error */
	if (snprintf(tw_errmsg, sizeof(tw_errmsg), "%s: %s", ctx, old) < 0)
		tw_errmsg[0] = '\0';
	return -1;
}

static _Noreturn void oom(void)
{
	fputs("twill: out of memory\n", stderr);
	exit(1);
}

void *tw_malloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *tw_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *tw_realloc(void *p, size_t n, size_t size)
{
	void *q;

	if (size && n > SIZE_MAX / size)
		oom();
	q = realloc(p, (n && size) ? n * size : 1);
	if (!q)
		oom();
	return q;
}

void tw_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (ncap < need)
		ncap *= 2;
	*p = tw_realloc(*p, ncap, size);
	*cap = ncap;
}

int tw_close_output(FILE *f, const char *what)
{
	bool failed = ferror(f) != 0;

	errno = 0;
	if (fclose(f) != 0 || failed)
		return tw_err("error writing %s: %s", what,
			      strerror(errno ? errno : EIO));
	return 0;
}
