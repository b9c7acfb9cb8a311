/* SPDX-License-Identifier: MIT */
#include "rec_tlsfast.h"

#include <string.h>
#include <unistd.h>

#include "rec_entry.h"

/* how far into a function to look for the call (the wrappers are short) */
#define SCAN_BYTES 160
#define MAX_CALLS 16

/* Targets of every e8 rel32 byte pattern in the first bytes of a function. */
static int call_targets(int fd, uint64_t off, uint64_t *out)
{
	unsigned char b[SCAN_BYTES];
	ssize_t n = pread(fd, b, sizeof(b), (off_t)off);
	int k = 0;

	for (ssize_t i = 0; i + 5 <= n && k < MAX_CALLS; i++) {
		int32_t rel;

		if (b[i] != 0xe8)
			continue;
		memcpy(&rel, b + i + 1, 4);
		out[k++] = off + (uint64_t)i + 5 + (uint64_t)(int64_t)rel;
	}
	return k;
}

static int calls(const uint64_t *t, int n, uint64_t target)
{
	for (int i = 0; i < n; i++)
		if (t[i] == target)
			return 1;
	return 0;
}

uint64_t rec_tlsfast_callee(int fd, uint64_t pub, uint64_t ex, uint64_t named,
			    int (*is_named)(void *ctx, uint64_t off), void *ctx)
{
	uint64_t a[MAX_CALLS], b[MAX_CALLS];
	int na, nb;

	if (!pub || !ex)
		return 0;
	na = call_targets(fd, pub, a);
	nb = call_targets(fd, ex, b);
	if (!na || !nb)
		return 0;
	/* a named internal function counts only if both entry points call it:
	 * node has one, but inlines it into SSL_read */
	if (named)
		return calls(a, na, named) && calls(b, nb, named) ? named : 0;
	if (a[0] != b[0] || a[0] == pub || a[0] == ex || is_named(ctx, a[0]))
		return 0;
	return rec_entry_emulated_at(fd, a[0]) ? a[0] : 0;
}
