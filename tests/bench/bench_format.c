/* SPDX-License-Identifier: MIT */
/*
 * bench_format.c - capture writer and reader throughput (make bench).
 *
 * Rounds are interleaved (write small, write mix, read small, read mix, ...)
 * and each figure is printed as median [min..max] over the rounds, so a
 * noisy VM shows up as spread instead of a wrong number.  No assertion:
 * the goals from the issue are printed beside the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/cap_reader.h"
#include "format/cap_writer.h"

#define ROUNDS 5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, const char *unit, const char *goal)
{
	qsort(v, ROUNDS, sizeof(*v), cmp_d);
	printf("%-34s %12.0f %s  [%.0f .. %.0f]  %s\n", what, v[ROUNDS / 2], unit, v[0],
	       v[ROUNDS - 1], goal);
}

/* A 64-byte payload record, as a file write with a snaplen'd payload. */
static void add_small(struct cap_writer *w, uint64_t i)
{
	static uint8_t payload[64];
	struct cap_rec_hdr h = { .type = CAP_REC_WRITE, .hdr_len = CAP_REC_HDR_MIN,
				 .ts_ns = 1000000 + i * 500, .seq = i, .pid = 4242,
				 .tid = 4242, .cap_len = 64, .orig_len = 64 };
	uint8_t rec[CAP_REC_HDR_MIN + 64];

	/* half entropy, half text: like a written line of a log or a path */
	uint64_t x = i * 0x9E3779B97F4A7C15ull;
	for (int k = 0; k < 32; k++, x = x * 6364136223846793005ull + 1442695040888963407ull)
		payload[k] = "0123456789abcdef"[(x >> 59) & 15];
	memcpy(payload + 32, "/home/dev/project/build/out.log", 32);
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), payload, 64);
	cap_writer_add(w, rec, sizeof(rec));
}

/* A realistic process/file mix: opens, closes, execs, forks, connects. */
static void add_mix(struct cap_writer *w, uint64_t i)
{
	static const char *paths[] = { "/usr/lib/x86_64-linux-gnu/libc.so.6",
				       "/etc/ld.so.cache", "/home/dev/project/src/main.c",
				       "/tmp/agent-1234/out.txt", "/proc/self/status" };
	struct cap_rec_hdr h = { .ts_ns = 1000000 + i * 700, .seq = i,
				 .pid = 4000 + (uint32_t)(i % 7), .tid = 4000 + (uint32_t)(i % 7),
				 .task_start_ns = 123456789 };
	struct cap_file f = { .ret = 3 + (int64_t)(i % 5), .fd = -100, .flags = 0x80000 };
	const char *p = paths[i % 5];

	switch (i % 10) {
	case 0: {
		struct cap_fork k = { .parent_pid = h.pid, .child_pid = h.pid + 1 };

		h.type = CAP_REC_FORK;
		cap_writer_add_parts(w, &h, &k, sizeof(k), NULL, 0);
		return;
	}
	case 1: {
		struct cap_net n = { .ret = 0, .fd = 5, .family = 2, .port = 443 };

		h.type = CAP_REC_CONNECT;
		cap_writer_add_parts(w, &h, &n, sizeof(n), NULL, 0);
		return;
	}
	case 2: case 3: case 4:
		h.type = CAP_REC_CLOSE;
		cap_writer_add_parts(w, &h, &f, sizeof(f), NULL, 0);
		return;
	default:
		h.type = CAP_REC_OPEN;
		cap_writer_add_parts(w, &h, &f, sizeof(f), p, strlen(p));
	}
}

static double write_file(const char *path, uint64_t n, void (*add)(struct cap_writer *, uint64_t))
{
	struct cap_writer *w;
	struct cap_err e;
	double t0 = now();

	unlink(path);
	if (cap_writer_open(path, NULL, &w, &e))
		exit(1);
	for (uint64_t i = 0; i < n; i++)
		add(w, i);
	if (cap_writer_close(w, &e))
		exit(1);
	return now() - t0;
}

static double read_file(const char *path, uint64_t *count)
{
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	double t0 = now();

	*count = 0;
	if (cap_reader_open(&path, 1, NULL, &r, &e))
		exit(1);
	while (cap_reader_next(r, &rec) > 0)
		(*count)++;
	cap_reader_close(r);
	return now() - t0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000, got = 0;
	double ws[ROUNDS], wm[ROUNDS], rs[ROUNDS], rm[ROUNDS], mbs[ROUNDS];
	char small[] = "/tmp/bench_small.pcapng.zst", mix[] = "/tmp/bench_mix.pcapng.zst";
	uint64_t raw = n * (CAP_REC_HDR_MIN + 64 + 16);

	printf("format benchmark: %llu records per run, %d interleaved rounds, one core\n",
	       (unsigned long long)n, ROUNDS);
	for (int r = 0; r < ROUNDS; r++) {
		double t = write_file(small, n, add_small);

		ws[r] = (double)n / t;
		mbs[r] = (double)raw / t / 1e6;
		wm[r] = (double)n / write_file(mix, n, add_mix);
		rs[r] = (double)n / read_file(small, &got);
		rm[r] = (double)n / read_file(mix, &got);
	}
	report("write 64-byte records (level 1+hash)", ws, "rec/s", "must >= 1000000, goal 2000000");
	report("write 64-byte records", mbs, "MB/s ", "(uncompressed pcapng)");
	report("write process/file mix", wm, "rec/s", "");
	report("read 64-byte records", rs, "rec/s", "must >= 3000000");
	report("read process/file mix", rm, "rec/s", "");
	printf("%-34s %12.1f bytes/record on disk (64-byte payloads)\n", "size small",
	       (double)file_size(small) / (double)n);
	printf("%-34s %12.1f bytes/record on disk  goal < 16\n", "size process/file mix",
	       (double)file_size(mix) / (double)n);
	unlink(small);
	unlink(mix);
	return 0;
}
