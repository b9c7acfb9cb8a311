/* SPDX-License-Identifier: MIT */
/*
 * llm_fixture.h - for the LLM unit tests: one exchange made of a request
 * and an answer (both complete, status 200) run through llm_from_exchange.
 */
#ifndef AS_TESTS_LLM_FIXTURE_H
#define AS_TESTS_LLM_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "analyze/llm.h"

static struct http_msg *msg(int req, const char *target, const char *body)
{
	struct http_msg *m = calloc(1, sizeof(*m));

	m->is_req = req;
	if (req) {
		m->method = strdup("POST");
		m->target = strdup(target);
	} else {
		m->status = 200;
	}
	cap_buf_append(&m->body, body, strlen(body));
	m->complete = 1;
	return m;
}

static struct llm_call *call(const char *target, const char *req, const char *resp)
{
	struct conv_exchange ex;
	struct llm_call *c;

	memset(&ex, 0, sizeof(ex));
	ex.id = 1;
	ex.req = msg(1, target, req);
	ex.resp = msg(0, NULL, resp);
	c = llm_from_exchange(&ex, NULL);
	if (c)
		c->ex = NULL; /* ex lives on this stack frame only */
	http_msg_free(ex.req);
	http_msg_free(ex.resp);
	return c;
}

#endif
