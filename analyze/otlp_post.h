/* SPDX-License-Identifier: MIT */
/*
 * otlp_post.h - send an OTLP/JSON request to a collector over OTLP/HTTP
 * (libcurl): POST with Content-Type: application/json.  A URL without a
 * path gets /v1/traces appended, as OTLP exporters do with a base
 * endpoint; a URL with a path is used as given.
 */
#ifndef AS_ANALYZE_OTLP_POST_H
#define AS_ANALYZE_OTLP_POST_H

#include <stddef.h>

/* The URL to post to (malloc'd), NULL on ENOMEM. */
char *otlp_post_url(const char *endpoint);

/*
 * POST @body; 0 on a 2xx reply, else -1 with a message in @msg (the
 * connection error, or "HTTP 503: " and the start of the reply).
 * *status gets the HTTP status (0 when there was none).
 */
int otlp_post(const char *url, const char *body, size_t len, long *status, char *msg,
	      size_t msize);

#endif
