/* SPDX-License-Identifier: MIT */
/*
 * fuzz_bundle.c - incident bundles (bundle.h) from arbitrary bytes: the
 * content sniffing, libarchive's tar and zstd readers as bundle_read drives
 * them, the unpack limit (a few hundred bytes must never become gigabytes:
 * the corpus holds a sparse member and a forged size), the manifest checks.
 * Everything a bundle reader does before a capture reader sees a member.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-bundle", MFD_CLOEXEC);
	char path[64], msg[1024], hash[65];
	struct bundle *b;
	uint64_t frames;
	size_t i;

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (write(fd, data, size) == (ssize_t)size && bundle_detect(path) &&
	    !bundle_read(path, &b, msg, sizeof(msg))) {
		bundle_check(b, ignore, NULL);
		for (i = 0; i < b->n; i++)
			if (b->m[i].fd >= 0)
				bundle_manifest_capture(b, b->m[i].name, hash, &frames);
		bundle_free(b, 0);
	}
	close(fd);
	return 0;
}
