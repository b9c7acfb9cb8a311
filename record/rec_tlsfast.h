/* SPDX-License-Identifier: MIT */
/*
 * rec_tlsfast.h - find OpenSSL 3.0/3.1's internal write/read functions
 * behind SSL_write/SSL_write_ex and SSL_read/SSL_read_ex.
 *
 * Why: a uprobe costs ~16 us per hit on this kind of VM when the kernel
 * must single-step the probed instruction, and ~1 us when it can emulate
 * it (a push).  Debian's SSL_write and SSL_read start with `sub $N,%rsp`
 * (single-stepped, and so is the uretprobe's entry), while the function
 * both public entry points call - ssl_write_internal / ssl_read_internal,
 * with the *_ex signature (s, buf, num, size_t *done) - starts with pushes.
 * Probing it also sees each call once instead of twice.
 *
 * Method: by name when the symbol table has ssl_write_internal and both
 * public functions call it (@named); else (a
 * stripped library) the FIRST call in the public function and the first in
 * its _ex sibling must go to the same address, which must not be a named
 * function (node inlines the internal functions, and the first common call
 * is then ossl_statem_check_finish_init) and must begin with a push
 * (after an endbr64 or not: rec_entry.h).  Only
 * used when the library has no SSL_write_ex2 (OpenSSL >= 3.2 added a flags
 * argument to ssl_write_internal).  ASIGHT_TLS_NO_FAST=1 turns it off.
 */
#ifndef AS_RECORD_REC_TLSFAST_H
#define AS_RECORD_REC_TLSFAST_H

#include <stdint.h>

/*
 * @fd: the ELF file; @pub, @ex: file offsets of the public function and
 * its _ex sibling, both in one executable segment; @named: offset of a
 * symbol named like the internal function, or 0.  Returns the file offset
 * of the common callee, or 0 when the method does not apply.
 */
uint64_t rec_tlsfast_callee(int fd, uint64_t pub, uint64_t ex, uint64_t named,
			    int (*is_named)(void *ctx, uint64_t off), void *ctx);

#endif
