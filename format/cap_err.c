/* SPDX-License-Identifier: MIT */
#include "cap_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cap_err_clear(struct cap_err *e)
{
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->offset = CAP_OFF_NONE;
	e->block = CAP_OFF_NONE;
}

int cap_err_set(struct cap_err *e, int code, const char *file, uint64_t offset,
		uint64_t block, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->offset = offset;
	e->block = block;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *cap_strerror(const struct cap_err *e, char *buf, size_t size)
{
	size_t n = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (e->file[0])
		n += snprintf(buf + n, size - n, "'%s': ", e->file);
	if (n < size && e->offset != CAP_OFF_NONE)
		n += snprintf(buf + n, size - n, "offset %llu: ",
			      (unsigned long long)e->offset);
	if (n < size && e->block != CAP_OFF_NONE)
		n += snprintf(buf + n, size - n, "block %llu: ",
			      (unsigned long long)e->block);
	if (n < size)
		snprintf(buf + n, size - n, "%s",
			 e->msg[0] ? e->msg : strerror(e->code < 0 ? -e->code : e->code));
	return buf;
}
