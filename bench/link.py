"""Benchmark linking, side by side in one run: kb's linker vs a bare pyahocorasick scan and flashtext.

In process, on about 1 MB (UTF-8) of report text (the passages of the three reports, repeated), with the
labels of the KB built from them: kb's Linker (normalising, offsets, leftmost-longest, acronym boundaries,
summaries and URLs), a bare pyahocorasick ``iter`` over the same label keys on the raw text (the limit: no
normalising, no choosing) and flashtext's KeywordProcessor (a common choice). Target: kb at least 60 MB/s
(43.6 MB/s when issue 12 asked for it).

Over HTTP, with bench/http.py's servers and settings: POST /link with a 300-character message against the
minimal Flask route (GET, a constant JSON). Target: at least 0.7 of the minimal route's req/s.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]  # bench/http.py vs http
sys.path.insert(0, str(ROOT))

from bench.corpora import THREE_REPORTS, built  # noqa: E402
from kb.knowledge import KnowledgeBase  # noqa: E402
from kb.normalize import label_key  # noqa: E402

TARGET_MB_S = 60.0
ISSUE_12_MB_S = 43.6  # kb's linker when issue 12 was filed (its baseline)
TARGET_RATIO = 0.7
MESSAGE_CHARS = 300


def _bench_http():
    """bench/http.py, loaded under another name (its file name would shadow the standard library's http)."""
    spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "http.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_http"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def text_of(kb: KnowledgeBase, size: int) -> str:
    passages = [p.text for p in kb.passages()]
    out, total, i = [], 0, 0
    while total < size:
        piece = passages[i % len(passages)] + "\n"
        out.append(piece)
        total += len(piece.encode())
        i += 1
    return "".join(out)


def best_seconds(run, repeat: int) -> tuple[float, object]:
    """The fastest of ``repeat`` runs, each as timeit times it: after a collection, with the collector off (so
    that one side's garbage is not collected in another side's time)."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return min(times), result


def in_process(kb: KnowledgeBase, args: argparse.Namespace) -> bool:
    from flashtext import KeywordProcessor

    text = text_of(kb, args.megabytes * 1_000_000)
    size_mb = len(text.encode()) / 1e6
    labels = sorted({name for e in kb.entries() for name in e.names})
    automaton = ahocorasick.Automaton()
    for key in {label_key(name) for name in labels}:
        automaton.add_word(key, key)
    automaton.make_automaton()
    flash = KeywordProcessor(case_sensitive=False)
    for name in labels:
        flash.add_keyword(name)
    kb.linker.link("预热")  # the automaton is built on first use
    sides = {
        "kb Linker": lambda: kb.linker.link(text),
        "bare pyahocorasick": lambda: sum(1 for _ in automaton.iter(text)),
        "flashtext": lambda: flash.extract_keywords(text, span_info=True),
    }
    results = {}
    for _ in range(args.repeat):  # alternate, so that a noisy spell hits every side
        for name, run in sides.items():
            seconds, found = best_seconds(run, 1)
            best = results.get(name, (float("inf"), None))
            results[name] = min(best, (seconds, found), key=lambda r: r[0])
    print(f"{size_mb:.2f} MB of report text ({len(text)} characters), {len(labels)} labels; best of {args.repeat}")
    print(f"  {'':20} {'MB/s':>8} {'found':>8}")
    for name, (seconds, found) in results.items():
        count = found if isinstance(found, int) else len(found)
        print(f"  {name:20} {size_mb / seconds:8.1f} {count:8}")
    ours = size_mb / results["kb Linker"][0]
    print(f"  kb Linker: {ours:.1f} MB/s ({ours / ISSUE_12_MB_S:.2f}x issue 12's {ISSUE_12_MB_S}), "
          f"target >= {TARGET_MB_S:.0f} MB/s "
          f"{'PASS' if ours >= TARGET_MB_S else 'FAIL'}; "
          f"{ours / (size_mb / results['bare pyahocorasick'][0]):.2f}x the bare scan, "
          f"{ours / (size_mb / results['flashtext'][0]):.2f}x flashtext")
    return ours >= TARGET_MB_S


def over_http(kb: KnowledgeBase, data_dir: Path, args: argparse.Namespace) -> bool:
    http = _bench_http()
    wrk = http.need_wrk()
    passages = [p.text for p in kb.passages() if len(p.text) >= MESSAGE_CHARS]
    message = passages[len(passages) // 2][:MESSAGE_CHARS]
    work = Path(tempfile.mkdtemp(prefix="kb-bench-link-"))
    script, body = work / "post.lua", work / "body.json"
    body.write_text(json.dumps({"text": message}, ensure_ascii=False), encoding="utf-8")
    # the body is read from a file: LuaJIT's string literals know no \u escapes
    script.write_text(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                      f'local f = io.open("{body}", "rb")\nwrk.body = f:read("*a")\nf:close()\n', encoding="utf-8")
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_CORPUS_DIR": str(data_dir.parent / "corpus")}
    env.pop("KB_DATABASE_URL", None)
    http_args = argparse.Namespace(workers=args.workers, access_log=False, connections=16, threads=2)
    servers = []
    try:
        servers.append(http.Server("ours", "api:create_app()", "/healthz", http_args, env, work))
        servers[0].wait_ready()
        servers.append(http.Server("minimal", http.MINIMAL_APP.format(size=2000), http.MINIMAL_PATH,
                                   http_args, env, work))
        servers[1].wait_ready()
        link_url = servers[0].url.replace("/healthz", "/link")
        runs: dict[str, list] = {"POST /link": [], "minimal": []}
        for _name, url, extra in (("POST /link", link_url, ["-s", str(script)]), ("minimal", servers[1].url, [])):
            _wrk(http, wrk, url, extra, args.warmup)
        for _ in range(args.rounds):
            for name, url, extra in (("POST /link", link_url, ["-s", str(script)]),
                                     ("minimal", servers[1].url, [])):
                result = _wrk(http, wrk, url, extra, args.duration)
                runs[name].append(result)
                print(f"  {name:11} {result.requests_per_s:9.1f} req/s  p99 {result.p99_ms:6.2f} ms"
                      f"{'  non-2xx: ' + str(result.non_2xx_3xx) if result.non_2xx_3xx else ''}", flush=True)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    ours = max(r.requests_per_s for r in runs["POST /link"])
    minimal = max(r.requests_per_s for r in runs["minimal"])
    failed = sum(r.non_2xx_3xx for r in runs["POST /link"])
    ratio = ours / minimal
    ok = ratio >= TARGET_RATIO and not failed
    print(f"  POST /link ({MESSAGE_CHARS}-character message) {ours:.1f} req/s vs minimal route {minimal:.1f}: "
          f"{ratio:.2f}x, target >= {TARGET_RATIO} {'PASS' if ok else 'FAIL'}"
          f"{f' ({failed} non-2xx answers)' if failed else ''}")
    return ok


def _wrk(http, wrk: str, url: str, extra: list[str], seconds: int):
    import subprocess

    cmd = [wrk, "-c16", "-t2", f"-d{seconds}s", "--latency", *extra, url]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return http.parse_wrk(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="in-process runs per side (best is printed)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KB_WORKERS", "2")))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-http", action="store_true", help="only the in-process comparison")
    args = parser.parse_args()
    with built(THREE_REPORTS, "kb-bench-link-kb-") as settings:
        kb = KnowledgeBase.open(settings)
        ok = in_process(kb, args)
        if not args.no_http:
            kb.release()
            ok = over_http(kb, settings.data_dir, args) and ok
        kb.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
