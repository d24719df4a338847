#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# This file holds bench_http.py: HTTP through the VIP, xlb against HAProxy in
# TCP mode, in the same namespace lab (scripts/lab.sh, 3 nginx backends) in
# one run. Python 3.11 standard library only (the machines reach only
# Debian's archive); the PNG is drawn by gnuplot, as before.
"""HTTP through the VIP: xlb against HAProxy (TCP mode) in the netns lab,
and the ceiling: the client talking to one backend directly.

  run A  xlbd + XDP on lb1's eth0, VIP web4 192.0.2.10:80/tcp, IPIP tunnel to
         be1..be3 (weight 1 each); the backends answer the client directly
         (DSR: replies never pass lb1).
  run B  xlb detached and stopped, the VIP on lb1's lo, haproxy in lb1 in
         TCP mode (roundrobin over be1..be3, nbthread --haproxy-threads);
         both directions pass lb1 (two TCP connections per request).
  run C  the ceiling: xlb and haproxy stopped, the client talks to be1's
         own address (client -> router -> be1, no balancer); xlb's and
         HAProxy's rows are also given as a share of it.

Runs alternate, A B C A B C ..., --rounds rounds: the machine is shared (other
work drifts in and out), so each figure is the median over the rounds, with
every round's value kept beside it.

From client cl1, per run: an unmeasured warm-up (ab -n --warmup-n -c 10),
then `ab -n N -c C` for each C (a new connection per request) and
`wrk WRK_ARGS --latency` (keep-alive). Every row is checked: ab completed
every request with none failed, wrk had no socket errors and no non-2xx,
and the traffic went through the LB under test (run A: xlb's tx_forward
grew by at least the request count; run B: no XDP program on lb1's eth0 and
haproxy's frontend counted the connections and the bytes; run C: the page
named be1 before and after the row). A row that
fails a check is reported as failed, never silently; the program then
exits 1.

Output: BUILD/bench/http.json, http.md (printed at the end), http.png (ab
requests/s vs concurrency) and the raw tool outputs in BUILD/bench/http-raw/.
Each row also records where the machine's CPU went (client, nginx,
haproxy, softirq, kernel threads, other people's processes) and how long
the client and the servers waited for a CPU.

Root; `make bench-http` builds first. On any exit (error, Ctrl-C, SIGTERM)
xlbd and haproxy are stopped, xlb is detached, the VIP taken off lo and the
lab taken down (unless --keep-lab).

Every option defaults to an environment variable (in brackets), so
`BENCH_ROUNDS=1 make bench-http` works as before. The smallest run:
  BENCH_ROUNDS=1 BENCH_AB_N=200 BENCH_AB_CONC=1 BENCH_WARMUP_N=0 \\
  BENCH_WRK_ARGS="-t1 -c2 -d1s" scripts/bench/bench_http.py
"""

import argparse
import csv
import glob
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAB = os.path.join(ROOT, "scripts", "lab.sh")
PROG = "bench-http"

# The outer source of a tunnelled packet is source4 with its low 16 bits set
# per flow (for the backends' RSS), so source4 stands for a whole /16 that
# must hold no address of the path. The lab's LB address would not do:
# 198.18.0.0/16 holds the router's 198.18.0.1, and the router drops the flows
# whose outer source lands on it as martians (about 1 in 65536; a stuck SYN
# that stalls ab for its 30 s timeout). 198.19.0.0/16 is unused.
ENCAP_SRC4 = "198.19.0.2"


class Die(Exception):
    """A fatal error: printed as "bench-http: MSG", exit status 1."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: clean up, exit 130."""


def say(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, **kw):
    """Runs CMD, returns its stdout as text; raises Die on failure if CHECK."""
    kw.setdefault("stdout", subprocess.PIPE)
    p = subprocess.run(cmd, text=True, **kw)
    if check and p.returncode != 0:
        raise Die(f"{shlex.join(map(str, cmd))} exited {p.returncode}")
    return p.stdout if p.stdout is not None else ""


def out_of(cmd):
    """stdout+stderr of CMD, "" if it cannot run (version strings)."""
    try:
        return subprocess.run(cmd, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT).stdout
    except OSError:
        return ""


def read(path, default=None):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        if default is None:
            raise
        return default


def proc_stat_fields(pid):
    """The fields of /proc/PID/stat after the command name: [state, ppid, ...]."""
    st = read(f"/proc/{pid}/stat")
    return st[st.rindex(")") + 2:].split()


def proc_ticks(pids):
    """CPU ticks (user+system) of PIDS, summed; exited ones count 0."""
    t = 0
    for p in pids:
        try:
            f = proc_stat_fields(p)
            t += int(f[11]) + int(f[12])
        except (OSError, ValueError, IndexError):
            pass
    return t


def cpu_stat():
    """The machine's CPU counters: user nice system idle iowait irq softirq steal."""
    for line in read("/proc/stat").splitlines():
        if line.startswith("cpu "):
            return [int(x) for x in line.split()[1:9]]
    raise Die("no cpu line in /proc/stat")


def cpu_snap(lab_inodes):
    """Every process's CPU ticks and kind: k (kernel thread), l (in this lab's
    namespaces: client, nginx, haproxy, xlbd) or f (anyone else: other
    sessions' work on the machine). This program is left out. For the lab's
    processes also the time their threads waited on a run queue (schedstat
    run_delay, ns)."""
    me = str(os.getpid())
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit() or p == me:
            continue
        try:
            f = proc_stat_fields(p)
            ticks = int(f[11]) + int(f[12])
            if p == "2" or f[1] == "2":
                kind = "k"
            else:
                ino = os.stat(f"/proc/{p}/ns/net").st_ino
                kind = "l" if ino in lab_inodes else "f"
            wait = 0
            if kind == "l":
                wait = run_delay(p)
            out[p] = [kind, ticks, wait]
        except (OSError, ValueError, IndexError):
            pass
    return out


def run_delay(pid):
    """Run-queue wait of PID's threads, summed (schedstat, ns)."""
    w = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for t in tasks:
        try:
            w += int(read(f"/proc/{pid}/task/{t}/schedstat").split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return w


def stop_pid(pid, name):
    """TERM, then KILL after 5 s, a process of ours, after checking that the
    pid still is that program."""
    if not pid:
        return
    try:
        cmdline = read(f"/proc/{pid}/cmdline").replace("\0", " ")
    except OSError:
        return
    if name not in cmdline:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def wrk_ms(v):
    """wrk prints 310.00us, 1.20ms, 2.00s."""
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def hap_show_stat(sock_path):
    """The raw CSV of haproxy's `show stat` on its admin socket."""
    s = socket.socket(socket.AF_UNIX)
    try:
        s.settimeout(10)
        s.connect(sock_path)
        s.sendall(b"show stat\n")
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    finally:
        s.close()
    return data.decode()


def hap_rows(text):
    lines = text.splitlines()
    hdr = lines[0].lstrip("# ").split(",")
    return [dict(zip(hdr, r)) for r in csv.reader(lines[1:]) if r]


class Bench:
    def __init__(self, a):
        self.a = a
        self.build = a.build
        self.lab_id = a.lab_id
        self.out = os.path.join(self.build, "bench")
        self.raw = os.path.join(self.out, "http-raw")
        self.work = None
        self.pin = f"/sys/fs/bpf/xlb-bench-http-{self.lab_id}"
        self.xlbd = None  # Popen of nsenter, which execs xlbd
        self.hap_pid = None
        self.vip_on_lo = False
        self.lab_started = False
        self.env = {}
        self.nginx = []
        self.lab_inodes = set()
        self.rows = []
        self.nfailed = 0
        self.round = 0
        # lab.sh reads these from the environment.
        os.environ.update(LAB_ID=self.lab_id, LAB_BACKENDS="3", LAB_BUILD=self.build)

    # -------------------------------------------------------- paths ----

    def w(self, name):
        return os.path.join(self.work, name)

    @property
    def sock(self):
        return self.w("xlbd.sock")

    @property
    def hap_sock(self):
        return self.w("haproxy.sock")

    # ------------------------------------------------------ helpers ----

    def in_ns(self, ns, *cmd):
        return ["nsenter", f"--net=/run/netns/{ns}", *map(str, cmd)]

    def xlb_cmd(self, *args, ns=None):
        return self.in_ns(ns or self.env["LAB_NS_LB1"], f"{self.build}/xlb", "-s",
                          self.sock, "--pin-dir", self.pin, *args)

    def xlb(self, *args, check=True):
        return run(self.xlb_cmd(*args), check=check, stderr=subprocess.DEVNULL)

    def client(self, *cmd):
        return self.in_ns(self.env["LAB_NS_CL1"], *cmd)

    def lb(self, *cmd):
        return self.in_ns(self.env["LAB_NS_LB1"], *cmd)

    def lb_xdp(self):
        """XDP programs on lb1's eth0 ("" when none)."""
        text = run(["ip", "-n", self.env["LAB_NS_LB1"], "-d", "link", "show", "dev", "eth0"])
        return "\n".join(re.findall(r"prog/xdp id [0-9]*", text))

    def xlb_counts(self):
        """What xlb counted so far: tx_forward and packets to be1, be2, be3."""
        j = json.loads(self.xlb("--json", "stats"))
        return {"fwd": j["counters"]["tx_forward"], "be": [b["packets"] for b in j["backends"]]}

    def hap_counts(self):
        """What HAProxy counted so far: stot and bout of the frontend and
        "be": sessions to be1, be2, be3."""
        out = {"be": []}
        for r in hap_rows(hap_show_stat(self.hap_sock)):
            if r.get("pxname") == "fe_web4" and r.get("svname") == "FRONTEND":
                out.update(stot=int(r["stot"]), bout=int(r["bout"]))
            elif r.get("pxname") == "be_web4" and r.get("svname", "").startswith("be"):
                out["be"].append(int(r["stot"]))
        if "stot" not in out:
            raise Die(f"no fe_web4 frontend in haproxy's stats on {self.hap_sock}")
        return out

    def nginx_pids(self):
        pids = []
        for i in range(1, int(self.env["LAB_BACKENDS"]) + 1):
            m = self.env[f"LAB_BE{i}_NGINX_PID"]
            pids.append(int(m))
            kids = run(["pgrep", "-P", m], check=False)
            pids += [int(x) for x in kids.split()]
        return pids

    def backends_seen(self, n, url=None):
        """The backends N new connections to URL (the VIP) reached, "be1 be2 be3"."""
        seen = set()
        for _ in range(n):
            page = run(self.client("curl", "-s", "--max-time", "3",
                                   url or f"http://{self.env['LAB_VIP4']}/"), check=False)
            f = page.split()
            if len(f) >= 2:
                seen.add(f[1])
        return " ".join(sorted(seen))

    # ----------------------------------------------------- the runs ----

    def timed_client(self, tool, log, cmd):
        """Runs CMD in cl1 under `timeout`, output to LOG. While it runs,
        follows the run-queue wait (schedstat run_delay) of the TOOL process
        in cl1, summed over its threads, every 50 ms (the last 50 ms before it
        exits are not seen). Returns (exit status as a shell gives it, user+sys
        seconds of the client, run-queue wait in ns)."""
        with open(log, "w") as f:
            p = subprocess.Popen(self.client("timeout", "-k", "5", self.a.client_timeout, *cmd),
                                 stdout=f, stderr=subprocess.STDOUT)
        cpid = None
        cwait = 0
        try:
            while True:
                # wait4, not Popen.wait: its rusage is the client's CPU time
                # (timeout and the tool it reaped), as bash's `time` gave.
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if cpid is None:
                    pids = run(["ip", "netns", "pids", self.env["LAB_NS_CL1"]], check=False)
                    for q in pids.split():
                        if read(f"/proc/{q}/comm", "").strip() == tool:
                            cpid = q
                if cpid is not None:
                    cwait = max(cwait, run_delay(cpid))
                time.sleep(0.05)
        except BaseException:
            p.kill()
            p.wait()
            raise
        p.returncode = os.waitstatus_to_exitcode(status)
        rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
        return rc, ru.ru_utime + ru.ru_stime, cwait

    def run_tool(self, lb, tool, conc, log, cmd, want_n=None):
        """Runs one measured client command from cl1 and records one row of
        this round: parsed figures, CPU split, checks."""
        hap = [self.hap_pid] if self.hap_pid else []
        x0 = self.xlb_counts() if lb == "xlb" else None
        s0 = self.hap_counts() if lb == "haproxy" else None
        xdp = self.lb_xdp() if lb == "haproxy" else ""
        snap0 = cpu_snap(self.lab_inodes)
        c0 = cpu_stat()
        n0 = proc_ticks(self.nginx)
        h0 = proc_ticks(hap)
        t0 = time.time()
        rc, client_s, cwait = self.timed_client(tool, log, cmd)
        t1 = time.time()
        c1 = cpu_stat()
        n1 = proc_ticks(self.nginx)
        h1 = proc_ticks(hap)
        snap1 = cpu_snap(self.lab_inodes)
        x1 = self.xlb_counts() if lb == "xlb" else None
        s1 = self.hap_counts() if lb == "haproxy" else None
        if lb == "haproxy":
            xdp += self.lb_xdp()

        text = read(log, "")
        row = {"lb": lb, "tool": tool, "concurrency": conc, "round": self.round}
        errs = []

        def num(pat, conv=float):
            m = re.search(pat, text, re.M)
            return conv(m.group(1)) if m else None

        resp_bytes = None
        if tool == "ab":
            complete = num(r"^Complete requests:\s+(\d+)", int)
            failed = num(r"^Failed requests:\s+(\d+)", int)
            non2xx = num(r"^Non-2xx responses:\s+(\d+)", int) or 0
            row["requests"] = complete or 0
            row["rps"] = num(r"^Requests per second:\s+([\d.]+)")
            row["mean_ms"] = num(r"^Time per request:\s+([\d.]+) \[ms\] \(mean\)$")
            # The percentile table, from ab's -e CSV (the same table in 1 us
            # steps; the printed one is in whole ms).
            pct = {}
            for line in read(log + ".csv", "").splitlines():
                p, _, v = line.strip().partition(",")
                if p.isdigit():
                    pct[int(p)] = float(v)
            row["p50_ms"] = pct.get(50)
            row["p99_ms"] = pct.get(99)
            row["p50_ms_table"] = num(r"^\s+50%\s+(\d+)", int)
            row["p99_ms_table"] = num(r"^\s+99%\s+(\d+)", int)
            row["failed"] = (failed if failed is not None else 0) + non2xx
            resp_bytes = num(r"^Total transferred:\s+(\d+) bytes", int)
            if complete != want_n:
                errs.append(f"ab: complete requests {complete}, want {want_n}")
            if failed is None or failed != 0:
                errs.append(f"ab: failed requests {failed}")
            if non2xx:
                errs.append(f"ab: {non2xx} non-2xx responses")
        else:
            reqs = num(r"^\s+(\d+) requests in ", int)
            row["requests"] = reqs or 0
            row["rps"] = num(r"^Requests/sec:\s+([\d.]+)")
            m = re.search(r"^\s+Latency\s+(\S+)", text, re.M)
            row["mean_ms"] = wrk_ms(m.group(1)) if m else None
            for p in (50, 99):
                m = re.search(rf"^\s+{p}%\s+(\S+)", text, re.M)
                row[f"p{p}_ms"] = wrk_ms(m.group(1)) if m else None
            sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                             text)
            nsock = sum(int(x) for x in sock.groups()) if sock else 0
            non2xx = num(r"^\s+Non-2xx or 3xx responses:\s+(\d+)", int) or 0
            row["failed"] = nsock + non2xx
            m = re.search(r"requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", text)
            if m:
                resp_bytes = float(m.group(1)) * {"B": 1, "KB": 2**10, "MB": 2**20,
                                                  "GB": 2**30}[m.group(2)]
            if not reqs:
                errs.append("wrk: no requests")
            if nsock:
                errs.append(f"wrk: socket errors ({sock.group(0)})")
            if non2xx:
                errs.append(f"wrk: {non2xx} non-2xx/3xx responses")
        if rc in (124, 137):
            errs.append(f"{tool} killed by the time limit")
        elif rc != 0:
            errs.append(f"{tool} exited {rc}")
        for k in ("rps", "p50_ms", "p99_ms"):
            if row.get(k) is None:
                errs.append(f"{tool}: no {k} in its output")

        # Did the traffic go through the LB under test?
        n = row["requests"]
        if lb == "direct":
            seen = self.backends_seen(3, self.direct_url)
            row["spread"] = []
            row["check"] = f"client to {self.direct_url} directly; the page names '{seen}'"
            if seen != "be1":
                errs.append(f"direct: {self.direct_url} answered as '{seen}', want be1")
        elif lb == "xlb":
            d = x1["fwd"] - x0["fwd"]
            row["spread"] = [y - x for x, y in zip(x0["be"], x1["be"])]
            row["check"] = (f"xlb tx_forward +{d} (packets to be1/be2/be3 "
                            f"+{' / +'.join(map(str, row['spread']))})")
            if d < n:
                errs.append(f"xlb forwarded {d} packets for {n} requests")
        else:
            ds, db = s1["stot"] - s0["stot"], s1["bout"] - s0["bout"]
            row["spread"] = [y - x for x, y in zip(s0["be"], s1["be"])]
            row["check"] = (f"haproxy sessions +{ds}, bytes out +{db} (sessions to be1/be2/be3 "
                            f"+{' / +'.join(map(str, row['spread']))})")
            want_s = n if tool == "ab" else 1
            if ds < want_s:
                errs.append(f"haproxy counted {ds} sessions, want >= {want_s}")
            if resp_bytes and db < 0.99 * resp_bytes:
                errs.append(f"haproxy sent {db} bytes, the client read {resp_bytes:.0f}")
            if xdp:
                errs.append(f"an XDP program is on lb1 eth0 in the HAProxy run: {xdp}")

        # Where the CPU went (whole machine; CPU seconds). softirq/irq time
        # is in no process's; kernel threads (ksoftirqd among them) and other
        # people's processes come from the per-process snapshots.
        hz = os.sysconf("SC_CLK_TCK")
        d = [y - x for x, y in zip(c0, c1)]
        by_kind = {"k": 0, "l": 0, "f": 0}
        runq_ns = 0
        for pid, (kind, t, w) in snap1.items():
            by_kind[kind] += t - (snap0[pid][1] if pid in snap0 and snap0[pid][0] == kind else 0)
            # The servers' run-queue wait: lab processes alive across the row
            # (nginx, haproxy; the client has come and gone).
            if kind == "l" and pid in snap0:
                runq_ns += w - snap0[pid][2]
        row["wall_s"] = round(t1 - t0, 3)
        row["cpu"] = {
            "total_s": round(sum(d) / hz, 2),
            "idle_s": round((d[3] + d[4]) / hz, 2),
            "user_s": round((d[0] + d[1]) / hz, 2),
            "sys_s": round(d[2] / hz, 2),
            "softirq_s": round((d[5] + d[6]) / hz, 2),
            "steal_s": round(d[7] / hz, 2),
            "client_s": round(client_s, 2),
            "nginx_s": round((n1 - n0) / hz, 2),
            "haproxy_s": round((h1 - h0) / hz, 2),
            "kthreads_s": round(by_kind["k"] / hz, 2),
            "others_s": round(by_kind["f"] / hz, 2),
            "servers_runq_s": round(runq_ns / 1e9, 3),
            "client_runq_s": round(cwait / 1e9, 3),
        }
        row["ok"] = not errs
        if errs:
            row["error"] = "; ".join(errs)
        self.rows.append(row)
        if row["ok"]:
            say(f"round {row['round']}: {lb} {tool} c={conc}: {row['rps']:.0f} req/s, "
                f"p50 {row['p50_ms']:.3f} ms, p99 {row['p99_ms']:.3f} ms ({row['check']})")
        else:
            self.nfailed += 1
            say(f"FAILED round {self.round} {lb} {tool} c={conc}: {row['error']} (log: {log})")

    @property
    def direct_url(self):
        return f"http://{self.env['LAB_BE1_ADDR']}/"

    def measure(self, lb):
        """The measured part of a run, the same for both LBs and the ceiling."""
        a = self.a
        vip = self.direct_url if lb == "direct" else f"http://{self.env['LAB_VIP4']}/"
        pre = os.path.join(self.raw, f"r{self.round}-{lb}")
        if a.warmup_n:
            with open(f"{pre}-warmup.txt", "w") as f:
                rc = subprocess.run(self.client("timeout", "-k", "5", a.client_timeout, "ab", "-q",
                                                "-n", a.warmup_n, "-c", "10", vip),
                                    stdout=f, stderr=subprocess.STDOUT).returncode
            if rc != 0:
                say(f"{lb}: the warm-up ab failed (see {pre}-warmup.txt)")
        for c in a.ab_conc:
            log = f"{pre}-ab-c{c}.txt"
            cmd = ["ab", "-n", str(a.ab_n), "-c", str(c), "-e", f"{log}.csv", vip]
            with open(f"{log}.cmd", "w") as f:
                f.write(shlex.join(cmd) + "\n")
            self.run_tool(lb, "ab", c, log, cmd, want_n=a.ab_n)
        log = f"{pre}-wrk.txt"
        cmd = ["wrk", *a.wrk_argv, "--latency", vip]
        with open(f"{log}.cmd", "w") as f:
            f.write(shlex.join(cmd) + "\n")
        self.run_tool(lb, "wrk", a.wrk_conc, log, cmd)

    def start_xlbd(self):
        """Starts xlbd in lb1 (nsenter execs it: the Popen is xlbd) and waits
        until the daemon answering on the socket is that one."""
        e = self.env
        cfg = [f"pin_dir: {self.pin}", "hash_seed: 0x5eed", "maglev_size: 65537",
               f"mtu: {e['LAB_MTU']}", f"encap: {{ source4: {ENCAP_SRC4} }}",
               f"nexthop: {{ interface: eth0, address: {e['LAB_RT_INTERNAL_ADDR']} }}",
               "backends:"]
        for i in (1, 2, 3):
            cfg.append(f"  - {{ id: {i}, address: {e[f'LAB_BE{i}_ADDR']}, "
                       f"mac: '{e[f'LAB_BE{i}_MAC']}' }}")
        cfg += ["vips:",
                f"  - {{ name: web4, address: {e['LAB_VIP4']}, port: 80, protocol: tcp, "
                "mode: tunnel,",
                "      backends: [ {id: 1, weight: 1}, {id: 2, weight: 1}, {id: 3, weight: 1} ] }"]
        with open(self.w("xlb.yaml"), "w") as f:
            f.write("\n".join(cfg) + "\n")
        xlog = os.path.join(self.raw, "xlbd.log")
        with open(xlog, "a") as f:
            self.xlbd = subprocess.Popen(
                self.in_ns(e["LAB_NS_LB1"], f"{self.build}/xlbd", "-c", self.w("xlb.yaml"),
                           "-s", self.sock, "-i", "eth0"),
                stdout=f, stderr=subprocess.STDOUT)
        for _ in range(50):
            st = self.xlb("--json", "status", check=False)
            try:
                if json.loads(st)["pid"] == self.xlbd.pid:
                    return
            except (ValueError, KeyError, TypeError):
                pass
            if self.xlbd.poll() is not None:
                break
            time.sleep(0.1)
        for line in read(xlog, "").splitlines():
            print(f"#   {line}", file=sys.stderr)
        raise Die(f"xlbd (pid {self.xlbd.pid}) did not come up")

    def stop_xlb(self):
        if subprocess.run(self.xlb_cmd("detach", "eth0"), stdout=subprocess.DEVNULL).returncode:
            raise Die("xlb detach eth0 failed")
        stop_pid(self.xlbd.pid, "xlbd")
        self.xlbd.wait()
        self.xlbd = None
        if self.lb_xdp():
            raise Die(f"an XDP program is still on lb1 eth0 after xlb detach: {self.lb_xdp()}")

    def haproxy_cfg(self):
        servers = "".join(f"\tserver be{i} {self.env[f'LAB_BE{i}_ADDR']}:80\n" for i in (1, 2, 3))
        return f"""# HAProxy for scripts/bench/bench_http.py: TCP mode, the lab's 3 backends.
global
	nbthread {self.a.haproxy_threads}
	maxconn 4096
	pidfile {self.w("haproxy.pid")}
	stats socket {self.hap_sock} mode 600 level admin
	# no log lines: nothing is logged

defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
	maxconn 4096

frontend fe_web4
	bind {self.env['LAB_VIP4']}:80 backlog 4096
	default_backend be_web4

backend be_web4
	balance roundrobin
{servers}"""

    def start_haproxy(self):
        run(["ip", "-n", self.env["LAB_NS_LB1"], "addr", "add", f"{self.env['LAB_VIP4']}/32",
             "dev", "lo"])
        self.vip_on_lo = True
        cfg = self.w("haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(self.haproxy_cfg())
        shutil.copy(cfg, os.path.join(self.raw, "haproxy.cfg"))
        if subprocess.run(self.lb("haproxy", "-c", "-q", "-f", cfg)).returncode:
            raise Die(f"haproxy rejects {cfg}")
        hlog = os.path.join(self.raw, "haproxy.log")
        with open(hlog, "a") as f:
            if subprocess.run(self.lb("haproxy", "-D", "-f", cfg), stdout=f,
                              stderr=subprocess.STDOUT).returncode:
                raise Die(f"haproxy did not start (see {hlog})")
        pidfile = self.w("haproxy.pid")
        for _ in range(50):
            if os.path.getsize(pidfile) if os.path.exists(pidfile) else 0:
                if os.path.exists(self.hap_sock):
                    break
            time.sleep(0.1)
        first = read(pidfile, "").split()
        self.hap_pid = int(first[0]) if first and first[0].isdigit() else None
        if not self.hap_pid or not os.path.exists(f"/proc/{self.hap_pid}"):
            raise Die("haproxy is not running")
        try:
            self.hap_counts()
        except (OSError, IndexError, Die) as e:
            raise Die(f"no haproxy stats on {self.hap_sock}: {e}") from e

    def stop_haproxy(self):
        stop_pid(self.hap_pid, "haproxy")
        self.hap_pid = None
        run(["ip", "-n", self.env["LAB_NS_LB1"], "addr", "del", f"{self.env['LAB_VIP4']}/32",
             "dev", "lo"])
        self.vip_on_lo = False

    def run_xlb(self):
        say(f"round {self.round}, run A: xlbd on lb1 eth0, web4 {self.env['LAB_VIP4']}:80 "
            "tunnel to be1..be3")
        shutil.rmtree(self.pin, ignore_errors=True)
        self.start_xlbd()
        if not self.lb_xdp():
            raise Die("xlbd runs but no XDP program is on lb1 eth0")
        seen = self.backends_seen(30)
        if seen != "be1 be2 be3":
            raise Die(f"through xlb the VIP reached '{seen}', want be1 be2 be3")
        self.measure("xlb")
        with open(os.path.join(self.raw, f"r{self.round}-xlb-stats.json"), "w") as f:
            subprocess.run(self.xlb_cmd("--json", "stats"), stdout=f)
        self.stop_xlb()

    def run_haproxy(self):
        say(f"round {self.round}, run B: haproxy (TCP mode, nbthread {self.a.haproxy_threads}) "
            "in lb1, VIP on lo")
        self.start_haproxy()
        if self.lb_xdp():
            raise Die(f"an XDP program is on lb1 eth0 in the HAProxy run: {self.lb_xdp()}")
        st = subprocess.run(self.xlb_cmd("status"), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT).stdout
        with open(os.path.join(self.raw, f"r{self.round}-haproxy-xlb-status.txt"), "w") as f:
            f.write(st)
        if re.search(r"eth0 *(native|skb)", st):
            raise Die("xlb status shows xlb attached in the HAProxy run")
        seen = self.backends_seen(30)
        if seen != "be1 be2 be3":
            raise Die(f"through haproxy the VIP reached '{seen}', want be1 be2 be3")
        self.measure("haproxy")
        try:
            with open(os.path.join(self.raw, f"r{self.round}-haproxy-stat.csv"), "w") as f:
                f.write(hap_show_stat(self.hap_sock))
        except OSError:
            pass
        self.stop_haproxy()

    def run_direct(self):
        say(f"round {self.round}, run C: the ceiling, the client to be1 "
            f"{self.env['LAB_BE1_ADDR']} directly")
        if self.lb_xdp():
            raise Die(f"an XDP program is on lb1 eth0 in the direct run: {self.lb_xdp()}")
        seen = self.backends_seen(3, self.direct_url)
        if seen != "be1":
            raise Die(f"{self.direct_url} answered as '{seen}', want be1")
        self.measure("direct")

    # ------------------------------------------------------ cleanup ----

    def cleanup(self):
        """Stops what we started (by pid, checked), takes xlb off the NIC,
        the VIP off lo, the lab down. Best effort, every step."""
        if self.hap_pid:
            stop_pid(self.hap_pid, "haproxy")
            self.hap_pid = None
        if self.xlbd:
            stop_pid(self.xlbd.pid, "xlbd")
            try:
                self.xlbd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.xlbd = None
        ns_lb1 = f"xlb-{self.lab_id}-lb1"
        if self.lab_started and os.path.exists(f"/run/netns/{ns_lb1}") and self.work:
            subprocess.run(self.xlb_cmd("detach", "eth0", ns=ns_lb1),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self.vip_on_lo:
                subprocess.run(["ip", "-n", ns_lb1, "addr", "del",
                                f"{self.env.get('LAB_VIP4', '192.0.2.10')}/32", "dev", "lo"],
                               stderr=subprocess.DEVNULL)
        if self.lab_started:
            if self.a.keep_lab:
                say(f"lab {self.lab_id} left up (--keep-lab); take it down with "
                    f"LAB_ID={self.lab_id} {LAB} down")
            elif subprocess.run([LAB, "down"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL).returncode:
                print(f"{PROG}: lab {self.lab_id} did not go down", file=sys.stderr)
        shutil.rmtree(self.pin, ignore_errors=True)
        if self.work:
            shutil.rmtree(self.work, ignore_errors=True)

    # --------------------------------------------------------- main ----

    def bench(self):
        a = self.a
        os.makedirs(self.out, exist_ok=True)
        shutil.rmtree(self.raw, ignore_errors=True)
        os.makedirs(self.raw)
        self.work = tempfile.mkdtemp(prefix="xlb-bench-http.", dir="/tmp")

        load_before = " ".join(read("/proc/loadavg").split()[:3])
        # Anyone else's lab on the machine shares its CPUs with this run: say so.
        others = {}
        for line in run(["ip", "netns", "list"], check=False).splitlines():
            name = line.split()[0] if line.split() else ""
            if not name or name.startswith(f"xlb-{self.lab_id}-"):
                continue
            name = re.sub(r"^(xlb-[a-z0-9]+)-.*", r"\1", name)
            others[name] = others.get(name, 0) + 1
        other_ns = ", ".join(f"{k} ({v})" for k, v in sorted(others.items()))
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

        say(f"lab {self.lab_id}: bringing it up (3 backends)")
        self.lab_started = True
        lablog = os.path.join(self.raw, "lab.log")
        with open(lablog, "w") as f:
            rc = subprocess.run([LAB, "up"], stdout=f, stderr=subprocess.STDOUT).returncode
        if rc:
            for line in read(lablog, "").splitlines():
                print(f"#   {line}", file=sys.stderr)
            raise Die("the lab did not come up")
        for line in run([LAB, "env"]).splitlines():
            kv = shlex.split(line)
            if kv and "=" in kv[0]:
                k, _, v = kv[0].partition("=")
                self.env[k] = v
        if self.env.get("LAB_DECAP") != "1":
            raise Die("the lab has no tunnel decap on the backends (build/xlb-decap)")
        self.nginx = self.nginx_pids()
        self.lab_inodes = {os.stat(p).st_ino for p in glob.glob(f"/run/netns/xlb-{self.lab_id}-*")}

        for self.round in range(1, a.rounds + 1):
            self.run_xlb()
            self.run_haproxy()
            self.run_direct()

        meta = {
            "kernel": os.uname().release, "ncpu": os.cpu_count(),
            "model": next((l.split(": ", 1)[1] for l in read("/proc/cpuinfo").splitlines()
                           if l.startswith("model name")), "?"),
            "load": load_before, "load_after": " ".join(read("/proc/loadavg").split()[:3]),
            "others": other_ns, "when": when, "cmd": a.cmd,
            "ab_ver": re.sub(r" <.*", "", out_of(["ab", "-V"]).splitlines()[0]
                             .replace("This is ", "").replace(", Version ", "/")),
            "wrk_ver": " ".join(out_of(["wrk", "-v"]).splitlines()[0].split()[:2]),
            "hap_ver": " ".join(out_of(["haproxy", "-v"]).splitlines()[0].split()[0:3:2]),
            "ngx_ver": re.sub(r".*: ", "", out_of(["nginx", "-v"]).strip()),
        }
        report(self.rows, self.out, self.raw, a, meta)
        plot(self.out, a)
        sys.stdout.write(read(os.path.join(self.out, "http.md")))
        sys.stdout.flush()
        say(f"wrote {self.out}/http.json, {self.out}/http.md, {self.out}/http.png "
            f"(raw outputs in {self.raw})")
        if self.nfailed:
            raise Die(f"{self.nfailed} row(s) failed their checks")


# ------------------------------------------------------------ reporting ----

def report(rows, out, raw, a, meta):
    """Writes http.json, http.md and http-ab.dat (the plot's data) from ROWS."""
    kernel, ncpu, model = meta["kernel"], meta["ncpu"], meta["model"]
    load, load_after, others = meta["load"], meta["load_after"], meta["others"]
    ab_ver, wrk_ver, hap_ver, ngx_ver = meta["ab_ver"], meta["wrk_ver"], meta["hap_ver"], meta["ngx_ver"]
    when, cmd = meta["when"], meta["cmd"]
    hap_threads, ab_n, wrk_args, rounds = a.haproxy_threads, a.ab_n, a.wrk_args, a.rounds

    def key(r):
        return (r["lb"], r["tool"], r["concurrency"])

    # One object per (LB, tool, concurrency): medians over the rounds whose
    # checks passed; requests and failed are totals over all rounds.
    agg = {}
    for r in rows:
        agg.setdefault(key(r), []).append(r)

    def med(runs, k):
        v = [r[k] for r in runs if r["ok"] and r.get(k) is not None]
        return round(statistics.median(v), 3) if v else None

    result = []
    for (lb, tool, c), runs in agg.items():
        cpu = {"wall_s": round(sum(r["wall_s"] for r in runs), 3)}
        for r in runs:
            for k, v in r["cpu"].items():
                cpu[k] = round(cpu.get(k, 0) + v, 2)
        errs = [f"round {r['round']}: {r['error']}" for r in runs if not r["ok"]]
        result.append({
            "lb": lb, "tool": tool, "concurrency": c,
            "requests": sum(r["requests"] for r in runs),
            "rps": med(runs, "rps"), "p50_ms": med(runs, "p50_ms"), "p99_ms": med(runs, "p99_ms"),
            "failed": sum(r["failed"] for r in runs),
            "mean_ms": med(runs, "mean_ms"),
            "rounds": len(runs), "rounds_ok": sum(r["ok"] for r in runs),
            "ok": not errs and len(runs) == rounds, "error": "; ".join(errs) or None,
            "rps_rounds": [r["rps"] for r in runs], "p99_ms_rounds": [r["p99_ms"] for r in runs],
            "cpu_s": cpu, "runs": runs,
        })
    with open(f"{out}/http.json", "w") as fj:
        json.dump(result, fj, indent=1)

    def get(lb, tool, c):
        for r in result:
            if (r["lb"], r["tool"], r["concurrency"]) == (lb, tool, c):
                return r
        return None

    def f(v, nd=2):
        return "—" if v is None else f"{v:.{nd}f}"

    def ratio(a, b):
        return "—" if not a or not b else f"{a / b:.2f}"

    def cell(r, k, nd=2):
        if r is None:
            return "—"
        s = f(r.get(k), nd)
        return s if r["ok"] else f"{s} **FAILED**"

    L = []
    L.append("# HTTP through the VIP: xlb vs HAProxy (TCP mode), and the client to one backend directly")
    L.append("")
    L.append(f"- When: {when}; command: `{cmd}`; {rounds} round(s), each run A (xlb), run B (HAProxy) then run C (the client to be1 directly) "
             "in the same lab; every figure is the median over the rounds (all rounds' req/s are under \"Rounds\").")
    L.append(f"- Machine: Linux {kernel}, {ncpu} CPUs ({model}); load average before {load}, after {load_after}; "
             f"other network namespaces at the start: {others or 'none'}.")
    L.append(f"- Tools: {ab_ver}; {wrk_ver}; {hap_ver}; {ngx_ver}.")
    L.append("- Lab (scripts/lab.sh): client cl1 → router rt → LB node lb1 → backends be1..be3 (nginx, 1 worker each, "
             "a 25-byte page), every node a network namespace, veth pairs and bridges.")
    L.append("- **xlb**: XDP on lb1's eth0, VIP 192.0.2.10:80/tcp, IPIP tunnel (outer source 198.19.0.0/16, "
             "sent to the router, which hairpins it to the backend), Maglev over 3 backends of weight 1; "
             "the backends decapsulate and answer the client directly (DSR: replies do not pass lb1).")
    L.append(f"- **HAProxy**: `mode tcp`, `balance roundrobin`, `nbthread {hap_threads}`, no logging, timeouts connect 5s / "
             "client 30s / server 30s, the VIP on lb1's lo, xlb detached and stopped (no XDP program on lb1's eth0, "
             "checked before and after every row); a request is two TCP connections and both directions pass lb1.")
    L.append("")
    L.append(f"> One {ncpu}-core machine runs the client, the router, the LB and the three backends together: "
             "these numbers compare the two load balancers on the same ground, they are not line rate and say "
             "nothing about either one on hardware of its own. \"Where the CPU went\" shows what each row spent.")
    L.append("")
    for tool, title in (("ab", f"ab: `ab -n {ab_n} -c C`, a new connection per request"),
                        ("wrk", f"wrk: `wrk {wrk_args} --latency`, keep-alive")):
        cs = sorted({r["concurrency"] for r in result if r["tool"] == tool})
        if not cs:
            continue
        L.append(f"## {title}")
        L.append("")
        L.append("| C | xlb req/s | HAProxy req/s | req/s xlb/HAProxy | xlb mean ms | HAProxy mean ms "
                 "| xlb p50 ms | HAProxy p50 ms | xlb p99 ms | HAProxy p99 ms | p99 xlb/HAProxy | failed xlb / HAProxy |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in cs:
            x, h = get("xlb", tool, c), get("haproxy", tool, c)
            L.append("| " + " | ".join([
                str(c), cell(x, "rps", 0), cell(h, "rps", 0), ratio(x and x["rps"], h and h["rps"]),
                cell(x, "mean_ms", 3), cell(h, "mean_ms", 3),
                cell(x, "p50_ms", 3), cell(h, "p50_ms", 3), cell(x, "p99_ms", 3), cell(h, "p99_ms", 3),
                ratio(x and x["p99_ms"], h and h["p99_ms"]),
                f"{x['failed'] if x else '—'} / {h['failed'] if h else '—'}"]) + " |")
        L.append("")
        L.append("The ceiling, the client talking to be1 directly (no balancer; one backend where the "
                 "balancers spread over three), and each balancer as a share of it:")
        L.append("")
        L.append("| C | direct req/s | xlb / direct req/s | HAProxy / direct req/s | direct p99 ms "
                 "| p99 xlb/direct | p99 HAProxy/direct | failed direct |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in cs:
            x, h, d = get("xlb", tool, c), get("haproxy", tool, c), get("direct", tool, c)
            L.append("| " + " | ".join([
                str(c), cell(d, "rps", 0), ratio(x and x["rps"], d and d["rps"]),
                ratio(h and h["rps"], d and d["rps"]), cell(d, "p99_ms", 3),
                ratio(x and x["p99_ms"], d and d["p99_ms"]), ratio(h and h["p99_ms"], d and d["p99_ms"]),
                f"{d['failed'] if d else '—'}"]) + " |")
        L.append("")
        if tool == "wrk":
            # Few long-lived connections: how evenly each LB spread them.
            def shares(r):
                if not r:
                    return "—"
                out = []
                for run in r["runs"]:
                    sp = run.get("spread") or []
                    t = sum(sp) or 1
                    out.append("/".join(f"{100 * v / t:.0f}" for v in sp))
                return ", ".join(out)
            for c in cs:
                x, h = get("xlb", tool, c), get("haproxy", tool, c)
                L.append(f"Shares of be1/be2/be3 in % per round, wrk c={c}: xlb (packets, Maglev hash of "
                         f"{c} connections) {shares(x)}; HAProxy (sessions, roundrobin) {shares(h)}. "
                         "wrk runs the machine flat out with more runnable threads than CPUs, so its tail is "
                         "mostly time spent waiting for a CPU (\"client waiting\" and \"servers waiting\" below) and moves from run to "
                         "run; p99 of every round is under \"Rounds\".")
                L.append("")
    L.append("req/s xlb/HAProxy above 1: xlb serves more; p99 xlb/HAProxy below 1: xlb's tail is shorter. "
             "ab's percentiles come from its `-e` CSV (the table it prints, in 1 µs steps instead of whole ms); "
             "ab's mean is its \"Time per request (mean)\", wrk's the latency average. Failed: summed over the rounds.")
    L.append("")
    L.append("## Rounds")
    L.append("")
    L.append("req/s and p99 of every round, in order (the spread is the noise of a shared machine).")
    L.append("")
    L.append("| tool | C | xlb req/s | HAProxy req/s | direct req/s | xlb p99 ms | HAProxy p99 ms | direct p99 ms |")
    L.append("|---|---:|---|---|---|---|---|---|")
    for tool in ("ab", "wrk"):
        for c in sorted({r["concurrency"] for r in result if r["tool"] == tool}):
            x, h, d = get("xlb", tool, c), get("haproxy", tool, c), get("direct", tool, c)
            fmt = lambda r, k, nd: ", ".join("—" if v is None else f"{v:.{nd}f}" for v in r[k]) if r else "—"
            L.append(f"| {tool} | {c} | {fmt(x, 'rps_rounds', 0)} | {fmt(h, 'rps_rounds', 0)} | "
                     f"{fmt(d, 'rps_rounds', 0)} | {fmt(x, 'p99_ms_rounds', 2)} | "
                     f"{fmt(h, 'p99_ms_rounds', 2)} | {fmt(d, 'p99_ms_rounds', 2)} |")
    L.append("")
    L.append("## Where the CPU went")
    L.append("")
    L.append("CPU time per request in µs, all rounds together: the whole machine busy (everything but idle and steal), then "
             "its parts: the client tool, the three nginx, haproxy, softirq/irq (XDP, and so xlb, runs here, "
             "with the veth and bridge forwarding of every node), kernel threads (ksoftirqd among them), and "
             "other processes outside the lab (other people's work on the machine: noise). The parts do not add "
             "up exactly (sys time of short-lived processes, accounting granularity). "
             "Client cores and haproxy cores: CPU time over wall time; ab is single-threaded, so client cores near 1 "
             "means the row measured ab's ceiling, not the LB's. Client / servers waiting: run-queue wait of the client's "
             "threads / of the nginx and haproxy threads over wall time, i.e. how many of them on average were "
             "ready to run but had no CPU. Bound by: ab at ≥ 0.9 cores, else the machine at "
             "≥ 85 % busy or with ≥ 1 thread waiting for a CPU on average, else latency (each client waits on "
             "its request with CPU to spare).")
    L.append("")
    L.append("| LB | tool | C | busy % | steal % | client cores | haproxy cores | busy µs/req | client | nginx | haproxy | softirq | kthreads | others | client waiting | servers waiting | bound by |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    def bound(r, busy):
        c = r["cpu_s"]
        if r["tool"] == "ab" and c["client_s"] / (c["wall_s"] or 1) >= 0.9:
            return "ab (one core)"
        waiting = (c["client_runq_s"] + c["servers_runq_s"]) / (c["wall_s"] or 1)
        if busy / (c["total_s"] or 1) >= 0.85 or waiting >= 1:
            return "machine CPU"
        return "latency (CPU to spare)"

    for r in result:
        c, n = r["cpu_s"], r["requests"]
        us = lambda k: f"{1e6 * c[k] / n:.0f}" if n else "—"
        busy = c["total_s"] - c["idle_s"] - c["steal_s"]
        L.append(f"| {r['lb']} | {r['tool']} | {r['concurrency']} | "
                 f"{100 * busy / (c['total_s'] or 1):.0f} | {100 * c['steal_s'] / (c['total_s'] or 1):.0f} | "
                 f"{c['client_s'] / (c['wall_s'] or 1):.2f} | {c['haproxy_s'] / (c['wall_s'] or 1):.2f} | "
                 f"{f'{1e6 * busy / n:.0f}' if n else '—'} | {us('client_s')} | "
                 f"{us('nginx_s')} | {us('haproxy_s')} | {us('softirq_s')} | {us('kthreads_s')} | {us('others_s')} | "
                 f"{c['client_runq_s'] / (c['wall_s'] or 1):.2f} | "
                 f"{c['servers_runq_s'] / (c['wall_s'] or 1):.2f} | {bound(r, busy)} |")
    L.append("")
    L.append("## Checks")
    L.append("")
    for fn in sorted(glob.glob(f"{raw}/r*-xlb-stats.json")):
        try:
            st = json.load(open(fn))
            L.append(f"- {fn.split('/')[-1].split('-')[0]}: xlb packets forwarded to be1/be2/be3: " +
                     " / ".join(str(b["packets"]) for b in st["backends"]))
        except (OSError, ValueError, KeyError):
            pass
    for fn in sorted(glob.glob(f"{raw}/r*-haproxy-stat.csv")):
        try:
            lines = open(fn).read().splitlines()
            hdr = lines[0].lstrip("# ").split(",")
            srv = [dict(zip(hdr, r)) for r in csv.reader(lines[1:]) if r]
            L.append(f"- {fn.split('/')[-1].split('-')[0]}: HAProxy sessions to be1/be2/be3: " + " / ".join(
                r["stot"] for r in srv if r["pxname"] == "be_web4" and r["svname"].startswith("be")))
        except (OSError, ValueError, KeyError, IndexError):
            pass
    for r in rows:
        st = "ok" if r["ok"] else f"**FAILED**: {r['error']}"
        L.append(f"- round {r['round']} {r['lb']} {r['tool']} c={r['concurrency']}: {r['requests']} requests, "
                 f"{r['failed']} failed; {r['check']}; {st}")
    L.append("")
    with open(f"{out}/http.md", "w") as fm:
        fm.write("\n".join(L))

    with open(f"{out}/http-ab.dat", "w") as d:
        d.write("# concurrency xlb_rps haproxy_rps direct_rps (medians)\n")
        for c in sorted({r["concurrency"] for r in result if r["tool"] == "ab"}):
            x, h, dr = get("xlb", "ab", c), get("haproxy", "ab", c), get("direct", "ab", c)
            v = lambda r: f"{r['rps']:.1f}" if r and r["ok"] and r["rps"] else "NaN"
            d.write(f"{c} {v(x)} {v(h)} {v(dr)}\n")


def plot(out, a):
    """http.png: ab requests/s against concurrency, both LBs (gnuplot)."""
    dat = os.path.join(out, "http-ab.dat")
    cs = [l.split()[0] for l in read(dat).splitlines()[1:] if l.split()]
    xtics = ", ".join(f'"{c}" {c}' for c in cs)
    script = f"""set terminal pngcairo size 900,540 enhanced font "sans,11"
set output "{out}/http.png"
set title "HTTP through the VIP: ab -n {a.ab_n}, a new connection per request; median of {a.rounds} round(s)\\n{os.uname().release}, {os.cpu_count()} CPUs, client, LB and backends on one machine"
set xlabel "concurrency (ab -c)"
set ylabel "requests/s"
set key bottom right box opaque
set grid
set yrange [0:*]
set xtics ({xtics})
plot "{dat}" using 1:2 with linespoints lw 2 pt 7 title "xlb (XDP, IPIP, DSR)", \\
     "{dat}" using 1:3 with linespoints lw 2 pt 5 title "HAProxy (TCP mode, nbthread {a.haproxy_threads})", \\
     "{dat}" using 1:4 with linespoints lw 2 pt 9 dt 2 title "ceiling: the client to be1 directly"
"""
    if subprocess.run(["gnuplot"], input=script, text=True).returncode:
        raise Die("gnuplot failed to draw http.png")


# ----------------------------------------------------------------- main ----

def env(name, default):
    return os.environ.get(name, default)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench_http.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options]   (root; or: make bench-http)")
    p.add_argument("--build", default=env("BUILD", os.path.join(ROOT, "build")),
                   help="build directory with xlbd, xlb, xlb-decap, xlb_pass.bpf.o [$BUILD, <repo>/build]")
    p.add_argument("--lab-id", default=env("LAB_ID", f"hb{os.getpid() % 10000}"),
                   help="the lab's name [$LAB_ID, hbPID]")
    p.add_argument("--rounds", default=env("BENCH_ROUNDS", "3"),
                   help="rounds, 1..99, each run A then run B [$BENCH_ROUNDS, 3]")
    p.add_argument("--ab-n", default=env("BENCH_AB_N", "10000"),
                   help="requests per ab row [$BENCH_AB_N, 10000]")
    p.add_argument("--ab-conc", default=env("BENCH_AB_CONC", "1 3 5 10 20"),
                   help='ab concurrencies, one row each [$BENCH_AB_CONC, "1 3 5 10 20"]')
    p.add_argument("--warmup-n", default=env("BENCH_WARMUP_N", "2000"),
                   help="requests of the unmeasured warm-up ab per run, 0 for none "
                        "[$BENCH_WARMUP_N, 2000]")
    p.add_argument("--wrk-args", default=env("BENCH_WRK_ARGS", "-t2 -c20 -d10s"),
                   help='wrk\'s options; must hold -c N [$BENCH_WRK_ARGS, "-t2 -c20 -d10s"]')
    p.add_argument("--haproxy-threads", default=env("BENCH_HAPROXY_THREADS", "2"),
                   help="haproxy's nbthread [$BENCH_HAPROXY_THREADS, 2]")
    p.add_argument("--client-timeout", default=env("BENCH_CLIENT_TIMEOUT", "180"),
                   help="seconds per client run, then it is killed and its row fails "
                        "(ab can hang for good once connections fail) [$BENCH_CLIENT_TIMEOUT, 180]")
    p.add_argument("--keep-lab", action="store_true", default=env("BENCH_KEEP_LAB", "0") == "1",
                   help="leave the lab up on exit; xlbd and haproxy are stopped all the same "
                        "[$BENCH_KEEP_LAB=1]")
    p.add_argument("--cmd", default=env("BENCH_CMD", "scripts/bench/bench_http.py"),
                   help="the command named in http.md [$BENCH_CMD]")
    a = p.parse_args(argv)

    def count(name, v, lo, hi):
        if not re.fullmatch(r"[0-9]+", str(v)) or not lo <= int(v) <= hi:
            p.error(f"{name} must be {lo}..{hi} (got '{v}')")
        return int(v)

    a.rounds = count("--rounds/BENCH_ROUNDS", a.rounds, 1, 99)
    a.ab_n = count("--ab-n/BENCH_AB_N", a.ab_n, 1, 10**9)
    a.warmup_n = count("--warmup-n/BENCH_WARMUP_N", a.warmup_n, 0, 10**9)
    a.haproxy_threads = count("--haproxy-threads/BENCH_HAPROXY_THREADS", a.haproxy_threads, 1, 64)
    a.client_timeout = str(count("--client-timeout/BENCH_CLIENT_TIMEOUT", a.client_timeout,
                                 1, 86400))
    a.ab_conc = [count("--ab-conc/BENCH_AB_CONC", c, 1, 20000) for c in a.ab_conc.split()]
    if not a.ab_conc:
        p.error("--ab-conc/BENCH_AB_CONC names no concurrency")
    a.wrk_argv = shlex.split(a.wrk_args)
    m = re.search(r"-c *([0-9]+)", a.wrk_args)
    if not m:
        p.error(f"--wrk-args/BENCH_WRK_ARGS must hold -c N (got '{a.wrk_args}')")
    a.wrk_conc = int(m.group(1))
    if not re.fullmatch(r"[a-z0-9]{1,6}", a.lab_id):
        p.error(f"--lab-id/LAB_ID must be [a-z0-9]{{1,6}} (got '{a.lab_id}')")
    a.build = os.path.realpath(a.build)
    return a


def preflight(a):
    if os.geteuid() != 0:
        raise Die("need root")
    for t in ("ab", "wrk", "haproxy", "gnuplot", "nsenter", "curl", "nginx"):
        if not shutil.which(t):
            raise Die(f"{t} not found (run scripts/install-deps.sh)")
    for f in ("xlbd", "xlb", "xlb-decap", "xlb_pass.bpf.o"):
        if not os.path.exists(os.path.join(a.build, f)):
            raise Die(f"{a.build}/{f} missing (run make all)")


def on_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def main(argv):
    a = parse_args(argv)
    bench = None
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        preflight(a)
        bench = Bench(a)
        bench.bench()
        return 0
    except Die as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except Interrupted as e:
        print(f"{PROG}: {e}: stopping", file=sys.stderr)
        return 130
    finally:
        # A second signal must not cut the cleanup short.
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        if bench:
            bench.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
