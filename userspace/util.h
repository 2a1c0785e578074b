/* SPDX-License-Identifier: GPL-2.0 */
/* Error reporting and allocation helpers shared by every part of twill. */
#ifndef TWILL_UTIL_H
#define TWILL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TW_ERRLEN 1024

/* The last error, one line without the "twill: " prefix. */
extern char tw_errmsg[TW_ERRLEN];

/* Sets tw_errmsg and returns -1. */
int tw_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prepends "<context>: " to tw_errmsg and returns -1. */
int tw_err_ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *tw_malloc(size_t size);
void *tw_calloc(size_t n, size_t size);
void *tw_realloc(void *p, size_t n, size_t size);
/* Grows *p (element size `size`) so that it holds at least `need` elements. */
void tw_grow(void **p, size_t *cap, size_t need, size_t size);

/*
 * Closes an output stream; -1 with a message if anything written to it
 * was lost (a full disk, a closed pipe), so a truncated file is an error.
 */
int tw_close_output(FILE *f, const char *what);

/* A file's contents (malloc'd, NUL-terminated), NULL if it cannot be
 * opened (errno says why). */
char *tw_read_file(const char *path);

/*
 * Writes `text` to path atomically (a temporary file, then rename),
 * making the directories above it (0755) if they are missing.
 */
int tw_write_file(const char *path, const char *text);

#define TW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
