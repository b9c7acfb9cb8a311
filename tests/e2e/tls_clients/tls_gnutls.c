/* SPDX-License-Identifier: MIT */
/*
 * tls_gnutls.c PORT PATH BODY_BYTES MARKER - a GnuTLS HTTPS client for
 * tests/e2e/t_record_tls_libs.sh: POSTs a JSON body that holds MARKER,
 * padded to BODY_BYTES, to 127.0.0.1:PORT over TLS (the self-signed test
 * certificate is accepted: no verification is asked for) with
 * gnutls_record_send, and prints the reply, read with gnutls_record_recv
 * until the server closes, to stdout.  With TLS_CLIENT_NONBLOCK=1 in the
 * environment the socket is non-blocking, with a small send buffer: calls
 * that return GNUTLS_E_AGAIN are retried after poll(), and their number
 * goes to stderr.  Built at test time only.
 */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int die(const char *what, int rc)
{
	fprintf(stderr, "tls_gnutls: %s: %s\n", what, rc ? gnutls_strerror(rc) : "failed");
	exit(1);
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect", 0);
	return fd;
}

/* the JSON body: {"prompt":"MARKER","pad":"xxx..."}, @n bytes unless MARKER is longer */
static char *make_body(size_t n, const char *marker, size_t *len)
{
	char *b = malloc(n + strlen(marker) + 32);
	size_t k, pad;

	if (!b)
		die("malloc", 0);
	k = (size_t)sprintf(b, "{\"prompt\":\"%s\",\"pad\":\"", marker);
	pad = n > k + 2 ? n - k - 2 : 0;
	memset(b + k, 'x', pad);
	strcpy(b + k + pad, "\"}");
	*len = k + pad + 2;
	return b;
}

/* after GNUTLS_E_AGAIN: wait for the direction GnuTLS was blocked in */
static void wait_io(gnutls_session_t s, unsigned *again)
{
	struct pollfd p = { .fd = gnutls_transport_get_int(s) };

	p.events = gnutls_record_get_direction(s) ? POLLOUT : POLLIN;
	(*again)++;
	poll(&p, 1, -1);
}

/* gnutls_record_send sends at most one record's worth: loop */
static void send_all(gnutls_session_t s, const char *p, size_t n, unsigned *again)
{
	while (n) {
		ssize_t w = gnutls_record_send(s, p, n);

		/* retried with the same arguments, as GnuTLS asks */
		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
			wait_io(s, again);
			continue;
		}
		if (w < 0)
			die("gnutls_record_send", (int)w);
		p += w;
		n -= (size_t)w;
	}
}

static void recv_all(gnutls_session_t s, unsigned *again)
{
	char buf[4096];

	for (;;) {
		ssize_t r = gnutls_record_recv(s, buf, sizeof(buf));

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			wait_io(s, again);
			continue;
		}
		/* the server may close without close_notify */
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
			break;
		if (r < 0)
			die("gnutls_record_recv", (int)r);
		fwrite(buf, 1, (size_t)r, stdout);
	}
}

int main(int argc, char **argv)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	char head[512];
	size_t blen;
	unsigned again = 0;
	char *body;
	int rc, fd;

	if (argc != 5) {
		fprintf(stderr, "usage: tls_gnutls PORT PATH BODY_BYTES MARKER\n");
		return 2;
	}
	body = make_body(strtoul(argv[3], NULL, 10), argv[4], &blen);
	if ((rc = gnutls_global_init()) || (rc = gnutls_certificate_allocate_credentials(&cred)) ||
	    (rc = gnutls_init(&s, GNUTLS_CLIENT)) || (rc = gnutls_set_default_priority(s)) ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)))
		die("setup", rc);
	/* a macro that names its argument twice: connect once */
	fd = tcp_connect(atoi(argv[1]));
	gnutls_transport_set_int(s, fd);
	if (getenv("TLS_CLIENT_NONBLOCK")) {
		int small = 4096; /* so that sends run into GNUTLS_E_AGAIN too */

		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	while ((rc = gnutls_handshake(s)) < 0 && !gnutls_error_is_fatal(rc))
		wait_io(s, &again);
	if (rc < 0)
		die("handshake", rc);
	snprintf(head, sizeof(head),
		 "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: tls_gnutls\r\n"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n",
		 argv[2], argv[1], blen);
	send_all(s, head, strlen(head), &again);
	send_all(s, body, blen, &again);
	recv_all(s, &again);
	if (getenv("TLS_CLIENT_NONBLOCK"))
		fprintf(stderr, "tls_gnutls: %u calls returned GNUTLS_E_AGAIN\n", again);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	gnutls_global_deinit();
	free(body);
	return 0;
}
