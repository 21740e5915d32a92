"""Benchmark the served API with wrk, side by side in one run: GET /terms/百千万工程 vs a minimal Flask route.

Both apps run under gunicorn with the same settings (`make run`'s: preloaded, sync workers, KB_WORKERS of
them; access log off for both unless --access-log), each on a free port of 127.0.0.1. The minimal app
(bench/minimal_app.py) answers a constant JSON body of our answer's size. After a warm-up, wrk loads each
in turn, ours then minimal, --rounds times; the best of each is reported, since the machine is shared.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py and `python bench/http.py` puts bench/ first on sys.path, where it would stand
# in for the standard library's http package (which urllib imports): take that entry out before importing.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass  # noqa: E402

ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
OUR_APP = "api:create_app()"
MINIMAL_APP = "bench.minimal_app:create_app(body_bytes={size})"  # imported from ROOT, gunicorn's cwd
MINIMAL_PATH = "/constant"
TERM_PATH = "/terms/百千万工程"
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'  # make run's (api/logs.py)
TARGET_RATIO = 0.7
TARGET_P99_MS = 25.0
SIZE_TOLERANCE = 0.10  # the minimal body is within 10% of ours
READY_TIMEOUT_S = 60.0
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: str | None


def parse_wrk(text: str) -> WrkResult:
    """Requests/sec, the 99% line of --latency's distribution, and the error counts, from wrk's output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    p99 = re.search(r"^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    total = re.search(r"^\s*(\d+) requests in", text, re.M)
    if not (rps and p99 and total):
        raise SystemExit(f"could not read wrk's output:\n{text}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:\s+(.*)", text)
    return WrkResult(float(rps[1]), float(p99[1]) * UNIT_MS[p99[2]], int(total[1]),
                     int(non_2xx[1]) if non_2xx else 0, errors[1].strip() if errors else None)


def run_wrk(wrk: str, url: str, args: argparse.Namespace, seconds: int) -> WrkResult:
    cmd = [wrk, f"-c{args.connections}", f"-t{args.threads}", f"-d{seconds}s", "--latency", url]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes, int]:
    """(status, body, header bytes) of one GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), error.headers
    return status, body, sum(len(k) + len(v) + 4 for k, v in headers.items())


class Server:
    """One gunicorn, in its own process group so that stopping it stops its workers too."""

    def __init__(self, name: str, app: str, path: str, args: argparse.Namespace, env: dict[str, str], work: Path):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}{urllib.parse.quote(path)}"
        self.error_log = work / f"{name}-error.log"
        cmd = [str(BIN / "gunicorn"), *gunicorn_settings(args, work / f"{name}-access.log"),
               "--bind", f"127.0.0.1:{self.port}", "--error-logfile", str(self.error_log), app]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def wait_ready(self) -> tuple[int, bytes, int]:
        """The first answer to the benchmarked URL once gunicorn listens; it must be a 200."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name}: gunicorn exited ({self.proc.returncode})\n{self.log_tail()}")
            try:
                status, body, headers = fetch(self.url)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise SystemExit(f"{self.name}: no answer in {READY_TIMEOUT_S:.0f} s\n{self.log_tail()}") from None
                time.sleep(0.2)
        if status != 200:
            raise SystemExit(f"{self.name}: GET {self.url} answered {status}, not 200; not benchmarking that\n"
                             f"{body[:500].decode('utf-8', 'replace')}")
        return status, body, headers

    def log_tail(self) -> str:
        return self.error_log.read_text(errors="replace")[-3000:] if self.error_log.exists() else ""

    def stop(self) -> None:
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(wait_s)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


def gunicorn_settings(args: argparse.Namespace, access_log: Path) -> list[str]:
    """The settings both servers share (only the port, error log path and app differ)."""
    settings = ["--preload", "--workers", str(args.workers), "--worker-class", "sync"]
    if args.access_log:
        settings += ["--access-logfile", str(access_log), "--access-logformat", ACCESS_LOG_FORMAT]
    return settings


def build_kb(env: dict[str, str]) -> None:
    done = subprocess.run([str(BIN / "kb"), "build"], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"kb build failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def need_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench/http.py needs wrk, which is not on PATH: install it with "
                         "`sudo apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)")
    return wrk


def start_pair(args: argparse.Namespace, env: dict[str, str], work: Path, servers: list[Server]) -> dict:
    """Start both servers into ``servers`` (the caller stops them), each checked to answer 200, the minimal
    body sized from ours; {name: (body bytes, header bytes)}."""
    servers.append(Server("ours", OUR_APP, TERM_PATH, args, env, work))
    _, our_body, our_headers = servers[0].wait_ready()
    minimal_app = MINIMAL_APP.format(size=len(our_body))
    servers.append(Server("minimal", minimal_app, MINIMAL_PATH, args, env, work))
    _, minimal_body, minimal_headers = servers[1].wait_ready()
    if abs(len(minimal_body) - len(our_body)) > SIZE_TOLERANCE * len(our_body):
        raise SystemExit(f"minimal body {len(minimal_body)} bytes is not within 10% of ours, {len(our_body)}")
    return {"ours": (len(our_body), our_headers), "minimal": (len(minimal_body), minimal_headers)}


def measure(wrk: str, servers: list[Server], args: argparse.Namespace) -> dict[str, list[WrkResult]]:
    for server in servers:
        run_wrk(wrk, server.url, args, args.warmup)
    results: dict[str, list[WrkResult]] = {s.name: [] for s in servers}
    for round_no in range(1, args.rounds + 1):
        for server in servers:  # alternating, so that a noisy spell hits both
            result = run_wrk(wrk, server.url, args, args.duration)
            results[server.name].append(result)
            extra = f", {result.non_2xx_3xx} non-2xx/3xx" if result.non_2xx_3xx else ""
            extra += f", socket errors: {result.socket_errors}" if result.socket_errors else ""
            print(f"  round {round_no} {server.name:8} {result.requests_per_s:9.1f} req/s  "
                  f"p99 {result.p99_ms:6.2f} ms  {result.requests} requests{extra}", flush=True)
    return results


def report(results: dict[str, list[WrkResult]], sizes: dict, args: argparse.Namespace) -> bool:
    """Print the side-by-side table; whether both targets are met."""
    best_rps = {name: max(r.requests_per_s for r in runs) for name, runs in results.items()}
    best_p99 = {name: min(r.p99_ms for r in runs) for name, runs in results.items()}
    ratio = best_rps["ours"] / best_rps["minimal"]
    failed = {name: sum(r.non_2xx_3xx for r in runs) for name, runs in results.items()}
    rows = [
        ("req/s, best", f"{best_rps['ours']:.1f}", f"{best_rps['minimal']:.1f}",
         f"ours/minimal = {ratio:.2f}, >= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        ("p99 latency (ms), best", f"{best_p99['ours']:.2f}", f"{best_p99['minimal']:.2f}",
         f"ours < {TARGET_P99_MS:.0f} ms", best_p99["ours"] < TARGET_P99_MS),
        ("body (bytes)", str(sizes["ours"][0]), str(sizes["minimal"][0]), "within 10%", None),
        ("headers (bytes, about)", str(sizes["ours"][1]), str(sizes["minimal"][1]), "", None),
        ("non-2xx/3xx answers", str(failed["ours"]), str(failed["minimal"]), "", None),
    ]
    print(f"summary, best of {args.rounds} runs each (req/s and p99 taken separately)")
    print(f"  {'':24} {'ours':>10} {'minimal':>10}   target")
    for name, ours, minimal, target, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        print(f"  {name:24} {ours:>10} {minimal:>10}   {target} {verdict}".rstrip())
    return all(ok is not False for *_, ok in rows) and not any(failed.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk against each server first (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per server, alternating (default 2)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KB_WORKERS", 2)),
                        help="gunicorn workers for both apps (default: KB_WORKERS or 2)")
    parser.add_argument("--access-log", action="store_true",
                        help="turn gunicorn's access log on (to a file) for both apps; it is off by default")
    args = parser.parse_args()
    wrk = need_wrk()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below stops the servers

    work = Path(tempfile.mkdtemp(prefix="kb-bench-http-"))
    servers: list[Server] = []
    try:
        env = {k: v for k, v in os.environ.items() if k != "KB_DATABASE_URL"}
        env.update(KB_CORPUS_DIR=str(ROOT / "corpus"), KB_DATA_DIR=str(work / "var"))
        build_kb(env)
        sizes = start_pair(args, env, work, servers)
        log = "on (to a file)" if args.access_log else "off"
        print(f"gunicorn for both: {shlex.join(gunicorn_settings(args, Path('FILE')))} --bind 127.0.0.1:PORT, "
              f"access log {log}; sync workers close every connection, so wrk reconnects for each request")
        print(f"wrk -c{args.connections} -t{args.threads} -d{args.duration}s --latency, after a {args.warmup} s "
              f"warm-up each; ours GET {TERM_PATH}, minimal GET {MINIMAL_PATH} (bench/minimal_app.py)", flush=True)
        results = measure(wrk, servers, args)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if report(results, sizes, args) else 1


if __name__ == "__main__":
    sys.exit(main())
