/* SPDX-License-Identifier: MIT */
/*
 * cap_rec.c - helpers for record contents, declared at the bottom of
 * cap_reader.h (they need no reader): key=value lists, fixed bodies of any
 * stored length, type names.
 */
#include "cap_reader.h"

#include <string.h>

#include "cap_cursor.h"

const char *cap_kv_find(const uint8_t *data, size_t len, const char *key)
{
	size_t k = strlen(key), i = 0;

	if (!data)
		return NULL;
	while (i < len) {
		const char *s = (const char *)data + i;
		size_t n = strnlen(s, len - i);

		if (n == len - i)
			return NULL; /* unterminated: never hand out an open string */
		if (n > k && !memcmp(s, key, k) && s[k] == '=')
			return s + k + 1;
		i += n + 1;
	}
	return NULL;
}

void cap_rec_fixed(const struct cap_rec *rec, void *dst, size_t size)
{
	cap_fixed_copy(dst, size, rec->fixed, rec->fixed ? rec->fixed_len : 0);
}

const char *cap_rec_type_name(unsigned type)
{
	switch (type) {
	case CAP_REC_FORK: return "fork";
	case CAP_REC_EXEC: return "exec";
	case CAP_REC_EXIT: return "exit";
	case CAP_REC_OPEN: return "open";
	case CAP_REC_WRITE: return "write";
	case CAP_REC_UNLINK: return "unlink";
	case CAP_REC_RENAME: return "rename";
	case CAP_REC_MKDIR: return "mkdir";
	case CAP_REC_CHMOD: return "chmod";
	case CAP_REC_TRUNCATE: return "truncate";
	case CAP_REC_READ: return "read";
	case CAP_REC_CONNECT: return "connect";
	case CAP_REC_ACCEPT: return "accept";
	case CAP_REC_BIND: return "bind";
	case CAP_REC_LISTEN: return "listen";
	case CAP_REC_CLOSE: return "close";
	case CAP_REC_TLS: return "tls";
	case CAP_REC_TLS_EVENT: return "tls_event";
	case CAP_REC_META: return "meta";
	case CAP_REC_PROC: return "proc";
	case CAP_REC_TARGET: return "target";
	case CAP_REC_STATS: return "stats";
	case CAP_REC_CHAIN: return "chain";
	case CAP_REC_FOOTER: return "footer";
	case CAP_REC_INDEX: return "index";
	case CAP_REC_LOSS: return "loss";
	case CAP_REC_PACKET: return "packet";
	case CAP_REC_FD: return "fd";
	default: return "unknown";
	}
}
