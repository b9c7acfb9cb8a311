/* SPDX-License-Identifier: MIT */
#include "cap_meta.h"

#include "cap_record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int cap_meta_put(struct cap_buf *kv, const char *key, const char *value)
{
	size_t k = strlen(key), v = strlen(value);
	uint8_t *p;

	if (!k || strchr(key, '='))
		return -EINVAL;
	p = cap_buf_grow(kv, k + 1 + v + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, key, k);
	p[k] = '=';
	memcpy(p + k + 1, value, v);
	return 0;
}

static int has_key(const struct cap_buf *kv, const char *key)
{
	size_t k = strlen(key), i = 0;

	while (i < kv->len) {
		const char *s = (const char *)kv->p + i;
		size_t n = strnlen(s, kv->len - i);

		if (n > k && !memcmp(s, key, k) && s[k] == '=')
			return 1;
		i += n + 1;
	}
	return 0;
}

static int put_new(struct cap_buf *kv, const char *key, const char *value)
{
	return has_key(kv, key) ? 0 : cap_meta_put(kv, key, value);
}

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int cap_meta_host(struct cap_buf *kv, uint64_t mono_ns, uint64_t real_ns)
{
	char host[256] = "", boot[64], num[32];
	struct utsname u;
	int rc = 0;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	gethostname(host, sizeof(host) - 1);
	read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	snprintf(num, sizeof(num), "%d", CAP_FORMAT_VERSION);
	rc |= put_new(kv, "format_version", num);
	rc |= put_new(kv, "writer", "asight-format " ASIGHT_VERSION);
	rc |= put_new(kv, "hostname", host);
	rc |= put_new(kv, "kernel", u.release);
	rc |= put_new(kv, "machine", u.machine);
	rc |= put_new(kv, "boot_id", boot);
	snprintf(num, sizeof(num), "%" PRIu64, mono_ns);
	rc |= put_new(kv, "clock_mono_ns", num);
	snprintf(num, sizeof(num), "%" PRIu64, real_ns);
	rc |= put_new(kv, "clock_real_ns", num);
	return rc ? -ENOMEM : 0;
}
