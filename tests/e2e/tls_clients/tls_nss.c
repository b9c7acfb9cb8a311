/* SPDX-License-Identifier: MIT */
/*
 * tls_nss.c PORT PATH BODY_BYTES MARKER - an NSS/NSPR HTTPS client for
 * tests/e2e/t_record_tls_libs.sh: POSTs a JSON body that holds MARKER,
 * padded to BODY_BYTES, to 127.0.0.1:PORT (an auth-certificate hook
 * accepts the self-signed test certificate).  The headers go out with
 * PR_Write and the body with PR_Send; the first part of the reply comes in
 * with PR_Recv, the rest with PR_Read until the server closes; the reply
 * is printed to stdout.  It also writes a line to a plain file with
 * PR_Write (on stderr's file descriptor), which asrecord must not take
 * for TLS.  With TLS_CLIENT_LAZY=1 in the environment the handshake is not
 * forced: it runs inside the first PR_Write, and so does the certificate
 * hook's own PR_Write of a line to stderr.  Built at test time only.
 */
#include <nspr.h>
#include <nss.h>
#include <ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "tls_nss: %s: NSPR error %d\n", what, (int)PR_GetError());
	exit(1);
}

/* the test server's certificate is self-signed: take it, and say so */
static SECStatus accept_cert(void *arg, PRFileDesc *fd, PRBool sig, PRBool server)
{
	static const char note[] = "tls_nss: certificate-hook-marker: accepted\n";
	PRFileDesc *err = PR_GetSpecialFD(PR_StandardError);

	(void)arg;
	(void)fd;
	(void)sig;
	(void)server;
	if (err)
		PR_Write(err, note, sizeof(note) - 1);
	return SECSuccess;
}

/* the JSON body: {"prompt":"MARKER","pad":"xxx..."}, @n bytes unless MARKER is longer */
static char *make_body(size_t n, const char *marker, size_t *len)
{
	char *b = malloc(n + strlen(marker) + 32);
	size_t k, pad;

	if (!b)
		die("malloc");
	k = (size_t)sprintf(b, "{\"prompt\":\"%s\",\"pad\":\"", marker);
	pad = n > k + 2 ? n - k - 2 : 0;
	memset(b + k, 'x', pad);
	strcpy(b + k + pad, "\"}");
	*len = k + pad + 2;
	return b;
}

static PRFileDesc *tls_connect(int port)
{
	PRFileDesc *tcp = PR_NewTCPSocket(), *s;
	PRNetAddr addr;

	if (!tcp || PR_InitializeNetAddr(PR_IpAddrLoopback, (PRUint16)port, &addr) != PR_SUCCESS ||
	    PR_Connect(tcp, &addr, PR_INTERVAL_NO_TIMEOUT) != PR_SUCCESS)
		die("connect");
	s = SSL_ImportFD(NULL, tcp);
	if (!s || SSL_OptionSet(s, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(s, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess ||
	    SSL_AuthCertificateHook(s, accept_cert, NULL) != SECSuccess ||
	    SSL_SetURL(s, "localhost") != SECSuccess || SSL_ResetHandshake(s, PR_FALSE) != SECSuccess)
		die("handshake setup");
	if (!getenv("TLS_CLIENT_LAZY") && SSL_ForceHandshake(s) != SECSuccess)
		die("handshake");
	return s;
}

static void send_all(PRFileDesc *s, const char *p, size_t n, int use_send)
{
	while (n) {
		PRInt32 w = use_send ? PR_Send(s, p, (PRInt32)n, 0, PR_INTERVAL_NO_TIMEOUT)
				     : PR_Write(s, p, (PRInt32)n);

		if (w <= 0)
			die(use_send ? "PR_Send" : "PR_Write");
		p += w;
		n -= (size_t)w;
	}
}

static void recv_all(PRFileDesc *s)
{
	char buf[4096];
	PRInt32 r = PR_Recv(s, buf, sizeof(buf), 0, PR_INTERVAL_NO_TIMEOUT);

	while (r > 0) {
		fwrite(buf, 1, (size_t)r, stdout);
		r = PR_Read(s, buf, sizeof(buf));
	}
	if (r < 0 && PR_GetError() != PR_END_OF_FILE_ERROR &&
	    PR_GetError() != PR_CONNECT_RESET_ERROR)
		die("PR_Read");
}

int main(int argc, char **argv)
{
	static const char note[] = "tls_nss: plain-file-marker written with PR_Write\n";
	PRFileDesc *s, *err;
	char head[512];
	size_t blen;
	char *body;

	if (argc != 5) {
		fprintf(stderr, "usage: tls_nss PORT PATH BODY_BYTES MARKER\n");
		return 2;
	}
	body = make_body(strtoul(argv[3], NULL, 10), argv[4], &blen);
	PR_Init(PR_USER_THREAD, PR_PRIORITY_NORMAL, 0);
	if (NSS_NoDB_Init(NULL) != SECSuccess || NSS_SetDomesticPolicy() != SECSuccess)
		die("NSS_NoDB_Init");
	err = PR_GetSpecialFD(PR_StandardError);
	if (err)
		PR_Write(err, note, sizeof(note) - 1);
	s = tls_connect(atoi(argv[1]));
	snprintf(head, sizeof(head),
		 "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: tls_nss\r\n"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n",
		 argv[2], argv[1], blen);
	send_all(s, head, strlen(head), 0);
	send_all(s, body, blen, 1);
	recv_all(s);
	PR_Close(s);
	free(body);
	/* the session cache holds the server's certificate */
	SSL_ClearSessionCache();
	NSS_Shutdown();
	PR_Cleanup();
	return 0;
}
