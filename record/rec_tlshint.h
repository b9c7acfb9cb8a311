/* SPDX-License-Identifier: MIT */
/*
 * rec_tlshint.h - does a file carry a TLS implementation?
 *
 * Used only when neither symbols nor rec_disc found a function to probe
 * in a file, to tell the user that a program's TLS traffic will be missing
 * rather than stay silent.  The markers are strings an implementation
 * compiles in (source paths of its error sites, crate paths in panic
 * locations, Go's function table), not strings a program that merely
 * links a shared TLS library would hold.
 */
#ifndef AS_RECORD_REC_TLSHINT_H
#define AS_RECORD_REC_TLSHINT_H

#include <stddef.h>

/*
 * 1 when @path holds a TLS implementation, with its name in @what
 * ("rustls", "Go crypto/tls", ...); 0 when not; negative errno.
 */
int rec_tlshint(const char *path, char *what, size_t len);

#endif
