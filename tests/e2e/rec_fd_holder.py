# tests/e2e/rec_fd_holder.py DIR TLSPORT TCPPORT - a process whose fds are
# all opened before asrecord -p attaches to it: a file open for writing,
# a keep-alive HTTPS connection (one POST made already), a plain TCP
# connection and a listening unix socket.  When DIR/go appears it uses
# them (a write, a second POST, a send) and exits.
import http.client, os, socket, ssl, sys, time

d, tls_port, tcp_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", tls_port, context=ctx)


def post(body):
    conn.request("POST", "/v1/messages", body=body, headers={"Content-Type": "application/json"})
    return conn.getresponse().read()


post(b'{"before": "attach"}')
f = open(os.path.join(d, "held.txt"), "w")
f.write("before\n")
f.flush()
tcp = socket.create_connection(("127.0.0.1", tcp_port))
u = socket.socket(socket.AF_UNIX)
u.bind(os.path.join(d, "held.sock"))
u.listen(1)
open(os.path.join(d, "ready"), "w").close()
while not os.path.exists(os.path.join(d, "go")):
    time.sleep(0.02)
f.write("after-attach-marker\n")
f.flush()
post(b'{"after": "attach-marker"}')
tcp.sendall(b"tcp-after")
print(f.fileno(), conn.sock.fileno(), tcp.fileno(), u.fileno(), flush=True)
