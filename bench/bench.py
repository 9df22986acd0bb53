#!/usr/bin/env python3
"""Benchmark driver: waitress-go against Waitress, gunicorn, uWSGI, Granian and Go.

Normally started by bench/run.sh, which installs the peers and builds the
binaries first. Standard library only, so any Python 3.8+ can run it; the
servers and the in-process "limit" run in bench/.venv.

For each workload (one WSGI app) every selected server is started in turn on
a free 127.0.0.1 port, checked with one real request, warmed up, then loaded
with `wrk -t1 -c32 --latency`; requests/s, p50, p99, errors and the peak RSS
of the server's whole process tree are recorded. Tables and ratios go to
stdout, progress to stderr, everything to a JSON file in bench/results/.
"""

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
APPS = os.path.join(BENCH, "apps")
WRK_DIR = os.path.join(BENCH, "wrk")
VENV = os.path.join(BENCH, ".venv")
VENV_BIN = os.path.join(VENV, "bin")
BUILD = os.path.join(BENCH, ".build")
OURS_BIN = os.path.join(BUILD, "waitress-serve")
GO_BIN = os.path.join(BUILD, "gohello")
RESULTS = os.path.join(BENCH, "results")

FILE_SIZE = 100 * 1024 * 1024
ECHO_SIZE = 64 * 1024
SLEEP_S = 0.010
BUSY_CORES = 0.2  # other processes using this much CPU during a run make it noise
GIL_RE = re.compile(r"gil_held_ns_per_request\s*[=:]\s*([0-9]+(?:\.[0-9]+)?)")
STAT_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=([0-9]+(?:\.[0-9]+)?)\b")


class Workload:
    """One app to load, with what a correct response looks like."""

    def __init__(self, name, module, desc, method="GET", lua="report.lua",
                 body_len=0, expect_len=None, go=None, extra=(), by_bytes=False, min_duration=0):
        self.name = name
        self.target = module + ":app"
        self.desc = desc
        self.method = method
        self.lua = os.path.join(WRK_DIR, lua)
        self.body_len = body_len
        self.expect_len = expect_len
        self.go = go  # (server id, path) of the Go baseline, if any
        self.extra = extra  # servers run only for this workload
        # Compare by bytes/s, not req/s: with 32 connections sharing the link a
        # 100 MiB response takes seconds, so few requests end inside a run.
        self.by_bytes = by_bytes
        self.min_duration = min_duration


WORKLOADS = [
    Workload("hello", "hello", "raw WSGI hello world", expect_len=14,
             go=("go-net-http", "/")),
    Workload("flask_hello", "flask_hello", "Flask hello world", expect_len=14),
    Workload("flask_json", "flask_json", "Flask jsonify of a small dict"),
    Workload("post_echo", "echo", "POST 64 KiB, echoed back", method="POST",
             lua="post_echo.lua", body_len=ECHO_SIZE, expect_len=ECHO_SIZE),
    Workload("big_1mib", "big", "1 MiB response body", expect_len=1024 * 1024),
    Workload("chunks", "chunks", "generator of 100 x 1 KiB chunks", expect_len=100 * 1024),
    Workload("file_wrapper", "filewrap", "100 MiB file via wsgi.file_wrapper",
             expect_len=FILE_SIZE, go=("go-servefile", "/file"), by_bytes=True, min_duration=3),
    Workload("sleepy", "sleepy", "app sleeps 10 ms", expect_len=11, extra=("ours-t32",)),
]

# Order within a workload; Go baselines and extras are appended where they apply.
PEERS = ["ours", "waitress", "gunicorn-sync", "gunicorn-gthread", "uwsgi", "granian"]
ALL_SERVERS = PEERS + ["ours-t32", "go-net-http", "go-servefile"]
THREADS = {"ours": 4, "ours-t32": 32, "waitress": 4, "gunicorn-sync": 1,
           "gunicorn-gthread": 4, "uwsgi": 4, "granian": 4}


class Skip(Exception):
    """A server that cannot run on this machine (not built, not installed)."""


# ---------------------------------------------------------------- processes

LIVE = {}  # pid -> Popen of every server still running, for cleanup


def tree_pids(root):
    """Pids of root and all its descendants, from a scan of /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces or parens; fields after it are fixed.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """User+system CPU seconds used so far by the given processes."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def machine_busy_seconds():
    """CPU seconds all CPUs spent not idle, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    return (sum(vals[:8]) - idle) / CLK_TCK


def rss_bytes(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class RSSSampler(threading.Thread):
    """Samples the summed VmRSS of a process tree every 100 ms; keeps the peak."""

    def __init__(self, root, interval=0.1):
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak = 0
        self._stop_evt = threading.Event()

    def sample(self):
        total = sum(rss_bytes(p) for p in tree_pids(self.root))
        self.peak = max(self.peak, total)

    def run(self):
        while not self._stop_evt.is_set():
            self.sample()
            self._stop_evt.wait(self.interval)

    def stop(self):
        self._stop_evt.set()
        self.join(2)
        self.sample()


def kill_tree(proc, first_signal=signal.SIGTERM, grace=5.0):
    """Stops a server and everything it spawned; SIGKILL after the grace time."""
    pids = tree_pids(proc.pid)
    try:
        os.killpg(proc.pid, first_signal)
    except ProcessLookupError:
        pass
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    # Anything left in the group, or children that escaped it, dies now.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(2)
    except subprocess.TimeoutExpired:
        pass
    LIVE.pop(proc.pid, None)


def kill_all():
    for proc in list(LIVE.values()):
        kill_tree(proc, grace=1.0)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=12):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------- servers

def venv_env(extra):
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = VENV
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = APPS
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def need(path, hint):
    if not os.access(path, os.X_OK):
        raise Skip("%s not found (%s)" % (os.path.relpath(path, REPO), hint))
    return path


def uwsgi_cmd(wl, port):
    # --http-socket closes the connection after each response without saying
    # so, which wrk counts as a read error; the header makes the close explicit.
    # (--http11-socket keeps connections alive but pins one connection to each
    # of the 4 threads and starves the other 28, which wrk's latency hides.)
    common = ["--http-socket", "127.0.0.1:%d" % port, "--processes", "1",
              "--threads", "4", "--module", wl.target, "--chdir", APPS,
              "--disable-logging", "--need-app", "--buffer-size", "32768",
              "--add-header", "Connection: close"]
    pyuwsgi = os.path.join(VENV_BIN, "pyuwsgi")
    if os.access(pyuwsgi, os.X_OK):
        return [pyuwsgi] + common
    # Debian's uwsgi embeds Debian's libpython; point it at the venv's packages.
    if shutil.which("uwsgi") and os.path.exists("/usr/lib/uwsgi/plugins/python3_plugin.so"):
        site = subprocess.run(
            [os.path.join(VENV_BIN, "python"), "-c",
             "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True).stdout.strip()
        return ["uwsgi", "--plugin", "python3", "--pythonpath", site] + common
    raise Skip("neither pyuwsgi in bench/.venv nor Debian uwsgi + python3 plugin")


def server_command(sid, wl, port):
    """argv and the signal that stops it, for server sid serving workload wl."""
    vb = lambda name: need(os.path.join(VENV_BIN, name), "run bench/run.sh to install peers")
    hostport = "127.0.0.1:%d" % port
    if sid in ("ours", "ours-t32"):
        need(OURS_BIN, "go build ./cmd/waitress-serve failed or not run")
        return [OURS_BIN, "--host=127.0.0.1", "--port=%d" % port,
                "--threads=%d" % THREADS[sid], wl.target], signal.SIGTERM
    if sid == "waitress":
        return [vb("waitress-serve"), "--host=127.0.0.1", "--port=%d" % port,
                "--threads=4", wl.target], signal.SIGTERM
    if sid == "gunicorn-sync":
        return [vb("gunicorn"), "--workers=1", "--worker-class=sync", "--bind", hostport,
                "--chdir", APPS, wl.target], signal.SIGTERM
    if sid == "gunicorn-gthread":
        return [vb("gunicorn"), "--workers=1", "--worker-class=gthread", "--threads=4",
                "--bind", hostport, "--chdir", APPS, wl.target], signal.SIGTERM
    if sid == "uwsgi":
        return uwsgi_cmd(wl, port), signal.SIGINT
    if sid == "granian":
        return [vb("granian"), "--interface", "wsgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "--blocking-threads", "4",
                "--runtime-threads", "1", "--no-ws", "--no-access-log",
                "--log-level", "warning", "--working-dir", APPS, wl.target], signal.SIGTERM
    if sid in ("go-net-http", "go-servefile"):
        need(GO_BIN, "go build ./bench/gohello failed or not run")
        return [GO_BIN, "-addr", hostport, "-file", os.environ.get("BENCH_FILE", "")], signal.SIGTERM
    raise Skip("unknown server %r" % sid)


def url_path(sid, wl):
    if wl.go and sid == wl.go[0]:
        return wl.go[1]
    return "/"


# ---------------------------------------------------------------- one run

def wait_listening(proc, port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return "exited with status %s" % proc.returncode
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return None
        except OSError:
            time.sleep(0.05)
    return "not listening after %.0f s" % timeout


def probe(port, path, wl, timeout=60):
    """One real request; returns (error or None, response headers)."""
    body = b"p" * wl.body_len if wl.body_len else None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/octet-stream"} if body else {}
        conn.request(wl.method, path, body=body, headers=headers)
        resp = conn.getresponse()
        got = 0
        echoed_ok = True
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            if body is not None and chunk != body[got:got + len(chunk)]:
                echoed_ok = False
            got += len(chunk)
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        if "content-length" in hdrs:
            hdrs["_framing"] = "length"
        elif "chunked" in hdrs.get("transfer-encoding", "").lower():
            hdrs["_framing"] = "chunked"
        else:
            hdrs["_framing"] = "close"
    except (OSError, http.client.HTTPException) as e:
        return "probe request failed: %s: %s" % (type(e).__name__, e), {}
    finally:
        conn.close()
    if resp.status != 200:
        return "probe got status %d" % resp.status, hdrs
    if wl.expect_len is not None and got != wl.expect_len:
        return "probe body is %d bytes, want %d" % (got, wl.expect_len), hdrs
    if not echoed_ok:
        return "probe body differs from the request body", hdrs
    return None, hdrs


def run_wrk(url, wl, duration, connections, timeout_s):
    argv = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % max(1, round(duration)),
            "--timeout", "%ds" % timeout_s, "--latency", "-s", wl.lua, url]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + timeout_s + 30)
    except subprocess.TimeoutExpired:
        return None, "wrk did not finish"
    m = re.search(r"^BENCHJSON (\{.*\})$", out.stdout, re.M)
    if not m:
        return None, "wrk output unreadable: %s" % (out.stdout + out.stderr)[-400:]
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / secs if secs else 0.0
    r["mib_per_s"] = r["bytes"] / secs / 1048576.0 if secs else 0.0
    r["non_2xx"] = r.pop("status")  # wrk counts responses with status > 399
    r["socket_errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    r["errors"] = r["socket_errors"] + r["non_2xx"]
    return r, None


def wait_idle(max_wait, threshold=0.2, window=0.5):
    """Waits (up to max_wait s) until other processes use under threshold cores."""
    deadline = time.monotonic() + max_wait
    while True:
        b0 = machine_busy_seconds()
        s0 = os.times()
        time.sleep(window)
        s1 = os.times()
        mine = s1.user + s1.system - s0.user - s0.system
        load = (machine_busy_seconds() - b0 - mine) / window
        if load < threshold or time.monotonic() >= deadline:
            return load


def run_one(sid, wl, args, logdir):
    """Starts server sid for workload wl, loads it, stops it; returns a result dict."""
    res = {"server": sid, "workload": wl.name}
    if args.wait_idle > 0:
        res["load_before"] = round(wait_idle(args.wait_idle), 2)
    try:
        argv, stop_sig = server_command(sid, wl, 0)  # availability check only
    except Skip as e:
        res.update(status="skipped", reason=str(e))
        return res
    port = free_port()
    argv, stop_sig = server_command(sid, wl, port)
    res["argv"] = argv
    log_path = os.path.join(logdir, "%s.%s.log" % (wl.name, sid))
    logf = open(log_path, "wb")
    env = venv_env({"BENCH_FILE": os.environ.get("BENCH_FILE", "")})
    proc = subprocess.Popen(argv, cwd=APPS, env=env, stdin=subprocess.DEVNULL,
                            stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    LIVE[proc.pid] = proc
    sampler = RSSSampler(proc.pid)
    sampler.start()
    try:
        t0 = time.monotonic()
        err = wait_listening(proc, port, args.start_timeout)
        path = url_path(sid, wl)
        hdrs = {}
        if err is None:
            err, hdrs = probe(port, path, wl)
        res["startup_s"] = round(time.monotonic() - t0, 3)
        if err is not None:
            res.update(status="failed to start", reason=err)
            return res
        if "x-bench-file-wrapper" in hdrs:
            res["file_wrapper"] = hdrs["x-bench-file-wrapper"]
        url = "http://127.0.0.1:%d%s" % (port, path)
        if args.warmup > 0:
            run_wrk(url, wl, args.warmup, args.connections, args.wrk_timeout)
        sampler.peak = 0  # peak under load, not during imports/warm-up spikes only
        pids = tree_pids(proc.pid)
        cpu0, busy0, wall0 = cpu_seconds(pids), machine_busy_seconds(), time.monotonic()
        self0 = os.times()
        r, err = run_wrk(url, wl, max(args.duration, wl.min_duration), args.connections, args.wrk_timeout)
        if err is not None:
            res.update(status="failed", reason=err)
            return res
        wall = time.monotonic() - wall0
        self1 = os.times()
        server_cpu = cpu_seconds(pids) - cpu0
        # wrk and this driver are waited children / ourselves; the rest is other load.
        ours_cpu = (self1.children_user + self1.children_system - self0.children_user - self0.children_system
                    + self1.user + self1.system - self0.user - self0.system)
        other = machine_busy_seconds() - busy0 - server_cpu - ours_cpu
        res.update(status="ok", **r)
        res["server_cores"] = round(server_cpu / wall, 2) if wall > 0 else 0.0
        res["other_load_cores"] = round(max(0.0, other / wall), 2) if wall > 0 else 0.0
        res["framing"] = hdrs.get("_framing")
        if r["requests"] == 0 and (r["bytes"] == 0 or not wl.by_bytes):
            res.update(status="failed", reason="no response completed during the %.0f s run "
                       "(server used %.2f cores, other processes %.2f)" % (
                           wall, res["server_cores"], res["other_load_cores"]))
        if res["framing"] == "close":
            # A close-delimited body ends at EOF, which wrk counts as a read error.
            res["errors"] -= res["read"]
            res["read_errors_are_eof"] = True
        if proc.poll() is not None:
            res.update(status="failed", reason="server exited during the run (status %s)" % proc.returncode)
        elif sid.startswith("ours"):
            # Ask for the stats line (it may also print one at exit). A Go program
            # that does not handle SIGUSR1 ignores it, so this is always safe.
            try:
                os.kill(proc.pid, signal.SIGUSR1)
                time.sleep(0.3)
            except ProcessLookupError:
                pass
        return res
    finally:
        sampler.stop()
        res["peak_rss"] = sampler.peak
        kill_tree(proc, stop_sig)
        logf.close()
        log_text = ""
        try:
            with open(log_path, "rb") as f:
                log_text = f.read().decode("utf-8", "replace")
        except OSError:
            pass
        stats_lines = [l for l in log_text.splitlines() if GIL_RE.search(l)]
        if stats_lines:
            res["gil_held_ns_per_request"] = float(GIL_RE.findall(stats_lines[-1])[-1])
            res["server_stats"] = {k: float(v) for k, v in STAT_RE.findall(stats_lines[-1])}
        if res.get("status") not in ("ok", "skipped"):
            res["log_tail"] = tail(log_path)
        res["log"] = log_path


def run_memory(wl, args, logdir):
    """Our server's RSS as the request count grows: idle, after ~10k and after ~1M requests of wl.

    The target is that RSS stays flat (within 5%) between 10k and 1M requests."""
    res = {"workload": wl.name}
    try:
        server_command("ours", wl, 0)
    except Skip as e:
        return dict(res, status="skipped", reason=str(e))
    port = free_port()
    argv, stop_sig = server_command("ours", wl, port)
    log_path = os.path.join(logdir, "memory.%s.log" % wl.name)
    logf = open(log_path, "wb")
    proc = subprocess.Popen(argv, cwd=APPS, env=venv_env({}), stdin=subprocess.DEVNULL,
                            stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    LIVE[proc.pid] = proc
    try:
        err = wait_listening(proc, port, args.start_timeout)
        if err is None:
            err, _ = probe(port, url_path("ours", wl), wl)
        if err is not None:
            return dict(res, status="failed to start", reason=err)
        url = "http://127.0.0.1:%d%s" % (port, url_path("ours", wl))
        time.sleep(0.5)
        res["idle_rss"] = rss_bytes(proc.pid)
        done = 0
        r, err = run_wrk(url, wl, 1, args.connections, args.wrk_timeout)
        if err is not None:
            return dict(res, status="failed", reason=err)
        done += r["requests"]
        res["requests_first"], res["rss_first"] = done, rss_bytes(proc.pid)
        rate = max(r["rps"], 1.0)
        secs = min(args.memory_seconds, max(1.0, (args.memory_requests - done) / rate))
        r, err = run_wrk(url, wl, secs, args.connections, args.wrk_timeout)
        if err is not None:
            return dict(res, status="failed", reason=err)
        done += r["requests"]
        res["requests_last"], res["rss_last"] = done, rss_bytes(proc.pid)
        res["growth"] = res["rss_last"] / res["rss_first"] - 1 if res["rss_first"] else None
        res["status"] = "ok"
        return res
    finally:
        kill_tree(proc, stop_sig)
        logf.close()


def run_limit(wl, seconds):
    py = os.path.join(VENV_BIN, "python")
    if not os.access(py, os.X_OK):
        return {"status": "skipped", "reason": "bench/.venv missing"}
    argv = [py, os.path.join(BENCH, "limit.py"), wl.target, "--seconds", str(seconds),
            "--method", wl.method, "--body-bytes", str(wl.body_len)]
    try:
        out = subprocess.run(argv, cwd=APPS, env=venv_env({"BENCH_FILE": os.environ.get("BENCH_FILE", "")}),
                             capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": "timed out"}
    try:
        r = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"status": "failed", "reason": (out.stderr or out.stdout)[-400:]}
    r["status"] = "ok"
    return r


# ---------------------------------------------------------------- reporting

def merge_rounds(runs):
    """One result per server from several rounds: the round with the median req/s."""
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return runs[-1]
    ok.sort(key=lambda r: r["rps"])
    best = dict(ok[(len(ok) - 1) // 2])
    if len(runs) > 1:
        best["rounds_rps"] = [round(r.get("rps", 0), 1) for r in runs]
        best["peak_rss"] = max(r.get("peak_rss", 0) for r in runs)
        best["errors"] = sum(r.get("errors", 0) for r in ok)
    return best


def fmt_ms(us):
    return "%.2f" % (us / 1000.0)


def fmt_ratio(a, b):
    if not a or not b:
        return "n/a"
    return "%.2fx" % (a / b)


def print_table(wl, results, limit, out=sys.stdout):
    w = out.write
    w("\n== %s: %s\n" % (wl.name, wl.desc))
    metric = "mib_per_s" if wl.by_bytes else "rps"

    def tput(name):
        p = results.get(name, {})
        return p.get(metric) if p.get("status") == "ok" else None

    base_rps = tput("waitress")
    hdr = "%-17s %9s %8s %8s %9s %9s %7s %8s %5s  %s\n"
    w(hdr % ("server", "req/s", "MiB/s", "vs wtrs", "p50 ms", "p99 ms", "errors", "peak MB", "cpu", "notes"))
    for sid, r in results.items():
        if r["status"] != "ok":
            reason = r.get("reason", "")
            w("%-17s %s: %s\n" % (sid, r["status"], reason))
            for line in (r.get("log_tail") or "").splitlines()[-6:]:
                w("%-17s   | %s\n" % ("", line[:160]))
            continue
        notes = []
        if "file_wrapper" in r:
            notes.append("file_wrapper=%s" % r["file_wrapper"])
        if "gil_held_ns_per_request" in r:
            notes.append("GIL %.2f us/req" % (r["gil_held_ns_per_request"] / 1000.0))
        if wl.name == "sleepy" and sid in THREADS:
            bound = THREADS[sid] / SLEEP_S
            notes.append("bound %d/s (%.0f%%)" % (bound, 100.0 * r["rps"] / bound))
        if r.get("read_errors_are_eof"):
            notes.append("close-delimited body (EOF read errors not counted)")
        if r.get("other_load_cores", 0) >= BUSY_CORES:
            notes.append("BUSY MACHINE: other processes used %.2f cores" % r["other_load_cores"])
        if r.get("errors"):
            notes.append("non-2xx %d, connect %d, read %d, write %d, timeout %d" % (
                r["non_2xx"], r["connect"], r["read"], r["write"], r["timeout"]))
        if "rounds_rps" in r:
            notes.append("rounds %s" % r["rounds_rps"])
        w(hdr % (sid, "%.0f" % r["rps"], "%.1f" % r["mib_per_s"], fmt_ratio(r[metric], base_rps) if base_rps else "-",
                 fmt_ms(r["p50_us"]), fmt_ms(r["p99_us"]), r["errors"],
                 "%.1f" % (r["peak_rss"] / 1048576.0), "%.2f" % r.get("server_cores", 0), "; ".join(notes)))
    if limit is not None:
        if limit.get("status") == "ok":
            w(hdr % ("limit", "%.0f" % limit["calls_per_s"], "-", "-", "-", "-", "-", "-", "-",
                     "in-process calls/s, one thread, no server"))
        else:
            w("%-17s %s: %s\n" % ("limit", limit.get("status"), limit.get("reason", "")))
    # Ratios for our server.
    for ours in ("ours", "ours-t32"):
        r = results.get(ours)
        if r is None:
            continue
        if r.get("status") != "ok":
            w("ratios %s: n/a (%s)\n" % (ours, r.get("status")))
            continue
        rps = r[metric]
        parts = ["(%s)" % ("MiB/s" if wl.by_bytes else "req/s")]
        for name in ("waitress", "uwsgi", "granian"):
            parts.append("%s/%s %s" % (ours, name, fmt_ratio(rps, tput(name))))
        if limit and limit.get("status") == "ok" and not wl.by_bytes:
            parts.append("%s/limit %s" % (ours, fmt_ratio(rps, limit["calls_per_s"])))
        if wl.go:
            parts.append("%s/%s %s" % (ours, wl.go[0], fmt_ratio(rps, tput(wl.go[0]))))
        if wl.name == "sleepy":
            bound = THREADS[ours] / SLEEP_S
            parts.append("%s/bound(%d threads/10ms=%d/s) %s" % (ours, THREADS[ours], bound, fmt_ratio(rps, bound)))
        w("ratios " + " ".join(parts[:1]) + ": " + ", ".join(parts[1:]) + "\n")
    out.flush()


def progress(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- main

def make_big_file(dirpath):
    path = os.path.join(dirpath, "file-100mib.bin")
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as f:
        for _ in range(FILE_SIZE // len(block)):
            f.write(block)
    return path


def matches(sid, tokens):
    return any(sid == t or sid.startswith(t + "-") for t in tokens)


def tool_version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


def git_head():
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Benchmark waitress-go against Waitress, gunicorn, uWSGI, Granian and Go net/http.",
        epilog="Workloads: %s. Servers: %s ('go' selects both Go baselines, 'ours' both of ours, "
               "'gunicorn' both gunicorns)." % (", ".join(w.name for w in WORKLOADS), ", ".join(ALL_SERVERS)))
    p.add_argument("--duration", type=float, default=None,
                   help="seconds of measured wrk load per (workload, server); default 5 (whole run ~7 min)")
    p.add_argument("--quick", action="store_true",
                   help="smoke check: 1 s runs (3 s for file_wrapper), 1 s warm-up, 0.5 s limit")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds before each run; default 1")
    p.add_argument("--limit-seconds", type=float, default=None, help="seconds of the in-process loop; default 2")
    p.add_argument("--only", default="", help="comma-separated workloads to run")
    p.add_argument("--servers", default="", help="comma-separated servers to run")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat each workload's servers N times (order rotated); the median round is kept")
    p.add_argument("--connections", type=int, default=32, help="wrk connections; default 32")
    p.add_argument("--wrk-timeout", type=int, default=10, help="wrk per-request timeout in seconds; default 10")
    p.add_argument("--start-timeout", type=float, default=30.0, help="seconds a server may take to listen")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                   help="before each run wait up to SECONDS for other processes to go idle (shared machines)")
    p.add_argument("--json", default=None, help="results file; default bench/results/bench-<time>.json")
    p.add_argument("--no-limit", action="store_true", help="skip the in-process limit measurement")
    p.add_argument("--memory-requests", type=int, default=1_000_000,
                   help="requests of the Flask app for the RSS check (idle, ~10k, this many); 0 skips it")
    p.add_argument("--memory-seconds", type=float, default=90.0,
                   help="at most this long for the RSS check's long phase; default 90")
    a = p.parse_args(argv)
    if a.quick:
        a.duration = 1.0 if a.duration is None else a.duration
        a.warmup = 1.0 if a.warmup is None else a.warmup
        a.limit_seconds = 0.5 if a.limit_seconds is None else a.limit_seconds
    a.duration = 5.0 if a.duration is None else a.duration
    a.warmup = 1.0 if a.warmup is None else a.warmup
    a.limit_seconds = 2.0 if a.limit_seconds is None else a.limit_seconds
    return a


def main(argv):
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found on PATH (bench/run.sh installs it with apt)")
    only = [t for t in args.only.split(",") if t]
    unknown = [t for t in only if t not in {w.name for w in WORKLOADS}]
    if unknown:
        sys.exit("bench: unknown workload(s): %s" % ", ".join(unknown))
    tokens = [t for t in args.servers.split(",") if t]
    bad = [t for t in tokens if not any(matches(s, [t]) for s in ALL_SERVERS)]
    if bad:
        sys.exit("bench: unknown server(s): %s" % ", ".join(bad))
    workloads = [w for w in WORKLOADS if not only or w.name in only]

    tmp = tempfile.mkdtemp(prefix="waitress-go-bench-")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    logdir = os.path.join(RESULTS, "logs-%s" % stamp)  # servers' output, kept for reading
    os.makedirs(logdir, exist_ok=True)
    json_path = args.json or os.path.join(RESULTS, "bench-%s.json" % stamp)
    report = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git": git_head(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": {
            "wrk": tool_version(["wrk", "--version"]),
            "python": tool_version([os.path.join(VENV_BIN, "python"), "--version"]),
            "go": tool_version(["go", "version"]),
        },
        "args": vars(args),
        "workloads": {},
    }

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    interrupted = False
    try:
        if any(w.name == "file_wrapper" for w in workloads):
            progress("bench: writing the 100 MiB file in %s" % tmp)
            os.environ["BENCH_FILE"] = make_big_file(tmp)
        started = time.monotonic()
        for wl in workloads:
            servers = list(PEERS) + list(wl.extra) + ([wl.go[0]] if wl.go else [])
            if tokens:
                servers = [s for s in servers if matches(s, tokens)]
            runs = {s: [] for s in servers}
            for rnd in range(args.rounds):
                order = servers[rnd % len(servers):] + servers[:rnd % len(servers)] if servers else []
                for sid in order:
                    r = run_one(sid, wl, args, logdir)
                    runs[sid].append(r)
                    if r["status"] == "ok":
                        progress("[%s] %-16s %9.0f req/s  p99 %s ms  errors %d  rss %.1f MB  cpu %.2f  other %.2f" % (
                            wl.name, sid, r["rps"], fmt_ms(r["p99_us"]), r["errors"], r["peak_rss"] / 1048576.0,
                            r["server_cores"], r["other_load_cores"]))
                    else:
                        progress("[%s] %-16s %s: %s" % (wl.name, sid, r["status"], r.get("reason", "")))
            results = {s: merge_rounds(runs[s]) for s in servers}
            limit = None
            if not args.no_limit:
                limit = run_limit(wl, args.limit_seconds)
            print_table(wl, results, limit)
            report["workloads"][wl.name] = {"desc": wl.desc, "servers": results, "limit": limit,
                                            "all_rounds": runs if args.rounds > 1 else None}
            with open(json_path, "w") as f:
                json.dump(report, f, indent=1, default=str)
        mem_wl = next((w for w in workloads if w.name == "flask_hello"), None)
        if mem_wl is not None and args.memory_requests > 0 and (not tokens or matches("ours", tokens)):
            progress("[memory] ours: RSS from ~10k to ~%d Flask requests" % args.memory_requests)
            m = run_memory(mem_wl, args, logdir)
            report["memory"] = m
            if m.get("status") == "ok":
                print("\n== memory: our RSS over the Flask hello run (target: flat within 5% from 10k to 1M requests)")
                print("idle %.1f MB; after %d requests %.1f MB; after %d requests %.1f MB; growth %+.1f%%" % (
                    m["idle_rss"] / 1048576.0, m["requests_first"], m["rss_first"] / 1048576.0,
                    m["requests_last"], m["rss_last"] / 1048576.0, 100 * m["growth"]))
            else:
                print("\n== memory: %s: %s" % (m.get("status"), m.get("reason", "")))
        report["elapsed_s"] = round(time.monotonic() - started, 1)
    except KeyboardInterrupt:
        interrupted = True
        progress("\nbench: interrupted; stopping servers")
    finally:
        kill_all()
        shutil.rmtree(tmp, ignore_errors=True)
    busy = [(w, s) for w, d in report["workloads"].items() for s, r in d["servers"].items()
            if r.get("other_load_cores", 0) >= BUSY_CORES]
    if busy:
        progress("bench: WARNING: %d runs shared the CPUs with other processes (see BUSY MACHINE notes); "
                 "their numbers are noise. Rerun on a quiet machine, or with --wait-idle 60 --rounds 3." % len(busy))
    report["interrupted"] = interrupted
    with open(json_path, "w") as f:
        json.dump(report, f, indent=1, default=str)
    progress("bench: results in %s%s" % (os.path.relpath(json_path),
                                          "" if interrupted else " (%.0f s)" % report["elapsed_s"]))
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
