/* SPDX-License-Identifier: MIT */
/*
 * harness.h - tiny assert harness for tests/unit/t_*.c.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_U(a, b); }
 *   int main(void) { RUN(name); return harness_done(); }
 *
 * Each test prints "ok NAME" or "not ok NAME" with the failed checks; the
 * program prints "T: N passed, N failed, N skipped" and exits non-zero on
 * failure.  tests/run.sh sums these lines.  SKIP("why") inside a test marks
 * it skipped with a printed reason.
 */
#ifndef AS_TESTS_HARNESS_H
#define AS_TESTS_HARNESS_H

#include <stdio.h>
#include <string.h>

struct harness {
	int passed, failed, skipped;
	int cur_failed, cur_skipped;
};
static struct harness harness_state;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			harness_state.cur_failed++;                             \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                               \
		}                                                               \
	} while (0)

#define CHECK_EQ_U(a, b)                                                        \
	do {                                                                    \
		unsigned long long a_ = (unsigned long long)(a);                \
		unsigned long long b_ = (unsigned long long)(b);                \
		if (a_ != b_) {                                                 \
			harness_state.cur_failed++;                             \
			fprintf(stderr, "  %s:%d: %s == %llu, expected %s == %llu\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);            \
		}                                                               \
	} while (0)

#define CHECK_STR(a, b)                                                         \
	do {                                                                    \
		const char *a_ = (a), *b_ = (b);                                \
		if (!a_ || !b_ || strcmp(a_, b_)) {                             \
			harness_state.cur_failed++;                             \
			fprintf(stderr, "  %s:%d: %s is \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)",     \
				b_ ? b_ : "(null)");                            \
		}                                                               \
	} while (0)

#define SKIP(why)                                                               \
	do {                                                                    \
		harness_state.cur_skipped = 1;                                  \
		printf("skip %s: %s\n", __func__ + 5, why);                     \
		return;                                                         \
	} while (0)

#define RUN(name)                                                               \
	do {                                                                    \
		harness_state.cur_failed = harness_state.cur_skipped = 0;       \
		test_##name();                                                  \
		if (harness_state.cur_skipped)                                  \
			harness_state.skipped++;                                \
		else if (harness_state.cur_failed) {                            \
			harness_state.failed++;                                 \
			printf("not ok %s\n", #name);                           \
		} else {                                                        \
			harness_state.passed++;                                 \
			printf("ok %s\n", #name);                               \
		}                                                               \
		fflush(stdout);                                                 \
	} while (0)

static inline int harness_done(void)
{
	printf("T: %d passed, %d failed, %d skipped\n", harness_state.passed,
	       harness_state.failed, harness_state.skipped);
	return harness_state.failed ? 1 : 0;
}

#endif
