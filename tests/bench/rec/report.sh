#!/bin/sh
# report.sh RESULTS - figures of tests/bench/bench_record.sh from its result
# lines ("WORKLOAD TOOL ROUND key=value..."; see run() there).  Every figure
# is a median [min .. max] over rounds of a per-round ratio against the same
# round's untraced run; the Must/Goal is printed beside it.  The
# mixed workload's two limits also get a 95% interval of the median and a
# verdict: met, not met, or undecided when the limit is inside it.
exec awk '
function med(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# human numbers: 1234567 -> 1.23M
function h(x) {
	if (x < 0) return "-" h(-x)
	if (x >= 1e6) return sprintf("%.2fM", x / 1e6)
	if (x >= 1e4) return sprintf("%.0fk", x / 1e3)
	if (x >= 1e3) return sprintf("%.1fk", x / 1e3)
	return sprintf("%.0f", x)
}
function ns(x) {
	if (x < 0) return "-" ns(-x)
	if (x >= 1e6) return sprintf("%.1f ms", x / 1e6)
	if (x >= 1e4) return sprintf("%.1f us", x / 1e3)
	if (x >= 1e3) return sprintf("%.2f us", x / 1e3)
	return sprintf("%.0f ns", x)
}
function pct(x) { return sprintf("%+.1f%%", x) }
# fig(ARRAY, N, FMT): "median [min .. max]" with FMT applied to each
function fig(a, n, f,    m) {
	if (!n) return "n/a"
	m = med(a, n)
	if (n == 1) return fmt(m, f) " (n=1)"
	return fmt(m, f) " [" fmt(lo, f) " .. " fmt(hi, f) "]"
}
function fmt(x, f) {
	if (f == "pct") return pct(x)
	if (f == "ns") return ns(x)
	if (f == "h") return h(x)
	return sprintf(f, x)
}
{
	w = $1; t = $2; r = $3
	for (i = 4; i <= NF; i++) {
		split($i, kv, "=")
		v[w, t, r, kv[1]] = kv[2] + 0
	}
	have[w, t, r] = 1
	if (r > maxr) maxr = r
	if (!((w, t) in seen)) { seen[w, t] = 1; order[w] = order[w] " " t }
}
# events per iteration of workload w, as asrecord recorded them
function epi(w,    n, r, a) {
	n = 0
	for (r = 1; r <= maxr; r++)
		if ((w, "asrecord", r) in have && v[w, "asrecord", r, "iters"])
			a[++n] = v[w, "asrecord", r, "events"] / v[w, "asrecord", r, "iters"]
	return n ? med(a, n) : 0
}
function workload(w, title,    E, r, n, t, k, a, ow, oc, rec, bpe, tc, tcp, rss, dr,
		  nt, tl, uw, uc, evs, x, y) {
	E = epi(w)
	n = 0
	for (r = 1; r <= maxr; r++)
		if ((w, "none", r) in have) {
			uw[r] = v[w, "none", r, "wall_ns"] / v[w, "none", r, "iters"]
			uc[r] = v[w, "none", r, "cpu_ns"] / v[w, "none", r, "iters"]
			a[++n] = v[w, "none", r, "wall_ns"] / 1e9
			evs[n] = E * v[w, "none", r, "iters"] / v[w, "none", r, "wall_ns"] * 1e9
			x[n] = v[w, "none", r, "cpu_ns"] / v[w, "none", r, "wall_ns"] * 100
		}
	if (!n) return
	printf "\n== %s\n", title
	printf "   untraced: %s s wall, %s events/s, CPU %s%% of one core; %.1f events per iteration\n",
		fig(a, n, "%.3f"), fig(evs, n, "h"), fig(x, n, "%.0f"), E
	printf "   %-14s %-27s %-29s %-16s\n", "", "wall-time overhead", "added CPU per event",
		"events/s"
	nt = split(order[w], tl, " ")
	for (k = 1; k <= nt; k++) {
		t = tl[k]
		if (t == "none") continue
		n = 0
		for (r = 1; r <= maxr; r++) {
			if (!((w, t, r) in have) || !(r in uw)) continue
			n++
			ow[n] = (v[w, t, r, "wall_ns"] / v[w, t, r, "iters"]) / uw[r] * 100 - 100
			OW[w, t, r] = ow[n]
			y = v[w, t, r, "cpu_ns"] + v[w, t, r, "tracer_cpu_ns"]
			oc[n] = (y / v[w, t, r, "iters"] - uc[r]) / E
			rec[n] = E * v[w, t, r, "iters"] / v[w, t, r, "wall_ns"] * 1e9
			tc[n] = v[w, t, r, "tracer_cpu_ns"] / v[w, t, r, "wall_ns"] * 100
			tcp[n] = v[w, t, r, "tracer_cpu_ns"] / (E * v[w, t, r, "iters"])
			rss[n] = v[w, t, r, "tracer_hwm_kb"] / 1024
			dr[n] = v[w, t, r, "drops"]
			if (t ~ /^asrecord/)
				bpe[n] = v[w, t, r, "events"] ? v[w, t, r, "bytes"] / v[w, t, r, "events"] : 0
			else if (t ~ /^floor/)
				bpe[n] = 0
			else
				bpe[n] = v[w, t, r, "lines"] ? v[w, t, r, "bytes"] / v[w, t, r, "lines"] : 0
		}
		if (!n) continue
		printf "   %-14s %-27s %-29s %-16s\n", t, fig(ow, n, "pct"), fig(oc, n, "ns"),
			fig(rec, n, "h")
		M[w, t, "wall"] = med(ow, n)
		M[w, t, "cpu"] = med(oc, n)
		if (t ~ /^floor/) continue
		printf "   %-14s   tracer CPU %s%% of a core (%s per event), peak RSS %s MiB,\n", "",
			fig(tc, n, "%.1f"), ns(med(tcp, n)), fig(rss, n, "%.0f")
		if (t ~ /^asrecord/)
			printf "   %-14s   %s bytes per event on disk, drops %s\n", "", fig(bpe, n, "%.1f"),
				fig(dr, n, "%.0f")
		else
			printf "   %-14s   %s bytes per output line\n", "", fig(bpe, n, "%.0f")
	}
}
function have_m(w, t, k) { return (w, t, k) in M }
# mci(ARRAY, N): a confidence interval of at least 95% for the median of the
# N values: [x(j), x(N+1-j)] of the sorted values with the largest j whose
# coverage P(j <= Binomial(N, 1/2) <= N-j) is still >= 0.95, in CLO and
# CHI; CLO = CHI = "" when N is too small for one (N < 6).  One round of the
# mixed workload moves by +-10% here: its median is known to a few points
# only, and the interval says how many.
function mci(a, n,    i, j, p, cov, best) {
	med(a, n)
	CLO = CHI = ""
	# p[i] = P(Binomial(n, 1/2) = i)
	p[0] = 2 ^ -n
	for (i = 1; i <= n; i++)
		p[i] = p[i - 1] * (n - i + 1) / i
	for (j = 1; 2 * j <= n; j++) {
		cov = 0
		for (i = j; i <= n - j; i++)
			cov += p[i]
		if (cov < 0.95)
			break
		best = j
	}
	if (best) {
		CLO = a[best]
		CHI = a[n + 1 - best]
	}
}
# the Must or Goal "under LIMIT" against the interval of the last mci()
function verdict(limit) {
	if (CLO == "") return "too few rounds to tell"
	return CHI < limit ? "met" : CLO >= limit ? "not met" : "undecided, " limit " is inside it"
}
# "95% interval of the median LO .. HI: VERDICT" for the last mci()
function interval(f, limit) {
	if (CLO == "") return verdict(limit)
	return "95% interval of the median " fmt(CLO, f) " .. " fmt(CHI, f) ": " verdict(limit)
}
# ows(W, T, ARRAY): the per-round wall-time overheads of T in ARRAY; count
function ows(w, t, a,    r, n) {
	n = 0
	for (r = 1; r <= maxr; r++)
		if ((w, t, r) in OW)
			a[++n] = OW[w, t, r]
	return n
}
# gaps(W, T, U, ARRAY): T minus U in each round where both ran; count
function gaps(w, t, u, a,    r, n) {
	n = 0
	for (r = 1; r <= maxr; r++)
		if ((w, t, r) in OW && (w, u, r) in OW)
			a[++n] = OW[w, t, r] - OW[w, u, r]
	return n
}
# gap(W, T, U): the wall-time overhead of T minus that of U, in each round where
# both ran (so that the noise of the round cancels), as "median [min .. max]"
function gap(w, t, u,    d) {
	return fig(d, gaps(w, t, u, d), "%+.1f")
}
END {
	workload("mixed", "mixed agent-like workload (per iteration: fork+exec /bin/true, " \
		"4 files created/written/read/renamed/deleted, HTTPS POST + 16-event SSE answer)")
	if (have_m("mixed", "asrecord", "wall")) {
		mci(mo, ows("mixed", "asrecord", mo))
		printf "   Must: asrecord under +10%% wall time            -> %s (%s)\n",
			pct(M["mixed", "asrecord", "wall"]), interval("pct", 10)
		if (have_m("mixed", "floor", "wall")) {
			mci(mg, gaps("mixed", "asrecord", "floor", mg))
			printf "   Goal: within 3 points of the floor (%s)     -> %s points (%s)\n",
				pct(M["mixed", "floor", "wall"]), gap("mixed", "asrecord", "floor"),
				interval("%+.1f", 3)
		}
		if (have_m("mixed", "floor-notls", "wall") && have_m("mixed", "asrecord-notls", "wall"))
			printf "   (without the TLS uprobes: floor %s, asrecord %s: the rest is " \
				"the uprobes)\n", pct(M["mixed", "floor-notls", "wall"]),
				pct(M["mixed", "asrecord-notls", "wall"])
	}
	workload("storm", "syscall storm (two processes, open+close of one file in a tight loop)")
	if (have_m("storm", "asrecord", "cpu")) {
		c = M["storm", "asrecord", "cpu"]
		printf "   Must: at most 1 us added CPU per event         -> %s\n", ns(c)
		if (have_m("storm", "bpftrace", "cpu") && c > 0)
			printf "   Must: at least 10x cheaper than bpftrace        -> %.1fx (%s / %s)\n",
				M["storm", "bpftrace", "cpu"] / c, ns(M["storm", "bpftrace", "cpu"]), ns(c)
		printf "   Goal: 250 ns per event                          -> %s\n", ns(c)
	}
	workload("paced", "paced agent session (POST + SSE answer, 200 ms wait, 2 spawns and " \
		"4-file churn, per iteration)")
	if (have_m("paced", "asrecord", "wall"))
		printf "   Goal: under +1%% wall time                       -> %s\n",
			pct(M["paced", "asrecord", "wall"])
	throughput()
}
function throughput(    k, r, t, cpu, got, recd, d, g, mx, zero_ok, first_drop, nt, tl, n,
		      a, e, any) {
	n = 0
	for (r = 1; r <= maxr; r++)
		if (("rate", "none", r) in have)
			a[++n] = 2 * v["rate", "none", r, "iters"] / v["rate", "none", r, "wall_ns"] * 1e9
	if (!n) return
	mx = med(a, n)
	printf "\n== throughput: two processes doing open+close at a paced rate under asrecord\n"
	printf "   (default ring size, zstd level 1); untraced flat out: %s events/s\n",
		fig(a, n, "h")
	printf "   %-10s %-6s %-14s %-14s %-10s %-14s %-12s %s\n", "target/s", "sweep",
		"generated/s", "recorded/s", "drops", "drop %", "recorder", "RSS"
	nt = 0
	for (k in seen) {
		split(k, tl, SUBSEP)
		if (tl[1] ~ /^rate\./) rt[++nt] = substr(tl[1], 6) + 0
	}
	# sort targets, flat out (0) last
	for (i = 2; i <= nt; i++)
		for (j = i; j > 1 && (rt[j - 1] == 0 || (rt[j] != 0 && rt[j - 1] > rt[j])); j--) {
			x = rt[j]; rt[j] = rt[j - 1]; rt[j - 1] = x
		}
	zero_ok = ""; first_drop = ""
	for (i = 1; i <= nt; i++) {
		t = "rate." rt[i]
		any = 0
		for (r = 1; r <= maxr; r++) {
			if (!((t, "asrecord", r) in have)) continue
			got = 2 * v[t, "asrecord", r, "iters"] / v[t, "asrecord", r, "wall_ns"] * 1e9
			e = v[t, "asrecord", r, "events"]
			recd = e / v[t, "asrecord", r, "wall_ns"] * 1e9
			d = v[t, "asrecord", r, "drops"]
			g = v[t, "asrecord", r, "gaps"]
			if (g > d) d = g
			if (d) any = 1
			cpu = v[t, "asrecord", r, "tracer_cpu_ns"]
			printf "   %-10s %-6d %-14s %-14s %-10d %-14s %-12s %.0f MiB\n",
				rt[i] ? h(rt[i]) : "flat out", r, h(got), h(recd), d,
				sprintf("%.3f", 100 * d / (e + d)),
				sprintf("%.0f%% CPU", 100 * cpu / v[t, "asrecord", r, "wall_ns"]),
				v[t, "asrecord", r, "tracer_hwm_kb"] / 1024
			if (!d && (zero_ok == "" || recd > zero_ok)) zero_ok = recd
		}
		if (any && first_drop == "") first_drop = rt[i] ? h(rt[i]) " events/s" : "flat out"
	}
	printf "   highest recorded rate with zero drops: %s events/s; drops begin at: %s\n",
		zero_ok == "" ? "none" : h(zero_ok), first_drop == "" ? "no drops up to flat out" : \
		"target " first_drop
	printf "   Must: 400k events/s across both cores with zero drops; " \
		"Goal: every event the machine can generate (%s/s here)\n", h(mx)
}
' "$1"
