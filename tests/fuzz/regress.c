/* SPDX-License-Identifier: MIT */
/*
 * regress.c - replay a fuzz corpus without libFuzzer (zstd's
 * regression_driver idea): calls LLVMFuzzerTestOneInput on every file in
 * the directory argv[1], and on each file cut at a few offsets, because a
 * cut capture is the most common damage.  Linked with each
 * tests/fuzz/fuzz_X.c as build/tests/regress_X; a crash or sanitizer report
 * is the failure, otherwise it prints "T: N passed, 0 failed, 0 skipped".
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	struct stat st;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size >= 0) {
		*len = (size_t)st.st_size;
		p = malloc(*len ? *len : 1);
		if (p && fread(p, 1, *len, f) != *len) {
			free(p);
			p = NULL;
		}
	}
	fclose(f);
	return p;
}

/* Each input in a buffer of its exact size, so ASan sees overreads. */
static void one(const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	if (!copy)
		abort();
	memcpy(copy, p, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char **names = NULL, path[4096];
	size_t nnames = 0, i, passed = 0;
	struct dirent *de;
	DIR *d;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		printf("skip: cannot open '%s': %s\n", argv[1], strerror(errno));
		printf("T: 0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (nnames + 1) * sizeof(*names));
		if (!names || !(names[nnames] = strdup(de->d_name)))
			abort();
		nnames++;
	}
	closedir(d);
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp);
	for (i = 0; i < nnames; i++) {
		size_t n = 0, cuts[] = { 0, 1, 4, 7, 100, 0, 0, 0 }, k;
		uint8_t *p;

		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		p = slurp(path, &n);
		if (!p) {
			printf("not ok %s: cannot read\n", names[i]);
			printf("T: %zu passed, 1 failed, 0 skipped\n", passed);
			return 1;
		}
		one(p, n);
		cuts[5] = n / 3;
		cuts[6] = n / 2;
		cuts[7] = n ? n - 1 : 0;
		for (k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++)
			if (cuts[k] < n)
				one(p, cuts[k]);
		printf("ok %s (%zu bytes, and cut at 8 offsets)\n", names[i], n);
		passed++;
		free(p);
		free(names[i]);
	}
	free(names);
	printf("T: %zu passed, 0 failed, 0 skipped\n", passed);
	return 0;
}
