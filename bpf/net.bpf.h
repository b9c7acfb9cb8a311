/* SPDX-License-Identifier: MIT */
/*
 * net.bpf.h - connect/accept/bind/listen and close, called from sys_exit.
 * connect and bind record the address the process passed; accept records
 * the peer of the new socket and listen the bound local address, both read
 * from the kernel socket.  close records sockets and regular files (their
 * i_mode goes in cap_file.mode so a reader tells them apart).
 */
#ifndef AS_BPF_NET_BPF_H
#define AS_BPF_NET_BPF_H

#define AF_UNIX_ 1
#define AF_INET_ 2
#define AF_INET6_ 10

struct net_rec_t {
	struct cap_rec_hdr h;
	struct cap_net n;
};

struct close_rec_t {
	struct cap_rec_hdr h;
	struct cap_file f;
};

/* sockaddr from user memory into @n */
static __always_inline void addr_user(struct cap_net *n, __u64 uaddr, __u32 ulen)
{
	__u8 sa[128] = {};
	__u32 len = ulen < 112 ? ulen : 112;

	if (!uaddr || len < 2 || bpf_probe_read_user(sa, BOUND(len, 127), (void *)uaddr))
		return;
	n->family = sa[0] | sa[1] << 8;
	if (n->family == AF_INET_ || n->family == AF_INET6_)
		n->port = sa[2] << 8 | sa[3];
	if (n->family == AF_INET_)
		__builtin_memcpy(n->addr, sa + 4, 4);
	else if (n->family == AF_INET6_)
		__builtin_memcpy(n->addr, sa + 8, 16);
	else if (n->family == AF_UNIX_ && len > 2) {
		__builtin_memcpy(n->path, sa + 2, 108);
		/* sa is zeroed past len: the path ends there */
		if (!n->path[0])
			n->path[0] = '@';
	}
}

/*
 * The name bound to AF_UNIX socket @sk, or to its peer, as getsockname()
 * and getpeername() give it (the peer of an accepted socket is the
 * client: unnamed unless it bound a name).
 */
static __always_inline void addr_unix(struct cap_net *n, struct sock *sk, int peer)
{
	struct unix_address *ua;
	__u64 len;

	if (peer)
		sk = BPF_CORE_READ((struct unix_sock *)sk, peer);
	if (!sk)
		return;
	ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
	if (!ua)
		return;
	/* len counts sun_family; an abstract name is not NUL-terminated */
	len = (__u32)BPF_CORE_READ(ua, len);
	if (len <= 2)
		return;
	len -= 2;
	if (len > sizeof(n->path))
		len = sizeof(n->path);
	bpf_probe_read_kernel(n->path, BOUND(len, 127),
			      (void *)ua + bpf_core_field_offset(struct unix_address, name) + 2);
	if (!n->path[0])
		n->path[0] = '@';
}

/* address of the socket behind @fd: peer (accept) or local (listen) */
static __always_inline void addr_sock(struct cap_net *n, int fd, int peer)
{
	struct file *f = fd_file(fd);
	struct socket *sock;
	struct sock *sk;

	if (!f || (file_mode(f) & S_IFMT) != S_IFSOCK)
		return;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	n->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (n->family == AF_UNIX_) {
		addr_unix(n, sk, peer);
		return;
	}
	if (peer)
		n->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	else
		n->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (n->family == AF_INET_) {
		__u32 a = peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr)
			       : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(n->addr, &a, 4);
	} else if (n->family == AF_INET6_) {
		/* the cast sizes the read: 16 bytes, not sizeof(n->addr[0]) */
		struct in6_addr *a6 = (struct in6_addr *)n->addr;

		if (peer)
			BPF_CORE_READ_INTO(a6, sk, __sk_common.skc_v6_daddr);
		else
			BPF_CORE_READ_INTO(a6, sk, __sk_common.skc_v6_rcv_saddr);
	}
}

static __always_inline void close_rec(struct sys_args *a, long ret)
{
	struct close_rec_t *r = ring_reserve(sizeof(*r));

	if (!r) {
		count(ASR_P_CLOSE, 1, 0);
		return;
	}
	hdr_fill(&r->h, CAP_REC_CLOSE, sizeof(r->f));
	__builtin_memset(&r->f, 0, sizeof(r->f));
	r->f.ret = ret;
	r->f.fd = a->a[0];
	r->f.mode = a->mode;
	r->f.syscall_nr = a->nr;
	r->f.fd2 = AT_FDCWD_;
	r->f.ino = a->a[1];
	r->f.dev = a->a[2];
	if (ret < 0)
		r->h.flags |= CAP_RF_ERR;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	count(ASR_P_CLOSE, 0, 0);
}

static __always_inline void net_rec(struct sys_args *a, long ret, int probe)
{
	struct net_rec_t *r;
	__u16 type;

	if (probe == ASR_P_CLOSE) {
		close_rec(a, ret);
		return;
	}
	/* a switch, not a const table: libbpf 1.1 cannot relocate .rodata.cst8 */
	switch (probe) {
	case ASR_P_CONNECT: type = CAP_REC_CONNECT; break;
	case ASR_P_ACCEPT: type = CAP_REC_ACCEPT; break;
	case ASR_P_BIND: type = CAP_REC_BIND; break;
	case ASR_P_LISTEN: type = CAP_REC_LISTEN; break;
	default: return;
	}
	r = ring_reserve(sizeof(*r));
	if (!r) {
		count(probe, 1, 0);
		return;
	}
	hdr_fill(&r->h, type, sizeof(r->n));
	__builtin_memset(&r->n, 0, sizeof(r->n));
	r->n.ret = ret;
	r->n.fd = a->a[0];
	r->n.syscall_nr = a->nr;
	if (probe == ASR_P_CONNECT || probe == ASR_P_BIND)
		addr_user(&r->n, a->a[1], a->a[2]);
	else if (probe == ASR_P_ACCEPT && ret >= 0)
		addr_sock(&r->n, ret, 1);
	else if (probe == ASR_P_LISTEN) {
		r->n.backlog = a->a[1];
		addr_sock(&r->n, a->a[0], 0);
	}
	if (ret < 0)
		r->h.flags |= CAP_RF_ERR;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	count(probe, 0, 0);
}

#endif
