/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's headers to build kmod/maglev.c (and its
 * self-test) natively: types, allocation, printk and SipHash-2-4.  Every
 * linux/ header here includes this one.
 */
#ifndef TWILL_KSHIM_H
#define TWILL_KSHIM_H

#include <linux/types.h>	/* the system's, through linux/types.h here */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef unsigned int gfp_t;

#define U16_MAX		((u16)~0U)
#define GFP_KERNEL		0u
#define GFP_KERNEL_ACCOUNT	0u
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(n, size);
}

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return n && size > SIZE_MAX / n ? NULL : malloc(n * size);
}

static inline void kvfree(const void *p)
{
	free((void *)p);
}

static inline void cond_resched(void)
{
}

/* printk's %pV: a nested format, as the self-tests' error helpers use. */
struct va_format {
	const char *fmt;
	va_list *va;
};

extern int kshim_log_errors;

static inline __attribute__((format(printf, 2, 3)))
void kshim_printk(bool err, const char *fmt, ...)
{
	const char *pv = strstr(fmt, "%pV");
	va_list args;

	if (err && !kshim_log_errors)
		return;
	va_start(args, fmt);
	if (pv) {
		struct va_format *vaf = va_arg(args, struct va_format *);

		fprintf(stderr, "%.*s", (int)(pv - fmt), fmt);
		vfprintf(stderr, vaf->fmt, *vaf->va);
		fputs(pv + 3, stderr);
	} else if (err) {
		vfprintf(stderr, fmt, args);
	}
	va_end(args);
}

#define pr_err(...)	kshim_printk(true, __VA_ARGS__)
#define pr_info(...)	kshim_printk(false, __VA_ARGS__)

typedef struct {
	u64 key[2];
} siphash_key_t;

u64 siphash(const void *data, size_t len, const siphash_key_t *key);

#endif
