// SPDX-License-Identifier: MIT
#include "rec_entry.h"

#include <unistd.h>

/* enough for endbr64 and a push with a REX prefix */
#define ENTRY_BYTES 6

/* push %rax..%rdi, or %r8..%r15 with REX.B */
static int is_push(const uint8_t *b, size_t n)
{
	if (n >= 1 && b[0] >= 0x50 && b[0] <= 0x57)
		return 1;
	return n >= 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57;
}

static int is_endbr64(const uint8_t *b, size_t n)
{
	return n >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa;
}

unsigned rec_entry_skip(const uint8_t *b, size_t n)
{
	return is_endbr64(b, n) && is_push(b + 4, n - 4) ? 4 : 0;
}

int rec_entry_emulated(const uint8_t *b, size_t n)
{
	unsigned skip = rec_entry_skip(b, n);

	return is_push(b + skip, n - skip);
}

static size_t entry_read(int fd, uint64_t off, uint8_t *b)
{
	ssize_t n = pread(fd, b, ENTRY_BYTES, (off_t)off);

	return n > 0 ? (size_t)n : 0;
}

uint64_t rec_entry_probe_off(int fd, uint64_t off)
{
	uint8_t b[ENTRY_BYTES];

	return off + rec_entry_skip(b, entry_read(fd, off, b));
}

int rec_entry_emulated_at(int fd, uint64_t off)
{
	uint8_t b[ENTRY_BYTES];

	return rec_entry_emulated(b, entry_read(fd, off, b));
}
