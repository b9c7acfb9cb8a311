/* SPDX-License-Identifier: MIT */
/*
 * fuzz_disc.c - the stripped-binary finders on arbitrary bytes.  asrecord
 * runs them, as root, on every file a traced process maps; a malformed ELF
 * (section and program headers, .eh_frame_hdr, CIEs and FDEs, the code
 * around error sites) must never make them read out of bounds.
 *
 * The record/ sources are compiled in here: they are not in a library.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record/rec_delf.c"
#include "record/rec_disc_awslc.c"
#include "record/rec_disc_boringssl.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_disc_result r;
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		memset(&r, 0, sizeof(r));
		rec_disc_boringssl(fd, "fuzz", &r);
		memset(&r, 0, sizeof(r));
		rec_disc_awslc(fd, "fuzz", &r);
	}
	close(fd);
	return 0;
}
