#!/usr/bin/env python3
"""Side-by-side benchmarks: kopp, controller-runtime (Go) and kube-rs (Rust).

Builds the three programs, starts one local control plane, loads the data, runs every SDK
on every workload against it, prints a table with kopp/peer ratios and (unless --quick)
writes docs/benchmarks.md. See bench/README.md.

    bench/run.py [--quick] [--full] [--reps N] [--controlplane PATH] [--build-dir DIR]

The programs report their own events as JSON lines on stdout; this script measures CPU
(getrusage of the child, /proc/<pid>/stat while it runs), memory (/proc/<pid>/status VmHWM
and VmRSS) and wall time from outside, the same way for every SDK.
"""

import argparse
import datetime
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SDKS = ["kopp", "controller-runtime", "kube-rs"]
PEERS = ["controller-runtime", "kube-rs"]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(*parts):
    print("[bench]", *parts, file=sys.stderr, flush=True)


def sh(cmd, env=None, cwd=None, capture=False, check=True, timeout=None):
    log("$", " ".join(cmd))
    result = subprocess.run(cmd, env=env, cwd=cwd, check=False, timeout=timeout,
                            stdout=subprocess.PIPE if capture else None, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {result.returncode}")
    return result.stdout if capture else None


# ----------------------------------------------------------------------------- building

def build(args):
    os.makedirs(args.build_dir, exist_ok=True)
    missing = [tool for tool in ("go", "cargo", "cmake") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"bench: {', '.join(missing)} not found on PATH: the peers need Go and Rust "
                 "(Go 1.26+ and a Rust toolchain with cargo, e.g. from rustup)")
    bins = {}
    started = time.monotonic()
    if args.kopp_bin:
        bins["kopp"] = os.path.abspath(args.kopp_bin)
    else:
        kdir = os.path.join(args.build_dir, "kopp")
        sh(["cmake", "-S", ROOT, "-B", kdir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
            "-DKOPP_BUILD_TESTS=OFF", "-DKOPP_BUILD_EXAMPLES=OFF", "-DKOPP_INSTALL=OFF",
            "-DKOPP_STATIC_DEPENDENCIES=ON"])
        sh(["cmake", "--build", kdir, "-j2", "--target", "kopp-bench"])
        bins["kopp"] = os.path.join(kdir, "bench", "kopp", "kopp-bench")
    t_kopp = time.monotonic()
    env = dict(os.environ, GOFLAGS="-mod=mod")
    bins["controller-runtime"] = os.path.join(args.build_dir, "controller-runtime-bench")
    sh(["go", "build", "-trimpath", "-o", bins["controller-runtime"], "."], env=env,
       cwd=os.path.join(HERE, "peers", "controller-runtime"))
    t_go = time.monotonic()
    # Like Go's build cache, cargo's target directory is kept per user (not per build
    # directory), so a fresh clone does not rebuild the ~300 crates of kube-rs every time.
    target = os.environ.get("KOPP_BENCH_CARGO_TARGET_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kopp", "kube-rs-target")
    # --quick checks that every program produces every result, not speed: its kube-rs peer
    # is built unoptimised (Cargo.toml's `quick` profile), which on a fresh machine compiles
    # the ~300 crates in a fraction of the release build's time (CI time).
    profile = "quick" if args.quick else "release"
    sh(["cargo", "build", "--profile", profile, "--target-dir", target],
       cwd=os.path.join(HERE, "peers", "kube-rs"))
    bins["kube-rs"] = os.path.join(target, profile, "kube-rs-bench")
    t_rust = time.monotonic()
    log(f"build times: kopp {t_kopp - started:.0f}s, go {t_go - t_kopp:.0f}s, rust {t_rust - t_go:.0f}s")
    if not args.controlplane:
        cpdir = os.path.join(args.build_dir, "controlplane-bin")
        sh(["bash", os.path.join(ROOT, "tools", "controlplane", "build.sh"), cpdir])
        args.controlplane = os.path.join(cpdir, "kopp-controlplane")
    return bins


def stripped_size(path):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "bin")
        shutil.copy(path, copy)
        subprocess.run(["strip", copy], check=True)
        return os.path.getsize(copy)


def versions(args):
    out = {}
    with open(os.path.join(HERE, "peers", "controller-runtime", "go.mod")) as f:
        text = f.read()
    for mod in ["sigs.k8s.io/controller-runtime", "k8s.io/client-go"]:
        m = re.search(re.escape(mod) + r" (v\S+)", text)
        out[mod] = m.group(1) if m else "?"
    # Cargo.lock is written by the build (it is not committed).
    lock = os.path.join(HERE, "peers", "kube-rs", "Cargo.lock")
    text = open(lock).read() if os.path.exists(lock) else ""
    for crate in ["kube", "k8s-openapi", "tokio"]:
        m = re.search(r'name = "' + re.escape(crate) + r'"\nversion = "([^"]+)"', text)
        out[crate] = m.group(1) if m else "?"
    with open(os.path.join(ROOT, "include", "kopp", "version.hpp")) as f:
        m = re.search(r'"(\d+\.\d+\.\d+[^"]*)"', f.read())
        out["kopp"] = m.group(1) if m else "?"
    out["go"] = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    out["rustc"] = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    out["g++"] = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    out["kubernetes"] = subprocess.run([args.controlplane, "version"], capture_output=True,
                                       text=True).stdout.strip().replace("\n", ", ")
    return out


# ------------------------------------------------------------------------ control plane

class ControlPlane:
    def __init__(self, exe, directory):
        self.exe = exe
        self.dir = directory
        self.kubeconfig = os.path.join(directory, "admin.kubeconfig")
        self.env = dict(os.environ, KUBECONFIG=self.kubeconfig)

    def up(self):
        if os.path.exists(self.dir):
            subprocess.run([self.exe, "down", "--dir", self.dir], check=False)
            shutil.rmtree(self.dir)
        sh([self.exe, "up", "--dir", self.dir])

    def down(self):
        subprocess.run([self.exe, "down", "--dir", self.dir], check=False)

    def kubectl(self, *cmd, capture=False, stdin=None):
        if stdin is not None:
            r = subprocess.run([self.exe, "kubectl", *cmd], env=self.env, input=stdin, text=True,
                               capture_output=True)
            if r.returncode != 0:
                raise RuntimeError(f"kubectl {' '.join(cmd)}: {r.stderr}")
            return r.stdout
        return sh([self.exe, "kubectl", *cmd], env=self.env, capture=capture)

    def request_counts(self, resource):
        """Requests the API server finished for `resource`, summed over verbs and codes."""
        text = subprocess.run([self.exe, "kubectl", "get", "--raw", "/metrics"], env=self.env,
                              capture_output=True, text=True, check=True).stdout
        total = 0
        for line in text.splitlines():
            if line.startswith("apiserver_request_total{") and f'resource="{resource}"' in line:
                total += int(float(line.rsplit(" ", 1)[1]))
        return total


# ----------------------------------------------------------------------- running programs

class Program:
    """A benchmark program: its JSON lines arrive on a queue with their arrival time."""

    def __init__(self, argv, env):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lines = queue.Queue()
        self.stderr = []
        self.rusage = None
        self.peak = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        threading.Thread(target=self._sample_peak, daemon=True).start()

    def _sample_peak(self):
        # VmHWM of the running program, sampled: the rusage of a reaped child is no good, its
        # ru_maxrss includes the forked Python runner's RSS before exec.
        while self.rusage is None:
            self.peak = max(self.peak, self.status("VmHWM"))
            time.sleep(0.05)

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.lines.put((time.monotonic(), event))
        self.lines.put((time.monotonic(), {"event": "exit"}))

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)
            del self.stderr[:-30]

    def expect(self, name, timeout, match=None):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"no '{name}' event within {timeout}s; stderr: {''.join(self.stderr[-10:])}")
            try:
                at, event = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if event.get("event") == "error":
                raise RuntimeError(f"program error: {event.get('message')}")
            if event.get("event") == "exit":
                raise RuntimeError(f"program exited before '{name}'; stderr: {''.join(self.stderr[-10:])}")
            if event.get("event") == name and (match is None or match(event)):
                return at, event

    def status(self, field):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def cpu_seconds(self):
        """user + system CPU so far (all threads), from /proc/<pid>/stat."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def reset_peak(self):
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")

    def stop(self, timeout=20):
        # os.kill, not Popen.send_signal/poll: those reap the child, and wait4 must do that
        # to get its rusage.
        if self.rusage is None:
            try:
                os.kill(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        return self.wait(timeout)

    def wait(self, timeout=60):
        if self.rusage is not None:
            return self.rusage.ru_utime + self.rusage.ru_stime
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status, rusage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.rusage = rusage
                return rusage.ru_utime + rusage.ru_stime
            time.sleep(0.02)
        self.proc.kill()
        _, status, rusage = os.wait4(self.proc.pid, 0)
        self.rusage = rusage
        raise RuntimeError("program did not exit in time (killed)")


def settle_rss(program, seconds):
    """VmRSS after `seconds` of quiet (garbage collectors run, allocators give back)."""
    time.sleep(seconds)
    return program.status("VmRSS")


# -------------------------------------------------------------------------------- loading

def load(cp, bins, namespace, kind, count, size, prefix=None):
    argv = [bins["kopp"], "load", "--namespace", namespace, "--kind", kind, "--count", str(count),
            "--size", str(size)]
    if prefix:
        argv += ["--prefix", prefix]
    started = time.monotonic()
    subprocess.run(argv, env=cp.env, check=True, stdout=subprocess.DEVNULL)
    log(f"loaded {count} {kind} into {namespace} in {time.monotonic() - started:.1f}s")


def object_json_size(cp, namespace, sample=200):
    """Mean compact JSON size of the ConfigMaps as the server returns them (with and without
    managedFields), over a sample."""
    text = cp.kubectl("get", "configmaps", "-n", namespace, "-o", "json", "--chunk-size", "500", "--show-managed-fields",
                      capture=True)
    items = [i for i in json.loads(text)["items"] if i["metadata"]["name"].startswith("cm-")][:sample]
    full = statistics.mean(len(json.dumps(i, separators=(",", ":"))) for i in items)
    for i in items:
        i["metadata"].pop("managedFields", None)
    stripped = statistics.mean(len(json.dumps(i, separators=(",", ":"))) for i in items)
    meta = statistics.mean(len(json.dumps({"metadata": i["metadata"]}, separators=(",", ":"))) for i in items)
    return {"full": full, "strip": stripped, "meta": meta}


def set_marker(cp, namespace, value):
    cp.kubectl("annotate", "configmap", "bench-marker", "-n", namespace, "--overwrite",
               f"bench.kopp.dev/marker={value}")


# ------------------------------------------------------------------------------ workloads

def workload_cache(cp, binary, namespace, mode, expected):
    p = Program([binary, "cache", "--namespace", namespace, "--mode", mode], cp.env)
    try:
        at, event = p.expect("synced", 600)
        cpu = p.cpu_seconds()
        peak = p.status("VmHWM")
        steady = settle_rss(p, 3)
        objects = event.get("objects")
        if objects is not None and objects < expected:
            raise RuntimeError(f"synced with {objects} objects, expected {expected}")
        return {"wall": at - p.started, "cpu": cpu, "peak_rss": peak, "steady_rss": steady,
                "heap_in_use": event.get("heap_in_use"), "heap_free": event.get("heap_free")}, p
    except Exception:
        p.stop()
        raise


def workload_relist(cp, binary, namespace, expected, tag):
    result, p = workload_cache(cp, binary, namespace, "strip", expected)
    try:
        p.reset_peak()
        sh([cp.exe, "restart-apiserver", "--dir", cp.dir], env=cp.env)
        # Move the revision past the program's last event, so that after compaction its
        # resourceVersion is too old and the next watch gets 410 Gone.
        cp.kubectl("create", "configmap", f"bump-{tag}", "-n", "default")
        cpu_before = p.cpu_seconds()
        sh([cp.exe, "compact", "--dir", cp.dir], env=cp.env)
        back = time.monotonic()
        set_marker(cp, namespace, tag)
        at, _ = p.expect("marker", 300, match=lambda e: e.get("value") == tag)
        converge = at - back
        time.sleep(1)
        peak = p.status("VmHWM")
        after = settle_rss(p, 3)
        return {"converge": converge, "relist_peak_rss": peak, "rss_after": after,
                "relist_cpu": p.cpu_seconds() - cpu_before}
    finally:
        p.stop()


def workload_reconcile(cp, binary, namespace, expected, workers, run_id):
    before = cp.request_counts("widgets")
    p = Program([binary, "reconcile", "--namespace", namespace, "--expect", str(expected), "--workers",
                 str(workers), "--run-id", run_id], cp.env)
    try:
        at, _ = p.expect("reconciled", 900)
    except Exception:
        p.stop()
        raise
    cpu = p.wait(60)
    peak = p.peak or None  # sampled while it ran (it exits by itself)
    time.sleep(1)  # watches are counted when they end
    requests = cp.request_counts("widgets") - before
    left = int(cp.kubectl("get", "widgets", "-n", namespace, "-o",
                          "jsonpath={range .items[*]}{.status.handledBy}{\"\\n\"}{end}",
                          capture=True).split("\n").count(run_id))
    if left != expected:
        raise RuntimeError(f"{left} of {expected} widgets carry {run_id}")
    return {"wall": at - p.started, "cpu": cpu, "requests": requests, "peak_rss": peak}


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def workload_latency(cp, binary, namespace, rate, seconds, objects):
    p = Program([binary, "latency", "--namespace", namespace, "--rate", str(rate), "--seconds", str(seconds),
                 "--objects", str(objects)], cp.env)
    try:
        p.expect("synced", 120)
        cpu_start = p.cpu_seconds()
        _, event = p.expect("latency", seconds * 4 + 120)
        cpu = p.cpu_seconds() - cpu_start
    finally:
        p.stop()
    peak = p.peak or None
    lat = sorted(v / 1000.0 for v in event["latency_us"])
    writes = event["writes"]
    planned = int(rate * seconds)
    return {"p50_ms": percentile(lat, 0.5), "p99_ms": percentile(lat, 0.99), "max_ms": lat[-1] if lat else float("nan"),
            "writes": writes, "planned": planned, "failed": event["failed"], "matched": event["matched"],
            "matched_pct": 100.0 * event["matched"] / max(1, writes),
            "write_rate": writes / max(1e-9, event["write_seconds"]), "cpu": cpu, "peak_rss": peak}


def workload_first(cp, binary, namespace):
    p = Program([binary, "first", "--namespace", namespace], cp.env)
    try:
        at, _ = p.expect("reconciled", 120)
    finally:
        p.stop()
    return {"first_reconcile": at - p.started}


# ------------------------------------------------------------------------------- reporting

def median_range(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (statistics.median(values), min(values), max(values))


def fmt(metric, value):
    if value is None:
        return "-"
    if "rss" in metric.lower() or "size" in metric or "per object" in metric or metric == "bytes_per_object":
        if metric == "bytes_per_object" or "per object" in metric:
            return f"{value:,.0f} B"
        return f"{value / 1048576:.1f} MiB"
    if metric in ("requests", "writes", "matched"):
        return f"{value:,.0f}"
    if metric.endswith("_ms"):
        return f"{value:.2f} ms"
    if metric.endswith("_pct"):
        return f"{value:.1f} %"
    if metric == "write_rate":
        return f"{value:,.0f}/s"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def cell(metric, agg, reps):
    if agg is None:
        return "-"
    med, lo, hi = agg
    if reps > 1 and lo != hi:
        return f"{fmt(metric, med)} ({fmt(metric, lo)}–{fmt(metric, hi)})"
    return fmt(metric, med)


def ratio(a, b):
    if a is None or b is None or not b[0]:
        return "-"
    return f"{a[0] / b[0]:.2f}"


def table(rows, reps):
    """rows: list of (label, metric, {sdk: [values]}) -> markdown."""
    out = ["| workload | metric | kopp | controller-runtime | kube-rs | kopp/c-r | kopp/kube-rs |",
           "|---|---|---|---|---|---|---|"]
    for label, metric, per_sdk in rows:
        aggs = {sdk: median_range(per_sdk.get(sdk, [])) for sdk in SDKS}
        out.append(f"| {label} | {metric} | " + " | ".join(cell(metric, aggs[s], reps) for s in SDKS) +
                   f" | {ratio(aggs['kopp'], aggs['controller-runtime'])} | {ratio(aggs['kopp'], aggs['kube-rs'])} |")
    return "\n".join(out)


# ----------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI form: N=1k, one repetition, 5 s latency runs")
    ap.add_argument("--full", action="store_true", help="also N=50k for the cache workload")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, --quick 1)")
    ap.add_argument("--controlplane", help="kopp-controlplane binary (default: build it)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--kopp-bin", help="use this kopp-bench instead of building it")
    ap.add_argument("--report", help="markdown report to write (default docs/benchmarks.md, none with --quick)")
    ap.add_argument("--only", default="cache,relist,reconcile,latency,idle",
                    help="comma-separated workloads to run")
    ap.add_argument("--sdks", default=",".join(SDKS))
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="run nothing: write the report from a saved bench-results.json")
    ap.add_argument("--build-peers-only", action="store_true",
                    help="build the Go and Rust peers (into --build-dir and cargo's target cache) and exit; "
                         "scripts/test.sh does this (with --quick) in the background while C++ compiles")
    args = ap.parse_args()
    if args.build_peers_only:
        # build() skips kopp and the control plane when their binaries are given.
        args.kopp_bin = args.kopp_bin or os.devnull
        args.controlplane = args.controlplane or os.devnull
        args.build_dir = os.path.abspath(args.build_dir)
        build(args)
        return 0
    if args.render:
        return render(args.render, args.report or os.path.join(ROOT, "docs", "benchmarks.md"))
    reps = args.reps or (1 if args.quick else 3)
    sizes = [1000] if args.quick else [1000, 10000] + ([50000] if args.full else [])
    widgets = 1000 if args.quick else 5000
    lat_seconds = 5 if args.quick else 30
    only = set(args.only.split(","))
    sdks = args.sdks.split(",")
    report = args.report or (None if args.quick else os.path.join(ROOT, "docs", "benchmarks.md"))
    command = "bench/run.py " + " ".join(sys.argv[1:])
    args.build_dir = os.path.abspath(args.build_dir)
    t0 = time.monotonic()

    bins = build(args)
    build_seconds = time.monotonic() - t0
    cp = ControlPlane(os.path.abspath(args.controlplane), os.path.join(args.build_dir, "controlplane"))

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)

    results = {}  # (workload label, metric) -> {sdk: [values]}
    order = []

    def record(label, metric, sdk, value):
        key = (label, metric)
        if key not in results:
            results[key] = {}
            order.append(key)
        results[key].setdefault(sdk, []).append(value)

    failures = []
    info = {}
    try:
        cp.up()
        info["versions"] = versions(args)
        cp.kubectl("apply", "-f", os.path.join(HERE, "crd.yaml"))
        cp.kubectl("wait", "--for=condition=Established", "crd/widgets.bench.kopp.dev", "--timeout=60s")
        load_started = time.monotonic()
        for n in sizes if "cache" in only or "relist" in only else []:
            load(cp, bins, f"bench-cache-{n}", "configmap", n, 2048)
            cp.kubectl("create", "configmap", "bench-marker", "-n", f"bench-cache-{n}")
        load(cp, bins, "bench-empty", "configmap", 0, 0)
        load(cp, bins, "bench-first", "configmap", 1, 100)
        load(cp, bins, "bench-lat", "configmap", 200, 100, prefix="lat-")
        if "reconcile" in only:
            load(cp, bins, "bench-widgets", "widget", widgets, 200)
        info["load_seconds"] = time.monotonic() - load_started
        if sizes and ("cache" in only or "relist" in only):
            info["json_size"] = object_json_size(cp, f"bench-cache-{sizes[0]}")

        for sdk in sdks:
            record("idle", "binary size (stripped)", sdk, stripped_size(bins[sdk]))

        def attempt(what, fn):
            try:
                return fn()
            except Exception as e:  # one failed run must not lose the others' numbers
                log(f"FAILED {what}: {e}")
                failures.append(f"{what}: {e}")
                return None

        for rep in range(reps):
            for sdk in sdks:
                binary = bins[sdk]
                if "idle" in only or "cache" in only:
                    for mode in ["full", "strip", "meta"]:
                        r = attempt(f"{sdk} idle {mode}", lambda: workload_cache(cp, binary, "bench-empty", mode, 0))
                        if r:
                            res, p = r
                            p.stop()
                            record("idle", f"RSS, nothing cached ({mode})", sdk, res["steady_rss"])
                    r = attempt(f"{sdk} first", lambda: workload_first(cp, binary, "bench-first"))
                    if r:
                        record("idle", "exec to first reconcile", sdk, r["first_reconcile"])
                if "cache" in only:
                    for n in sizes:
                        for mode in ["full", "strip", "meta"]:
                            r = attempt(f"{sdk} cache {n} {mode}",
                                        lambda: workload_cache(cp, binary, f"bench-cache-{n}", mode, n))
                            if not r:
                                continue
                            res, p = r
                            cpu = p.stop()
                            label = f"cache {n // 1000}k {mode}"
                            record(label, "time to synced", sdk, res["wall"])
                            record(label, "CPU to synced", sdk, res["cpu"])
                            record(label, "peak RSS", sdk, res["peak_rss"])
                            record(label, "steady RSS", sdk, res["steady_rss"])
                            idle = results.get(("idle", f"RSS, nothing cached ({mode})"), {}).get(sdk)
                            if idle:
                                record(label, "bytes_per_object", sdk, (res["steady_rss"] - idle[-1]) / n)
                            if res.get("heap_in_use") is not None:  # kopp-bench reports glibc's heap
                                record(label, "live heap per object (kopp only)", sdk, res["heap_in_use"] / n)
                                record(label, "free heap size (kopp only)", sdk, res["heap_free"])
                if "relist" in only:
                    n = sizes[0] if args.quick else 10000
                    r = attempt(f"{sdk} relist", lambda: workload_relist(cp, binary, f"bench-cache-{n}", n,
                                                                         f"{sdk}-{rep}"))
                    if r:
                        label = f"relist {n // 1000}k"
                        record(label, "restart+410 to converged", sdk, r["converge"])
                        record(label, "CPU during relist", sdk, r["relist_cpu"])
                        record(label, "peak RSS during relist", sdk, r["relist_peak_rss"])
                        record(label, "RSS after", sdk, r["rss_after"])
                if "reconcile" in only:
                    for workers in [1, 4, 16]:
                        r = attempt(f"{sdk} reconcile {workers}",
                                    lambda: workload_reconcile(cp, binary, "bench-widgets", widgets, workers,
                                                               f"{sdk}-{workers}-{rep}-{int(time.time())}"))
                        if r:
                            label = f"reconcile {widgets // 1000}k, {workers} workers"
                            record(label, "wall", sdk, r["wall"])
                            record(label, "CPU", sdk, r["cpu"])
                            record(label, "requests", sdk, r["requests"])
                            record(label, "peak RSS", sdk, r["peak_rss"])
                if "latency" in only:
                    for rate in [100, 1000]:
                        r = attempt(f"{sdk} latency {rate}",
                                    lambda: workload_latency(cp, binary, "bench-lat", rate, lat_seconds, 200))
                        if r:
                            label = f"latency {rate}/s {lat_seconds}s"
                            for metric in ["p50_ms", "p99_ms", "max_ms", "matched_pct", "write_rate", "cpu",
                                           "peak_rss"]:
                                record(label, metric if metric != "cpu" else "CPU", sdk, r[metric])
    except KeyboardInterrupt:
        log("interrupted")
        failures.append("interrupted")
    finally:
        cp.down()

    total = time.monotonic() - t0
    rows = [(label, metric, results[(label, metric)]) for label, metric in order]
    text = table(rows, reps)
    print(text)
    log(f"total {total:.0f}s (build {build_seconds:.0f}s)")
    with open(os.path.join(args.build_dir, "bench-results.json"), "w") as f:
        json.dump({"results": [{"workload": l, "metric": m, "values": v} for l, m, v in rows],
                   "info": info, "failures": failures, "seconds": total, "command": command, "reps": reps,
                   "date": utc_now()}, f, indent=1, default=str)
    if report:
        write_report(report, rows, info, command, reps, total, failures, utc_now())

    # Every program must have produced every result (the CI check): a missing cell fails.
    missing = [f"{label} / {metric}: {sdk}" for label, metric in order for sdk in sdks
               if not results[(label, metric)].get(sdk) and (sdk == "kopp" or "(kopp only)" not in metric)]
    for m in failures + missing:
        log("missing:", m)
    ran = sum(len(v) for v in results.values())
    print(f"bench: {ran} passed, {len(failures) + len(missing)} failed")
    return 1 if failures or missing or not results else 0


def machine():
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) * 1024
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu}), {mem / 2**30:.1f} GiB memory, {platform.platform()}"


NOTES = """## Reading the numbers

- kopp-bench is linked with `KOPP_STATIC_DEPENDENCIES=ON` (only glibc shared), like the
  self-contained Go and Rust binaries. RSS counts every resident page, clean file-backed
  code included, and the kernel maps up to 16 pages around each page fault
  (fault-around): idle, 96 % of kopp-bench's 5.4 MB of code pages are resident
  (`/proc/<pid>/pagemap`) although far less code runs, and they make most of its RSS; its
  anonymous memory is about 1.4 MiB. Linked dynamically (the CMake default), the binary is
  about 2.5 MiB and the idle RSS about 2.4 MiB higher (libcrypto alone maps ~4 MiB).
- Bytes per cached object: a decoded ConfigMap of this workload is its 2 KB data string plus
  about 1.1 KB of fixed cost (the struct with ObjectMeta, 550 B; a std::map node of
  ~110 B per label and data entry; the uid; the shared_ptr block) and 96 B in the store;
  managedFields add ~350 B per entry. The rest up to the measured figure is freed heap that
  malloc keeps (`free heap size`). "live heap per object" is glibc's count of allocated
  bytes divided by N (kopp only).
- CPU is read from `/proc` in clock ticks (10 ms): rows of a few ticks (the 1k caches)
  differ by one or two ticks between runs and their ratios are coarse.
- The 1,000 updates/s latency run is limited by the API server and etcd on this 2-core
  machine: no SDK's writer reaches 1,000/s ("write rate"), and the latency then measures the
  API server's queueing as much as the SDK. "matched" below 100 % would mean the SDK's queue
  coalesced updates (fell behind); a rate the writer did not reach is not the SDK's fault.
  CPU of the latency runs includes the in-process writer.
- At 1,000 updates/s the transport decides the latency. controller-runtime speaks HTTP/2 to
  the API server, kube-rs HTTP/1.1, and kopp HTTP/1.1 unless the program opts in to its
  HTTP/2 transport (TransportOptions::protocol; kopp-bench does not yet). Over HTTP/1.1 kopp
  measured p99 57-74 ms here, over HTTP/2 about 21 ms (one repetition); controller-runtime with `DISABLE_HTTP2=1`
  measured p50 30 ms and p99 172 ms at ~860 writes/s. kopp's own part is small: from the
  informer's handler to the reconcile's start p50 7 µs, p99 0.2 ms; the rest passes before
  the event reaches kopp's socket (measured with an extra handler in kopp-bench, not in the
  runner). Latency is measured from the writer's PATCH response to the reconcile's start, so
  a watch event that overtakes the PATCH's response counts negative: p50 below zero means
  the reconcile usually starts before the writer has read its own answer.
- Reconcile throughput is bound by the API server's PATCH latency: more workers help little
  when one process shares 2 cores with kube-apiserver and etcd.
- Medians of the repetitions, min–max in brackets; small values (tens of milliseconds) vary
  by tens of percent between runs on a shared machine.
"""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')


def render(results_json, report):
    """Writes the report of a saved run (after the prose or the target checks changed)."""
    with open(results_json) as f:
        saved = json.load(f)
    rows = [(r["workload"], r["metric"], r["values"]) for r in saved["results"]]
    reps = saved.get("reps") or max((len(v) for _, _, per in rows for v in per.values()), default=1)
    date = saved.get("date") or datetime.datetime.fromtimestamp(
        os.path.getmtime(results_json), datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    write_report(report, rows, saved.get("info", {}), saved.get("command", "bench/run.py"), reps,
                 saved.get("seconds", 0), saved.get("failures", []), date)
    return 0


# The targets, checked on every row they apply to: (name, metric filter, peer, limit).
RATIO_TARGETS = [
    ("CPU <= 0.5x controller-runtime (workloads 1-3)", lambda l, m: m in ("CPU to synced", "CPU") and
     not l.startswith("relist"), "controller-runtime", 0.5),
    ("CPU <= 1.0x kube-rs (workloads 1-3)", lambda l, m: m in ("CPU to synced", "CPU") and
     not l.startswith("relist"), "kube-rs", 1.0),
    ("peak and steady RSS <= 0.35x controller-runtime", lambda l, m: m in (
        "peak RSS", "steady RSS", "peak RSS during relist", "RSS after"), "controller-runtime", 0.35),
    ("peak and steady RSS <= 1.0x kube-rs", lambda l, m: m in (
        "peak RSS", "steady RSS", "peak RSS during relist", "RSS after"), "kube-rs", 1.0),
    ("p99 event-to-reconcile at 1,000 updates/s <= 0.5x controller-runtime",
     lambda l, m: m == "p99_ms" and l.startswith("latency 1000/s"), "controller-runtime", 0.5),
    ("p50 event-to-reconcile at 1,000 updates/s <= 2x controller-runtime",
     lambda l, m: m == "p50_ms" and l.startswith("latency 1000/s"), "controller-runtime", 2.0),
]


def target_lines(rows, info):
    def med(values):
        return statistics.median(values) if values else None
    out = ["| target | rows met | worst row |", "|---|---|---|"]
    for name, applies, peer, limit in RATIO_TARGETS:
        checked = []
        for label, metric, per in rows:
            mine, theirs = med(per.get("kopp", [])), med(per.get(peer, []))
            if applies(label, metric) and mine is not None and theirs:
                checked.append((mine / theirs, f"{label} {metric}"))
        if checked:
            worst = max(checked)
            met = sum(1 for r, _ in checked if r <= limit)
            out.append(f"| {name} | {met} of {len(checked)} | {worst[1]}: {worst[0]:.2f}x |")
    by_key = {(label, metric): per for label, metric, per in rows}
    js = info.get("json_size", {})
    full = [(label, med(per.get("kopp", []))) for (label, metric), per in by_key.items()
            if metric == "bytes_per_object" and label.endswith(" full") and per.get("kopp")]
    if js.get("full") and full:
        worst = max(full, key=lambda x: x[1])
        met = sum(1 for _, b in full if b <= js["full"])
        out.append(f"| cache bytes per object <= JSON size ({js['full']:,.0f} B, full objects) | {met} of {len(full)} | "
                   f"{worst[0]}: {worst[1]:,.0f} B |")
    single = [("idle RSS <= 8 MiB", "RSS, nothing cached", 8 * 2**20, "MiB"),
              ("stripped binary <= 8 MiB", "binary size (stripped)", 8 * 2**20, "MiB")]
    for name, prefix, limit, unit in single:
        values = [(metric, med(per.get("kopp", []))) for (label, metric), per in by_key.items()
                  if label == "idle" and metric.startswith(prefix) and per.get("kopp")]
        if values:
            worst = max(values, key=lambda x: x[1])
            met = sum(1 for _, v in values if v <= limit)
            out.append(f"| {name} | {met} of {len(values)} | {worst[0]}: {worst[1] / 2**20:.1f} MiB |")
    p99 = [(label, med(per.get("kopp", []))) for (label, metric), per in by_key.items()
           if metric == "p99_ms" and label.startswith("latency 1000/s") and per.get("kopp")]
    for label, value in p99:
        out.append(f"| p99 event-to-reconcile <= 5 ms at 1,000 updates/s | {int(value <= 5)} of 1 | {label}: "
                   f"{value:.1f} ms |")
    return out


def write_report(path, rows, info, command, reps, total, failures, date):
    v = info.get("versions", {})
    js = info.get("json_size", {})
    lines = [
        "# Benchmarks: kopp, controller-runtime and kube-rs side by side",
        "",
        "Generated by `bench/run.py` (see bench/README.md for what each workload does and how it is",
        "measured). Edit the prose in bench/run.py, not here: the next run overwrites this file.",
        "",
        f"- Date: {date}",
        f"- Command: `{command}` ({reps} repetition{'s' if reps != 1 else ''}: median, and min–max in brackets; {total / 60:.0f} min)",
        f"- Machine: {machine()}",
        f"- Kubernetes: {v.get('kubernetes', '?')} (tools/controlplane, all on 127.0.0.1)",
        f"- kopp {v.get('kopp', '?')} ({v.get('g++', '?')}, CMake Release: -O3 -DNDEBUG, "
        "KOPP_STATIC_DEPENDENCIES=ON)",
        f"- controller-runtime {v.get('sigs.k8s.io/controller-runtime', '?')} (client-go "
        f"{v.get('k8s.io/client-go', '?')}; {v.get('go', '?')})",
        f"- kube {v.get('kube', '?')}, k8s-openapi {v.get('k8s-openapi', '?')} (feature v1_37), tokio "
        f"{v.get('tokio', '?')} ({v.get('rustc', '?')}, cargo --release)",
        "- Client rate limit: QPS 500 / burst 1000 for kopp and controller-runtime; kube-rs has no",
        "  client-side rate limit.",
    ]
    if js:
        lines.append(f"- ConfigMap JSON size as served (mean): {js['full']:,.0f} B with managedFields, "
                     f"{js['strip']:,.0f} B without, metadata alone {js['meta']:,.0f} B")
    if failures:
        lines += ["", "Runs that failed (no number recorded):", ""] + [f"- {f}" for f in failures]
    lines += ["", "## Targets", "",
              "Each target of the benchmark issue, checked on every row it applies to (medians).", ""]
    lines += target_lines(rows, info)
    lines += ["", "## Results", "", table(rows, reps), "", NOTES]
    # bench/compile/run.py owns the compile-time section (between its markers): keep it.
    kept = compile_time_section(path)
    if kept:
        lines += ["", kept]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    log("wrote", path)


COMPILE_TIME_BEGIN = "<!-- compile-time: written by bench/compile/run.py -->"
COMPILE_TIME_END = "<!-- /compile-time -->"


def compile_time_section(path):
    """The compile-time section of an existing report, markers included ("" if none)."""
    try:
        text = open(path).read()
    except OSError:
        return ""
    begin, end = text.find(COMPILE_TIME_BEGIN), text.find(COMPILE_TIME_END)
    if begin < 0 or end < begin:
        return ""
    return text[begin:end + len(COMPILE_TIME_END)] + "\n"


if __name__ == "__main__":
    sys.exit(main())
