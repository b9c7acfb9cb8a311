/* SPDX-License-Identifier: MIT */
/*
 * tls_quick.c - a TLS client that talks as soon as it starts, for the test
 * of asrecord's exec-time pause: it connects to 127.0.0.1:PORT, sends
 * "GET PATH" over TLS within a millisecond or two of exec, prints the
 * status line and exits.  Without the pause, its one request would be
 * over before the recorder could attach probes to libssl.
 *
 *   tls_quick PORT PATH
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

static int tcp_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("tls_quick: connect");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	char req[512], resp[4096];
	SSL_CTX *ctx;
	SSL *ssl;
	int n, len = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: tls_quick PORT PATH\n");
		return 2;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	ssl = SSL_new(ctx);
	/* a test against the local mock's throwaway certificate */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	SSL_set_fd(ssl, tcp_connect(atoi(argv[1])));
	if (SSL_connect(ssl) != 1) {
		fprintf(stderr, "tls_quick: handshake failed\n");
		return 1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Connection: close\r\n\r\n", argv[2]);
	if (SSL_write(ssl, req, n) != n)
		return 1;
	while (len < (int)sizeof(resp) - 1 &&
	       (n = SSL_read(ssl, resp + len, (int)sizeof(resp) - 1 - len)) > 0)
		len += n;
	resp[len] = 0;
	resp[strcspn(resp, "\r\n")] = 0;
	printf("%s\n", resp);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return 0;
}
