/* SPDX-License-Identifier: MIT */
#include "cap_chain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct cap_chain_ctx {
	EVP_MD_CTX *ctx;
	uint8_t prev[CAP_HASH_LEN];
};

static void chain_start(struct cap_chain_ctx *c)
{
	EVP_DigestInit_ex(c->ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(c->ctx, c->prev, CAP_HASH_LEN);
}

int cap_chain_new(struct cap_chain_ctx **out)
{
	struct cap_chain_ctx *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx) {
		free(c);
		return -ENOMEM;
	}
	chain_start(c);
	*out = c;
	return 0;
}

void cap_chain_update(struct cap_chain_ctx *c, const void *p, size_t n)
{
	EVP_DigestUpdate(c->ctx, p, n);
}

void cap_chain_next(struct cap_chain_ctx *c, uint8_t out[CAP_HASH_LEN])
{
	unsigned int len = CAP_HASH_LEN;

	EVP_DigestFinal_ex(c->ctx, c->prev, &len);
	memcpy(out, c->prev, CAP_HASH_LEN);
	chain_start(c);
}

void cap_chain_set(struct cap_chain_ctx *c, const uint8_t prev[CAP_HASH_LEN])
{
	memmove(c->prev, prev, CAP_HASH_LEN);
	chain_start(c);
}

const uint8_t *cap_chain_last(const struct cap_chain_ctx *c)
{
	return c->prev;
}

void cap_chain_free(struct cap_chain_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->ctx);
	free(c);
}
