#!/usr/bin/env python3
"""Compile-time benchmark: what one file of a user's operator costs to compile with kopp,
header-only and in the compiled mode, beside the peers' edit-rebuild times.

  bench/compile/run.py [--opt O0,O2] [--no-peers] [--report docs/benchmarks.md | --no-report]

Cases (each compiled alone with g++, as CMake would, measuring user CPU time and peak RSS):
  api         bench/compile/api_deployment.cpp (Api<apps::v1::Deployment> get/list/apply)
  memcached   each source of examples/memcached, and their sum: reconciler.cpp is a
              reconciler that owns a Deployment and a Service, with finalizer, events and
              status, and the controller's declaration; main.cpp is OperatorFlags + Manager
  kopp::compiled  the compiled mode's one-off cost: its sources, built once per build tree
Peers (warm caches, as a developer's loop is): touch the peer's main file and rebuild --
controller-runtime with `go build`, kube-rs with `cargo build --release`.
Prints one table and writes it into docs/benchmarks.md, between the compile-time markers
(bench/run.py keeps that section when it rewrites the file).
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
COMPILED_DEFINES = ["-DKOPP_SEPARATE_COMPILATION", "-DBOOST_ASIO_SEPARATE_COMPILATION",
                    "-DBOOST_BEAST_SEPARATE_COMPILATION"]


def compile_one(source, opt, compiled, out_dir, extra=()):
    """Returns (user seconds, peak RSS bytes) of compiling `source` to an object file."""
    obj = os.path.join(out_dir, os.path.basename(source) + ".o")
    cmd = ["g++", "-std=gnu++20", f"-{opt}", "-c", source, "-o", obj,
           "-I", os.path.join(ROOT, "include"), "-I", os.path.join(ROOT, "examples", "memcached", "include")]
    cmd += list(extra)
    if compiled:
        cmd += COMPILED_DEFINES
    timing = os.path.join(out_dir, "time.txt")
    run = subprocess.run(["/usr/bin/time", "-o", timing, "-f", "%U %M"] + cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"bench/compile: compiling {source} failed:\n{run.stderr[-4000:]}")
    user, rss_kb = open(timing).read().split()[-2:]
    return float(user), int(rss_kb) * 1024


def compiled_library_sources(out_dir):
    """The sources cmake/KoppCompiled.cmake builds: one per generated API group, one for the rest."""
    include = os.path.join(ROOT, "include")
    ipps = sorted(os.path.relpath(p, include) for p in glob.glob(os.path.join(include, "kopp", "**", "*.ipp"), recursive=True))
    sources, runtime = [], []
    for ipp in ipps:
        m = re.match(r"kopp/api/(\w+)/impl/(\w+)\.ipp$", ipp)
        if m:
            path = os.path.join(out_dir, f"api_{m.group(1)}_{m.group(2)}.cpp")
            with open(path, "w") as f:
                f.write(f"#include <{ipp}>\n")
            sources.append(path)
        else:
            runtime.append(f"#include <{ipp}>\n")
    path = os.path.join(out_dir, "runtime.cpp")
    with open(path, "w") as f:
        f.write("".join(runtime) + "#include <boost/asio/impl/src.hpp>\n#include <boost/asio/ssl/impl/src.hpp>\n"
                "#include <boost/beast/src.hpp>\n")
    return sources + [path]


def peer_rebuild(cwd, touch, cmd, env=None):
    """Wall seconds of rebuilding a peer after touching its main file (cache warmed first)."""
    if shutil.which(cmd[0]) is None:
        return None
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    os.utime(os.path.join(cwd, touch))
    started = time.monotonic()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--opt", default="O0,O2", help="comma-separated optimisation levels (default O0,O2)")
    ap.add_argument("--no-peers", action="store_true", help="skip the Go and Rust peers")
    ap.add_argument("--report", default=os.path.join(ROOT, "docs", "benchmarks.md"),
                    help="the report whose compile-time section to (re)write")
    ap.add_argument("--no-report", action="store_true", help="print only")
    args = ap.parse_args()
    opts = args.opt.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # Each file compiles once per mode and level; the example's row is the sum of its files.
        example = sorted(glob.glob(os.path.join(ROOT, "examples", "memcached", "src", "*.cpp")))
        cases = [("api", os.path.join(HERE, "api_deployment.cpp"))]
        cases += [("memcached " + os.path.basename(source), source) for source in example]
        library = compiled_library_sources(tmp)
        for opt in opts:
            for compiled in (False, True):
                mode = "compiled" if compiled else "header-only"
                total_user, total_rss = 0.0, 0
                for case, source in cases:
                    user, rss = compile_one(source, opt, compiled, tmp)
                    rows.append((case, opt, mode, user, rss))
                    print(f"  {case:28} -{opt} {mode:11} {user:6.1f} s user  {rss / 2**20:6.0f} MiB", flush=True)
                    if case.startswith("memcached "):
                        total_user, total_rss = total_user + user, max(total_rss, rss)
                rows.append(("memcached, all files", opt, mode, total_user, total_rss))
            user, rss = 0.0, 0
            for source in library:
                u, r = compile_one(source, opt, True, tmp, ["-Wno-subobject-linkage"])
                user, rss = user + u, max(rss, r)
            rows.append(("kopp::compiled (once)", opt, "compiled", user, rss))
            print(f"  kopp::compiled, once per build tree, -{opt}: {user:6.1f} s user  {rss / 2**20:6.0f} MiB", flush=True)
    peers = {}
    if not args.no_peers:
        peers["controller-runtime (go build)"] = peer_rebuild(
            os.path.join(ROOT, "bench", "peers", "controller-runtime"), "main.go",
            ["go", "build", "-o", os.devnull, "."], env=dict(os.environ, GOFLAGS="-mod=mod"))
        target = os.environ.get("KOPP_BENCH_CARGO_TARGET_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kopp", "kube-rs-target")
        peers["kube-rs (cargo build --release)"] = peer_rebuild(
            os.path.join(ROOT, "bench", "peers", "kube-rs"), os.path.join("src", "main.rs"),
            ["cargo", "build", "--release", "--target-dir", target])

    table = ["| case | opt | mode | user time | peak RSS | compiled / header-only |",
             "|---|---|---|---:|---:|---:|"]
    by_key = {(c, o, m): (u, r) for c, o, m, u, r in rows}
    for case, opt, mode, user, rss in rows:
        base = by_key.get((case, opt, "header-only"))
        ratio = f"{user / base[0]:.2f}x time, {rss / base[1]:.2f}x RSS" if base and mode == "compiled" else ""
        table.append(f"| {case} | -{opt} | {mode} | {user:.1f} s | {rss / 2**20:.0f} MiB | {ratio} |")
    for name, seconds in peers.items():
        table.append(f"| peer: {name}, edit + rebuild | | | {'n/a' if seconds is None else f'{seconds:.1f} s wall'} | | |")
    print()
    print("\n".join(table))
    if not args.no_report:
        write_section(args.report, table, " ".join(["bench/compile/run.py"] + sys.argv[1:]))
    return 0


BEGIN = "<!-- compile-time: written by bench/compile/run.py -->"
END = "<!-- /compile-time -->"


def write_section(path, table, command):
    gxx = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    section = "\n".join([
        BEGIN,
        "## Compile time",
        "",
        f"Generated by `{command}` on {time.strftime('%Y-%m-%d')} ({gxx}, {os.cpu_count()} cores). User CPU",
        "time and peak RSS of compiling one file, as a user's build does; `compiled` is the compiled",
        "mode (`kopp::compiled`), whose library is compiled once per build tree (its row). `api` is",
        "bench/compile/api_deployment.cpp (Api<apps::v1::Deployment> get, list, apply); the",
        "`memcached` rows are the files of examples/memcached: reconciler.cpp holds reconcile,",
        "finalizer, events, status and the controller's declaration (Informer, Watcher and Store",
        "for four kinds), main.cpp the Manager on OperatorFlags. The peers' rows are the",
        "edit-rebuild loop with warm caches: touch the peer's main file, rebuild.",
        "",
    ] + table + ["", END, ""])
    try:
        text = open(path).read()
    except OSError:
        text = ""
    begin, end = text.find(BEGIN), text.find(END)
    if begin >= 0 and end > begin:
        text = text[:begin] + section + text[end + len(END):].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    print(f"bench/compile: wrote the compile-time section of {path}")


if __name__ == "__main__":
    sys.exit(main())
