/* SPDX-License-Identifier: MIT */
/* rec_tlshint.c - TLS implementation markers in a file (see rec_tlshint.h). */
#include "rec_tlshint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct marker {
	const char *needle;
	const char *what;
};

static const struct marker markers[] = {
	{ "ssl/ssl_lib.cc", "BoringSSL" },
	{ "ssl/ssl_lib.c", "OpenSSL" },
	{ "/rustls-0.", "rustls" },
	{ "crypto/tls.(*Conn).Write", "Go crypto/tls" },
	{ "lib/record.c", "GnuTLS" },
	{ "ssl3con.c", "NSS" },
	{ "mbedtls_ssl_write", "mbed TLS" },
	{ "wolfSSL_write", "wolfSSL" },
	{ "s2n_send", "s2n-tls" },
};

int rec_tlshint(const char *path, char *what, size_t len)
{
	int fd, found = 0;
	struct stat st;
	const char *p;
	size_t i;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	what[0] = 0;
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		size_t n = strlen(what);

		if (!memmem(p, (size_t)st.st_size, markers[i].needle, strlen(markers[i].needle)))
			continue;
		/* every implementation found: codex holds rustls and OpenSSL */
		snprintf(what + n, len - n, "%s%s", found ? ", " : "", markers[i].what);
		found = 1;
	}
	munmap((void *)p, (size_t)st.st_size);
	return found;
}
