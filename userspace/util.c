// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

char *tw_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		tw_grow((void **)&buf, &cap, len + 4097, 1);
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The directories above path (its last component is the file). */
static int mkdirs(const char *path)
{
	char dir[4096], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return tw_err("mkdir %s: %s", dir, strerror(errno));
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return tw_err("mkdir %s: %s", dir, strerror(errno));
	return 0;
}

int tw_write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (mkdirs(path))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return tw_err("%s: %s", tmp, strerror(errno));
	fputs(text, f);
	if (tw_close_output(f, tmp)) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return tw_err("%s: %s", path, strerror(errno));
	}
	return 0;
}
