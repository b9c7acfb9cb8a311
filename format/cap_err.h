/* SPDX-License-Identifier: MIT */
/*
 * cap_err.h - error context for the format library.
 *
 * Functions return 0 (or a count) on success and a negative errno-style
 * code on failure.  Format faults use fixed codes:
 *   -EBADMSG          corrupt data
 *   -ENODATA          truncated data (end of input inside a block or frame)
 *   -E2BIG            a length over a limit
 *   -EPROTONOSUPPORT  unsupported version
 * Details go into a struct cap_err owned by the object that failed;
 * cap_strerror() renders them as
 *   'FILE': offset N: block B: MESSAGE
 * The library never prints and never exits.
 */
#ifndef AS_FORMAT_CAP_ERR_H
#define AS_FORMAT_CAP_ERR_H

#include <stddef.h>
#include <stdint.h>

#define CAP_OFF_NONE UINT64_MAX

struct cap_err {
	int code;          /* negative errno-style code, 0 when no error */
	char file[256];    /* path, or "" */
	uint64_t offset;   /* byte offset in the file, or CAP_OFF_NONE */
	uint64_t block;    /* block number, or CAP_OFF_NONE */
	char msg[256];     /* what is wrong, lower case, no full stop */
};

void cap_err_clear(struct cap_err *e);

/*
 * Fill @e and return @code (negative), so callers can write
 *   return cap_err_set(e, -EBADMSG, path, off, blk, "bad magic %#x", m);
 */
int cap_err_set(struct cap_err *e, int code, const char *file, uint64_t offset,
		uint64_t block, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Render @e into @buf (always NUL-terminated); returns @buf. */
const char *cap_strerror(const struct cap_err *e, char *buf, size_t size);

#endif
