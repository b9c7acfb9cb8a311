/* SPDX-License-Identifier: MIT */
/*
 * wl.c - workloads of the recorder benchmark (tests/bench/bench_record.sh).
 *
 *   wl mixed ITERS PORT          agent-like: per iteration spawn /bin/true,
 *                                churn 4 files (create, write, read, rename,
 *                                unlink), one HTTPS POST with an SSE answer
 *   wl paced ITERS PORT MS       POST + SSE answer, wait MS, small burst
 *   wl storm ITERS NPROC         NPROC processes doing ITERS open+close each
 *   wl rate RATE SECS NPROC      NPROC processes paced at RATE open/close
 *                                calls per second in total, for SECS
 *   wl server PORTFILE CERT KEY SECS   TLS server on 127.0.0.1 answering
 *                                POSTs with chunked SSE; stops after SECS
 *                                or when its parent goes away
 *
 * Files are churned in $WL_DIR (default "."), the storm opens $WL_DIR/storm.
 * A workload writes one line to $WL_OUT (default stdout):
 *   wall_ns=N cpu_ns=N iters=N tracer_cpu_ns=N tracer_hwm_kb=N
 * wall_ns is the work itself (tracer start-up excluded), cpu_ns the CPU of
 * the workload and its children.  With WL_TRACER=1 the parent (the tracer
 * that launched us) is sampled too: CPU of all its threads over the run
 * (schedstat, ns) and its peak RSS at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define RECONNECT_EVERY 8 /* keep-alive: requests per TLS connection */
#define SSE_EVENTS 16
#define CHURN_FILES 4
#define BUF_SIZE 65536

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "wl: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- tracer sampling ---- */

/* CPU of every thread of @pid in ns (schedstat), 0 when unreadable */
static uint64_t proc_cpu_ns(pid_t pid)
{
	char path[64], line[320];
	struct dirent *e;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(line, sizeof(line), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		f = fopen(line, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f))
			sum += strtoull(line, NULL, 10);
		fclose(f);
	}
	closedir(d);
	return sum;
}

static long proc_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

struct meter {
	uint64_t t0, tracer0;
	pid_t tracer;
};

static void meter_start(struct meter *m)
{
	const char *t = getenv("WL_TRACER");

	m->tracer = t && *t == '1' ? getppid() : 0;
	m->tracer0 = m->tracer ? proc_cpu_ns(m->tracer) : 0;
	m->t0 = now_ns();
}

static void meter_end(const struct meter *m, uint64_t iters)
{
	uint64_t wall = now_ns() - m->t0, tcpu = 0, cpu;
	const char *out = getenv("WL_OUT");
	struct rusage self, kids;
	long hwm = 0;
	FILE *f = stdout;

	if (m->tracer) {
		tcpu = proc_cpu_ns(m->tracer) - m->tracer0;
		hwm = proc_hwm_kb(m->tracer);
	}
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	cpu = (uint64_t)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
			 kids.ru_stime.tv_sec) * 1000000000ull +
	      (uint64_t)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
			 kids.ru_stime.tv_usec) * 1000ull;
	if (out && *out && !(f = fopen(out, "w")))
		die(out);
	fprintf(f, "wall_ns=%llu cpu_ns=%llu iters=%llu tracer_cpu_ns=%llu tracer_hwm_kb=%ld\n",
		(unsigned long long)wall, (unsigned long long)cpu, (unsigned long long)iters,
		(unsigned long long)tcpu, hwm);
	if (f != stdout)
		fclose(f);
}

/* ---- process and file work ---- */

static void spawn_true(void)
{
	char *argv[] = { (char *)"true", NULL };
	char *envp[] = { NULL };
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

/* what an agent's edit tool does: write a temp file, read it back, rename
 * it over the target, later delete it */
static void churn(unsigned n)
{
	static char buf[4096];
	char tmp[64], dst[64];
	unsigned i;
	int fd;

	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "f%u.tmp", i);
		snprintf(dst, sizeof(dst), "f%u.txt", i);
		fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0)
			die(tmp);
		if (write(fd, buf, sizeof(buf)) < 0 || write(fd, buf, 512) < 0)
			die("write");
		close(fd);
		fd = open(tmp, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
			die("read");
		close(fd);
		if (rename(tmp, dst) || unlink(dst))
			die("rename");
	}
}

/* ---- TLS client ---- */

struct cli {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd, port, used;
	char buf[BUF_SIZE];
};

static int tcp_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void cli_close(struct cli *c)
{
	if (!c->ssl)
		return;
	SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
}

static void cli_open(struct cli *c)
{
	c->fd = tcp_connect(c->port);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) ||
	    !SSL_set_tlsext_host_name(c->ssl, "localhost") || SSL_connect(c->ssl) != 1) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, "wl: TLS handshake failed\n");
		exit(2);
	}
	c->used = 0;
}

static int ends_with(const char *b, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && !memcmp(b + n - k, s, k);
}

/* One POST of a JSON body; reads the chunked SSE answer to its end. */
static void cli_post(struct cli *c, unsigned i)
{
	char body[1024], head[256];
	size_t n = 0;
	int len, r;

	if (c->ssl && c->used >= RECONNECT_EVERY)
		cli_close(c);
	if (!c->ssl)
		cli_open(c);
	c->used++;
	len = snprintf(body, sizeof(body),
		       "{\"model\":\"bench\",\"stream\":true,\"max_tokens\":1024,\"messages\":"
		       "[{\"role\":\"user\",\"content\":\"turn %u: read the file, fix the bug, "
		       "run the tests and tell me what changed\"}]}", i);
	r = snprintf(head, sizeof(head),
		     "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
		     "application/json\r\nAccept: text/event-stream\r\nContent-Length: %d\r\n\r\n",
		     len);
	if (SSL_write(c->ssl, head, r) != r || SSL_write(c->ssl, body, len) != len) {
		fprintf(stderr, "wl: SSL_write failed\n");
		exit(2);
	}
	while (!ends_with(c->buf, n, "\r\n0\r\n\r\n")) {
		if (n == sizeof(c->buf))
			n = 0; /* only the end matters */
		r = SSL_read(c->ssl, c->buf + n, sizeof(c->buf) - n);
		if (r <= 0) {
			fprintf(stderr, "wl: SSL_read failed\n");
			exit(2);
		}
		n += r;
	}
}

static void cli_init(struct cli *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->port = port;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		die("SSL_CTX_new");
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
}

/* ---- workloads ---- */

static int wl_mixed(unsigned long iters, int port)
{
	struct meter m;
	struct cli *c = malloc(sizeof(*c));
	unsigned long i;

	if (!c)
		die("malloc");
	cli_init(c, port);
	meter_start(&m);
	for (i = 0; i < iters; i++) {
		spawn_true();
		churn(CHURN_FILES);
		cli_post(c, i);
	}
	cli_close(c);
	meter_end(&m, iters);
	return 0;
}

static int wl_paced(unsigned long iters, int port, unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000l };
	struct meter m;
	struct cli *c = malloc(sizeof(*c));
	unsigned long i;

	if (!c)
		die("malloc");
	cli_init(c, port);
	meter_start(&m);
	for (i = 0; i < iters; i++) {
		cli_post(c, i);
		nanosleep(&ts, NULL); /* the model thinks */
		spawn_true();
		spawn_true();
		churn(CHURN_FILES);
	}
	cli_close(c);
	meter_end(&m, iters);
	return 0;
}

static void open_close(const char *path, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			die(path);
		close(fd);
	}
}

static void wait_all(unsigned nproc)
{
	while (nproc--)
		wait(NULL);
}

/*
 * tlscalls: the cost of TLS calls alone.  A client and a server SSL talk
 * over a BIO pair in one thread (no socket, no scheduler): each iteration
 * is one SSL_write of 100 bytes and the SSL_read that receives them.
 */
static SSL *bio_peer(SSL_CTX *ctx, BIO *bio, int server)
{
	SSL *s = SSL_new(ctx);

	if (!s)
		die("SSL_new");
	SSL_set_bio(s, bio, bio);
	if (server)
		SSL_set_accept_state(s);
	else
		SSL_set_connect_state(s);
	return s;
}

static int wl_tlscalls(unsigned long iters, const char *cert, const char *key)
{
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
	struct timespec t0, t1;
	char buf[256] = "x";
	BIO *cb, *sb;
	SSL *c, *s;
	int i;

	if (!sctx || !cctx || SSL_CTX_use_certificate_file(sctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, key, SSL_FILETYPE_PEM) != 1 ||
	    !BIO_new_bio_pair(&cb, 65536, &sb, 65536))
		die("tlscalls: TLS setup");
	c = bio_peer(cctx, cb, 0);
	s = bio_peer(sctx, sb, 1);
	for (i = 0; i < 100 && !(SSL_is_init_finished(c) && SSL_is_init_finished(s)); i++) {
		SSL_do_handshake(c);
		SSL_do_handshake(s);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long k = 0; k < iters; k++)
		if (SSL_write(c, buf, 100) != 100 || SSL_read(s, buf, sizeof(buf)) != 100)
			die("tlscalls: SSL_write/SSL_read");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("wall_ns=%lld calls=%lu\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec),
	       2 * iters);
	return 0;
}

static int wl_storm(unsigned long iters, unsigned nproc)
{
	struct meter m;
	unsigned k;

	meter_start(&m);
	for (k = 0; k < nproc; k++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			open_close("storm", iters);
			_exit(0);
		}
	}
	wait_all(nproc);
	meter_end(&m, iters * nproc);
	return 0;
}

/* one paced storm process: @per_s iterations per second for @ns */
static unsigned long paced_storm(double per_s, uint64_t ns)
{
	struct timespec nap = { 0, 200000 };
	uint64_t t0 = now_ns(), t;
	unsigned long done = 0;

	while ((t = now_ns() - t0) < ns) {
		unsigned long due = (unsigned long)(per_s * (double)t / 1e9) + 1;

		if (done >= due) {
			nanosleep(&nap, NULL);
			continue;
		}
		if (due - done > 64)
			due = done + 64;
		open_close("storm", due - done);
		done = due;
	}
	return done;
}

static int wl_rate(double rate, double secs, unsigned nproc)
{
	unsigned long *done = mmap(NULL, sizeof(*done) * nproc, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned long total = 0;
	struct meter m;
	unsigned k;

	if (done == MAP_FAILED)
		die("mmap");
	meter_start(&m);
	for (k = 0; k < nproc; k++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			/* 2 recorded events (open, close) per iteration; 0 = flat out */
			double per_s = rate > 0 ? rate / 2 / nproc : 1e12;

			done[k] = paced_storm(per_s, (uint64_t)(secs * 1e9));
			_exit(0);
		}
	}
	wait_all(nproc);
	for (k = 0; k < nproc; k++)
		total += done[k];
	meter_end(&m, total);
	return 0;
}

/* ---- TLS server ---- */

static int srv_listen(const char *portfile)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	FILE *f;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen))
		die("listen");
	f = fopen(portfile, "w");
	if (!f)
		die(portfile);
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	return fd;
}

/* Read one request (headers + Content-Length body); 0 at end of connection. */
static int srv_request(SSL *ssl, char *buf, size_t cap)
{
	size_t n = 0, want = 0;
	char *end;
	int r;

	for (;;) {
		buf[n] = 0;
		if (!want && (end = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "content-length:");

			want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
			if (want >= cap)
				return -1;
		}
		if (want && n >= want)
			return 1;
		r = SSL_read(ssl, buf + n, cap - 1 - n);
		if (r <= 0)
			return 0;
		n += r;
	}
}

static int srv_answer(SSL *ssl, unsigned turn)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				   "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
	char ev[512], chunk[600];
	int k, n, m;

	if (SSL_write(ssl, head, sizeof(head) - 1) <= 0)
		return -1;
	for (k = 0; k < SSE_EVENTS; k++) {
		n = snprintf(ev, sizeof(ev),
			     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
			     "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"turn %u, "
			     "token %d of the streamed answer\"}}\n\n", turn, k);
		m = snprintf(chunk, sizeof(chunk), "%x\r\n%s\r\n", n, ev);
		if (SSL_write(ssl, chunk, m) <= 0)
			return -1;
	}
	return SSL_write(ssl, "0\r\n\r\n", 5) > 0 ? 0 : -1;
}

static void srv_conn(SSL_CTX *ctx, int fd, char *buf)
{
	SSL *ssl = SSL_new(ctx);
	unsigned turn = 0;
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ssl && SSL_set_fd(ssl, fd) && SSL_accept(ssl) == 1)
		while (srv_request(ssl, buf, BUF_SIZE) > 0 && !srv_answer(ssl, turn++))
			;
	SSL_free(ssl);
	close(fd);
}

static int wl_server(const char *portfile, const char *cert, const char *key, unsigned secs)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	uint64_t deadline = now_ns() + (uint64_t)secs * 1000000000ull;
	pid_t parent = getppid();
	char *buf = malloc(BUF_SIZE);
	int lfd;

	if (!ctx || !buf || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = srv_listen(portfile);
	while (now_ns() < deadline && getppid() == parent) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			srv_conn(ctx, fd, buf);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: wl mixed ITERS PORT | paced ITERS PORT MS | storm ITERS NPROC |\n"
			"          rate RATE SECS NPROC | server PORTFILE CERT KEY SECS |\n"
			"          tlscalls ITERS CERT KEY\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("WL_DIR");

	if (argc < 2)
		usage();
	if (dir && *dir && chdir(dir))
		die(dir);
	if (!strcmp(argv[1], "mixed") && argc == 4)
		return wl_mixed(strtoul(argv[2], NULL, 10), atoi(argv[3]));
	if (!strcmp(argv[1], "paced") && argc == 5)
		return wl_paced(strtoul(argv[2], NULL, 10), atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(argv[1], "storm") && argc == 4)
		return wl_storm(strtoul(argv[2], NULL, 10), atoi(argv[3]));
	if (!strcmp(argv[1], "rate") && argc == 5)
		return wl_rate(atof(argv[2]), atof(argv[3]), atoi(argv[4]));
	if (!strcmp(argv[1], "tlscalls") && argc == 5)
		return wl_tlscalls(strtoul(argv[2], NULL, 10), argv[3], argv[4]);
	if (!strcmp(argv[1], "server") && argc == 6)
		return wl_server(argv[2], argv[3], argv[4], atoi(argv[5]));
	usage();
	return 2;
}
