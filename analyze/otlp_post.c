/* SPDX-License-Identifier: MIT */
/*
 * otlp_post.c - OTLP/HTTP JSON export with libcurl (see otlp_post.h).
 */
#include "otlp_post.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"

#ifndef ASIGHT_VERSION
#define ASIGHT_VERSION "unknown"
#endif

char *otlp_post_url(const char *endpoint)
{
	const char *p = strstr(endpoint, "://");

	p = p ? p + 3 : endpoint;
	p += strcspn(p, "/?#");
	if (*p == '/' && p[1] && p[1] != '?' && p[1] != '#')
		return au_strdup(endpoint);
	/* no path (or just "/"): the base endpoint of the OTLP exporters */
	return au_fmt("%.*s/v1/traces%s", (int)(p - endpoint), endpoint,
		      *p == '/' ? p + 1 : p);
}

struct reply {
	char buf[256];
	size_t n;
};

/* Keep the start of the collector's answer for the error message. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, room = sizeof(r->buf) - 1 - r->n;

	memcpy(r->buf + r->n, data, n < room ? n : room);
	r->n += n < room ? n : room;
	r->buf[r->n] = 0;
	return n;
}

static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int otlp_post(const char *url, const char *body, size_t len, long *status, char *msg,
	      size_t msize)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	struct reply r = { .n = 0 };
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	CURL *h;

	*status = 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(msg, msize, "cannot initialise libcurl");
		return -1;
	}
	h = curl_easy_init();
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (h && hdr) {
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "asanalyze/" ASIGHT_VERSION);
		cc = curl_easy_perform(h);
		if (cc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	}
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	curl_global_cleanup();
	if (cc != CURLE_OK) {
		snprintf(msg, msize, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return -1;
	}
	if (*status < 200 || *status > 299) {
		one_line(r.buf);
		snprintf(msg, msize, "HTTP %ld%s%s", *status, r.n ? ": " : "", r.buf);
		return -1;
	}
	return 0;
}
