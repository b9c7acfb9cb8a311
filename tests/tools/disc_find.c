/* SPDX-License-Identifier: MIT */
/*
 * disc_find.c - run rec_disc (TLS functions in stripped binaries) on files
 * and print what it finds, with the time taken:
 *   disc_find FILE [BUILD_ID]
 * (ASIGHT_CACHE_DIR chooses the cache; a fresh directory measures a cold run)
 * The recorder's discovery sources are compiled in here, since record/ is
 * not a library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/rec_delf.c"
#include "record/rec_disc.c"
#include "record/rec_disc_boringssl.c"
#include "record/rec_disc_awslc.c"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct rec_disc_result r;
	int i, n;
	double t0;

	if (argc < 2) {
		fputs("usage: disc_find FILE [BUILD_ID]\n", stderr);
		return 2;
	}
	t0 = now_s();
	n = rec_disc_find(argv[1], argc > 2 ? argv[2] : "", &r);
	printf("found %d in %.3f s%s\n", n, now_s() - t0, r.cached ? " (cache)" : "");
	for (i = 0; i < r.n; i++)
		printf("%s 0x%llx cookie 0x%x kind %s method %s\n", r.f[i].name,
		       (unsigned long long)r.f[i].off, r.f[i].cookie, r.f[i].kind, r.f[i].method);
	return n < 0;
}
