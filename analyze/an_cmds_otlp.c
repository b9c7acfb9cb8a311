/* SPDX-License-Identifier: MIT */
/*
 * an_cmds_otlp.c - `asanalyze export --otlp OUT.json | --otlp-endpoint URL`:
 * write the OTLP/JSON request to a file and/or POST it to a collector.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_cli.h"
#include "analyze/an_cmds_priv.h"
#include "analyze/export_otlp.h"
#include "analyze/otlp_post.h"

static int write_file(const char *path, const char *s, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	int bad;

	if (!f) {
		an_err("'%s': %s", path, strerror(errno));
		return -1;
	}
	bad = fwrite(s, 1, len, f) != len;
	bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
	if (bad)
		an_err("'%s': write failed", path);
	return bad ? -1 : 0;
}

static int post(const struct an_opts *o, const char *s, size_t len)
{
	char *url = otlp_post_url(o->otlp_endpoint), msg[512];
	long status;
	int rc;

	if (!url) {
		an_err("out of memory");
		return -1;
	}
	rc = otlp_post(url, s, len, &status, msg, sizeof(msg));
	if (rc)
		an_err("'%s': %s", url, msg);
	else if (!o->quiet)
		an_err("posted %zu bytes to '%s': HTTP %ld", len, url, status);
	free(url);
	return rc;
}

int an_export_otlp(const struct an_opts *o, const struct model *m, const struct causal *cz)
{
	struct otlp_opts oo = { .content = o->otlp_content };
	struct otlp_counts c;
	size_t len = 0;
	char *s = NULL;
	int rc;

	/* secrets are always scrubbed here: traces leave the machine */
	if (otlp_build(m, cz, &oo, &s, &len, &c)) {
		an_err("out of memory");
		return AN_EXIT_DATA;
	}
	rc = o->otlp ? write_file(o->otlp, s, len) : 0;
	if (!rc && !o->quiet && o->otlp)
		an_err("wrote '%s': %zu traces, %zu spans (%zu llm calls, %zu tool calls, "
		       "%zu processes), %zu events", o->otlp, c.traces, c.spans, c.llm, c.tools,
		       c.procs, c.events);
	if (!rc && o->otlp_endpoint)
		rc = post(o, s, len);
	free(s);
	return rc ? AN_EXIT_DATA : AN_EXIT_OK;
}
