/* SPDX-License-Identifier: MIT */
/*
 * an_cmds.c - shared option handling and the tree and explain verbs.
 */
#include "an_cmds.h"
#include "analyze/an_safeout.h"
#include "analyze/bundle.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/an_cli.h"
#include "analyze/an_cmds_priv.h"
#include "analyze/autil.h"
#include "analyze/redact.h"

enum { OPT_PRICING = 256, OPT_NO_REDACT, OPT_JSON, OPT_FULL, OPT_PID, OPT_SQLITE, OPT_JSONL };
/* export --perfetto / --pcapng (export_perfetto.h, export_pcapng.h) */
enum { OPT_PERFETTO = 320, OPT_PCAPNG };
/* export --otlp, --otlp-endpoint, --otlp-content (export_otlp.h) */
enum { OPT_OTLP = 340, OPT_OTLP_ENDPOINT, OPT_OTLP_CONTENT };

static const struct option long_opts[] = {
	{ "pricing", required_argument, NULL, OPT_PRICING },
	{ "no-redact", no_argument, NULL, OPT_NO_REDACT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "sqlite", required_argument, NULL, OPT_SQLITE },
	{ "jsonl", required_argument, NULL, OPT_JSONL },
	{ "perfetto", required_argument, NULL, OPT_PERFETTO },
	{ "pcapng", required_argument, NULL, OPT_PCAPNG },
	{ "otlp", required_argument, NULL, OPT_OTLP },
	{ "otlp-endpoint", required_argument, NULL, OPT_OTLP_ENDPOINT },
	{ "otlp-content", no_argument, NULL, OPT_OTLP_CONTENT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int an_opts_parse(struct an_opts *o, int argc, char **argv, const char *usage)
{
	unsigned long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->verb = argv[0];
	o->pid = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_PRICING: o->pricing = optarg; break;
		case OPT_NO_REDACT: o->no_redact = 1; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_FULL: o->full = 1; break;
		case OPT_SQLITE: o->sqlite = optarg; break;
		case OPT_JSONL: o->jsonl = optarg; break;
		case OPT_PERFETTO: o->perfetto = optarg; break;
		case OPT_PCAPNG: o->pcapng = optarg; break;
		case OPT_OTLP: o->otlp = optarg; break;
		case OPT_OTLP_ENDPOINT: o->otlp_endpoint = optarg; break;
		case OPT_OTLP_CONTENT: o->otlp_content = 1; break;
		case 'q': o->quiet = 1; break;
		case OPT_PID:
			if (an_parse_u64(optarg, &v) || v > INT_MAX)
				return an_usage(o->verb, "--pid needs a process id, not '%s'",
						optarg);
			o->pid = (long)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return AN_EXIT_OK;
		default:
			return an_bad_option(o->verb, c, argv);
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (!o->nfiles)
		return an_usage(o->verb, "no capture file given");
	return an_bundle_inputs(&o->nfiles, &o->files, 0) ? AN_EXIT_DATA : -1;
}

/* The shipped pricing table: $ASIGHT_PRICING, else next to the program. */
const char *an_pricing_default(char *buf, size_t size)
{
	static const char *const rel[] = { "/../share/asight/pricing.tsv",
					   "/../analyze/pricing.tsv",
					   "/../../analyze/pricing.tsv", "/pricing.tsv" };
	const char *env = getenv("ASIGHT_PRICING");
	char exe[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, size, "%s%s", exe, rel[i]);
		if (!access(buf, R_OK))
			return buf;
	}
	return NULL;
}

/* A bar on stderr for big captures, only when stderr is a terminal. */
static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	unsigned pct = total ? (unsigned)(done * 100 / total) : 0, i;
	char bar[41];

	if (pct > 100)
		pct = 100;
	for (i = 0; i < 40; i++)
		bar[i] = i < pct * 40 / 100 ? '#' : '.';
	bar[40] = 0;
	fprintf(stderr, "\r%s [%s] %3u%% %llu/%llu MB", (const char *)ctx, bar, pct,
		(unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
}

static int want_progress(const struct an_opts *o)
{
	struct stat st;
	uint64_t total = 0;
	int i;

	if (o->quiet || !isatty(2))
		return 0;
	for (i = 0; i < o->nfiles; i++)
		if (!stat(o->files[i], &st))
			total += (uint64_t)st.st_size;
	return total >= (8u << 20);
}

struct model *an_load(const struct an_opts *o)
{
	return an_load_rows(o, NULL, NULL);
}

static struct model *load(const struct an_opts *o,
			  void (*row)(void *, const struct model *, int, size_t), void *ctx,
			  const struct model_sink *sink);

struct model *an_load_rows(const struct an_opts *o,
			   void (*row)(void *, const struct model *, int, size_t), void *ctx)
{
	return load(o, row, ctx, NULL);
}

struct model *an_load_sink(const struct an_opts *o, const struct model_sink *sink)
{
	return load(o, NULL, NULL, sink);
}

static struct model *load(const struct an_opts *o,
			  void (*row)(void *, const struct model *, int, size_t), void *ctx,
			  const struct model_sink *sink)
{
	struct model_opts mo;
	struct model *m;
	struct cap_err err;
	char buf[PATH_MAX + 64];
	size_t i;
	int rc;

	model_opts_init(&mo);
	mo.pricing = o->pricing ? o->pricing : an_pricing_default(buf, sizeof(buf));
	mo.row = row;
	mo.row_ctx = ctx;
	mo.sink = sink;
	if (want_progress(o)) {
		mo.progress = show_progress;
		mo.progress_ctx = (void *)o->verb;
	}
	rc = model_build((const char *const *)o->files, (size_t)o->nfiles, &mo, &m, &err);
	if (mo.progress)
		fputs("\r\033[K", stderr); /* clear the bar line */
	if (rc) {
		an_err_cap(&err, rc == -EBADMSG && !o->pricing ? "run 'asanalyze repair' on it"
							       : NULL);
		return NULL;
	}
	for (i = 0; i < m->nwarnings && !o->quiet; i++)
		an_err("warning: %s", m->warnings[i]);
	return m;
}

char *an_red(const struct an_opts *o, const char *s)
{
	if (!s)
		return NULL;
	return o->no_redact ? au_strdup(s) : redact_str(s);
}

void an_print_text(FILE *f, const char *s, const char *indent)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n')
			fprintf(f, "\n%s", indent);
		else if (ch == '\t' || ch >= 0x20 || ch >= 0x80)
			fputc(ch, f);
		else
			fprintf(f, "\\x%02x", ch);
	}
}

const char *an_dur(uint64_t ns, char *buf, size_t size)
{
	if (ns >= 10000000000ull)
		snprintf(buf, size, "%.1fs", (double)ns / 1e9);
	else if (ns >= 1000000000ull)
		snprintf(buf, size, "%.2fs", (double)ns / 1e9);
	else
		snprintf(buf, size, "%.0fms", (double)ns / 1e6);
	return buf;
}

/* ---- tree ---- */

static const char tree_usage[] =
	"usage: asanalyze tree [OPTIONS] FILE...\n"
	"\n"
	"Print the process tree like 'pstree -a': name,pid and arguments, then\n"
	"[duration, exit status]; threads are folded into their process.\n"
	"\n"
	"  --pid P        only the subtrees of processes with pid P\n"
	"  --no-redact    show secrets in arguments as captured\n"
	"  -q, --quiet    no summary line on stderr\n";

/*
 * One process or effect, one line: a multi-line script (an agent's shell
 * wrapper) is shown with its line breaks as \n, and no control byte of a
 * captured argument reaches the terminal.
 */
static void one_line(const char *s)
{
	for (; s && *s; s++)
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void print_proc(const struct an_opts *o, const struct model *m, const struct tree_proc *p,
		       char *prefix, size_t plen, int last, int root)
{
	char d[32], st[32], *args = NULL, *ra;
	const struct tree_proc *c;
	uint64_t end = p->exited ? p->t_end : m->last_ts;

	if (!root)
		printf("%s%s", prefix, last ? "`-" : "|-");
	if (p->argc > 1)
		args = tree_argv_join(p->argv + 1, p->argc - 1);
	ra = an_red(o, args);
	printf("%s,%u%s", tree_proc_name(p), p->pid, ra ? " " : "");
	one_line(ra);
	printf("  [%s%s, %s%s]\n", end >= p->t_start ? an_dur(end - p->t_start, d, sizeof(d)) : "?",
	       p->exited ? "" : "+", p->exited ? "exit " : "", tree_status_str(p, st, sizeof(st)));
	free(args);
	free(ra);
	if (plen + 4 >= 1024)
		return;
	if (!root) {
		memcpy(prefix + plen, last ? "  " : "| ", 3);
		plen += 2;
	}
	for (c = p->child; c; c = c->sibling)
		print_proc(o, m, c, prefix, plen, !c->sibling, 0);
	prefix[plen - (root ? 0 : 2)] = 0;
}

size_t an_tree_print(const struct an_opts *o, const struct model *m)
{
	char prefix[1024] = "";
	size_t i, shown = 0;

	for (i = 0; i < m->tree->n; i++) {
		const struct tree_proc *p = m->tree->procs[i];

		if (o->pid >= 0 ? p->pid != (uint32_t)o->pid : p->parent != NULL)
			continue;
		print_proc(o, m, p, prefix, 0, 1, 1);
		shown++;
	}
	return shown;
}

int an_cmd_tree(int argc, char **argv)
{
	struct an_opts o;
	struct model *m;
	size_t shown;
	int rc = an_opts_parse(&o, argc, argv, tree_usage);

	if (rc >= 0)
		return rc;
	an_safeout_stdout(); /* argv and paths are captured bytes */
	m = an_load(&o);
	if (!m)
		return AN_EXIT_DATA;
	shown = an_tree_print(&o, m);
	if (!o.quiet)
		an_err("%zu processes in the capture, %zu trees shown", m->tree->n, shown);
	if (o.pid >= 0 && !shown)
		an_err("no process with pid %ld in the capture", o.pid);
	rc = o.pid >= 0 && !shown ? AN_EXIT_DATA : AN_EXIT_OK;
	model_free(m);
	return rc;
}

/* ---- explain ---- */

static const char explain_usage[] =
	"usage: asanalyze explain [OPTIONS] FILE...\n"
	"\n"
	"Print the causal chain of the agent session: each prompt, the tool calls\n"
	"the model answered with, what the agent's process subtree did after each\n"
	"(processes, files, connections) and the next prompt.  The word in\n"
	"parentheses says how an effect was tied to its tool call: command (the\n"
	"exec matches the tool's command), path (the tool named the file),\n"
	"subtree (done by a process already tied to it), window (only by time).\n"
	"\n"
	"  --pricing FILE  cost table\n"
	"  --no-redact     show secrets as captured\n"
	"  -q, --quiet     no summary line on stderr\n";

static void short_text(const struct an_opts *o, const char *s, size_t max)
{
	char *r = an_red(o, s);
	size_t n = r ? strlen(r) : 0, i;

	putchar('"');
	for (i = 0; i < n && i < max; i++)
		putchar(r[i] == '\n' ? ' ' : (unsigned char)r[i] < 0x20 ? '?' : r[i]);
	printf("%s\"", n > max ? "..." : "");
	free(r);
}

static void print_effect(const struct an_opts *o, const struct model *m,
			 const struct causal_effect *e)
{
	char st[32], *args = NULL, *ra;

	printf("       %-10s ", e->kind);
	if (e->file) {
		ra = an_red(o, e->file->abs ? e->file->abs : e->file->path);
		printf("%s%s%s", ra ? ra : "?", e->file->path2 ? " -> " : "",
		       e->file->path2 ? e->file->path2 : "");
		free(ra);
	} else if (e->net) {
		printf("%s%s%s:%u", e->net->family == 10 ? "[" : "", e->net->addr,
		       e->net->family == 10 ? "]" : "", e->net->port);
	} else if (e->proc) {
		const struct tree_proc *p = e->proc;
		/* a shell that exec'd its last command: show it as spawned */
		const struct tree_exec *x = p->nexecs > 1 ? &p->execs[0] : NULL;
		char **av = x ? x->argv : p->argv;
		uint32_t ac = x ? x->argc : p->argc;

		if (ac > 1)
			args = tree_argv_join(av + 1, ac - 1);
		ra = an_red(o, args);
		if (x && ac && av[0][0])
			printf("%s,%u ", strrchr(av[0], '/') ? strrchr(av[0], '/') + 1 : av[0], p->pid);
		else
			printf("%s,%u ", tree_proc_name(p), p->pid);
		one_line(ra);
		if (x)
			printf(" (then exec %s)", tree_proc_name(p));
		printf(" [exit %s]", tree_status_str(e->proc, st, sizeof(st)));
		free(args);
		free(ra);
	}
	printf("  (%s, %s,%u)\n", e->how, e->proc ? tree_proc_name(e->proc) : "?",
	       e->proc ? e->proc->pid : 0);
}

static void explain_call(const struct an_opts *o, const struct model *m, const struct causal *cz,
			 size_t i, size_t *ei)
{
	const struct llm_call *c = m->calls[i];
	const char *prompt = c->nmsgs ? c->msgs[c->nmsgs - 1].text : "", *end;
	char t[64];
	int tool;
	size_t k;

	/* Claude Code puts harness context in "system" messages after the
	 * user's: the prompt is the last message of another role */
	for (k = c->nmsgs; k-- > 0;)
		if (c->msgs[k].role && strcmp(c->msgs[k].role, "system")) {
			prompt = c->msgs[k].text;
			break;
		}
	/* and opens the user's message with <system-reminder> blocks */
	while (prompt && !strncmp(prompt, "<system-reminder>", 17) &&
	       (end = strstr(prompt, "</system-reminder>")))
		prompt = end + 18 + strspn(end + 18, " \n");

	printf("[%s] call %zu %s %s", model_time(m, c->t_req, t, sizeof(t)), i + 1,
	       c->provider, c->model_resp ? c->model_resp : c->model_req ? c->model_req : "?");
	if (c->purpose && strcmp(c->purpose, "turn"))
		printf(" (%s)", c->purpose);
	printf(": prompt ");
	short_text(o, prompt, 160);
	putchar('\n');
	if (c->error)
		printf("  !! %s\n", c->error);
	if (!c->ncalls) {
		printf("  -> answer ");
		short_text(o, llm_text(c), 160);
		putchar('\n');
	}
	for (tool = c->ncalls ? 0 : -1; tool < (int)c->ncalls; tool++) {
		size_t k;

		if (tool >= 0) {
			const char *name = c->calls[tool].name;

			printf("  -> tool_call %s ", name ? name : "?");
			short_text(o, c->calls[tool].args ? c->calls[tool].args : "", 160);
			putchar('\n');
		}
		for (k = *ei; k < cz->n && cz->eff[k].call == i; k++)
			if (cz->eff[k].tool == tool)
				print_effect(o, m, &cz->eff[k]);
	}
	while (*ei < cz->n && cz->eff[*ei].call == i)
		(*ei)++;
	if (cz->win_end[i] != UINT64_MAX)
		printf("  -> next prompt at %s\n", model_time(m, cz->win_end[i], t, sizeof(t)));
}

void an_explain_print(const struct an_opts *o, const struct model *m, const struct causal *cz)
{
	size_t i, ei = 0;

	for (i = 0; i < m->ncalls; i++)
		explain_call(o, m, cz, i, &ei);
}

int an_cmd_explain(int argc, char **argv)
{
	struct an_opts o;
	struct causal *cz;
	struct model *m;
	int rc = an_opts_parse(&o, argc, argv, explain_usage);

	if (rc >= 0)
		return rc;
	an_safeout_stdout(); /* prompts, argv and paths are captured bytes */
	m = an_load(&o);
	if (!m)
		return AN_EXIT_DATA;
	if (causal_build(m, &cz)) {
		an_err("out of memory");
		model_free(m);
		return AN_EXIT_DATA;
	}
	an_explain_print(&o, m, cz);
	if (!o.quiet)
		an_err("%zu LLM calls, %zu effects linked", m->ncalls, cz->n);
	causal_free(cz);
	model_free(m);
	return AN_EXIT_OK;
}
