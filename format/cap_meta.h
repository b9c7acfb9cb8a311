/* SPDX-License-Identifier: MIT */
/*
 * cap_meta.h - "key=value\0" lists as stored in CAP_REC_META and
 * CAP_REC_TARGET records.
 */
#ifndef AS_FORMAT_CAP_META_H
#define AS_FORMAT_CAP_META_H

#include <stdint.h>

#include "cap_buf.h"

/* Append "key=value\0".  Keys may not contain '=' or NUL: -EINVAL. */
int cap_meta_put(struct cap_buf *kv, const char *key, const char *value);

/*
 * Append what the writer knows about this host unless @kv has it already:
 * format_version, writer, hostname, kernel, machine, boot_id, and the clock
 * anchor clock_mono_ns / clock_real_ns (taken together).
 */
int cap_meta_host(struct cap_buf *kv, uint64_t mono_ns, uint64_t real_ns);

#endif
