"""Benchmark `kb build`: default-corpus wall time, jieba dictionary load, and a many-document build."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
KB = str(BIN / "kb")
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
REPORTS = [
    ROOT / "corpus" / "qingcheng-2024.txt",
    ROOT / "tests" / "data" / "sichuan-2026.txt",
    ROOT / "tests" / "data" / "jiangxi-2026.txt",
]
TARGET_WALL_S = 2.0
TARGET_DOCS_PER_S = 20.0
JIEBA_LOAD = "import sys, jieba; t = jieba.Tokenizer(); t.tmp_dir = sys.argv[1]; t.initialize()"


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str, float]:
    """Run cmd from the repo root; return (wall seconds, stdout, peak RSS MiB) of that one child via os.wait4."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{text}")
    return wall, text, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def kb_build(corpus_dir: str, *flags: str) -> tuple[float, str, float]:
    """One `kb build` of corpus_dir into a fresh temp data dir."""
    env = {k: v for k, v in os.environ.items() if k != "KB_DATABASE_URL"}
    with tempfile.TemporaryDirectory(prefix="kb-bench-data-") as data_dir:
        env.update(KB_CORPUS_DIR=corpus_dir, KB_DATA_DIR=data_dir)
        return run_child([KB, "build", *flags], env)


def table_totals(text: str) -> tuple[int, int]:
    """Sum the passages and entries columns of the table `kb build` prints."""
    passages = entries = 0
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) == 5 and cols[1].isdigit() and cols[2].isdigit():
            passages, entries = passages + int(cols[1]), entries + int(cols[2])
    return passages, entries


def bench_default(repeat: int) -> float:
    walls = [kb_build("corpus")[0] for _ in range(repeat)]
    best, median = min(walls), statistics.median(walls)
    print(f"kb build (default corpus, {repeat} runs): min {best:.3f} s, median {median:.3f} s   target < 2.0 s wall")
    return median


def bench_jieba() -> float:
    with tempfile.TemporaryDirectory(prefix="kb-bench-jieba-") as cache_dir:
        cold = run_child([PYTHON, "-c", JIEBA_LOAD, cache_dir])[0]
        cached = run_child([PYTHON, "-c", JIEBA_LOAD, cache_dir])[0]
    print(f"jieba dictionary load (fresh process): cold {cold:.3f} s, cached {cached:.3f} s (reported: cached)")
    return cached


def bench_many(docs: int, *flags: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="kb-bench-corpus-") as corpus_dir:
        for i in range(docs):
            shutil.copyfile(REPORTS[i % len(REPORTS)], Path(corpus_dir) / f"doc-{i:03d}.txt")
        wall, text, rss = kb_build(corpus_dir, *flags)
    rate = docs / wall
    passages, entries = table_totals(text)
    what = " ".join(["kb build", *flags])
    print(f"{what} ({docs} documents): {wall:.3f} s wall, {rate:.1f} documents/s, peak RSS {rss:.1f} MiB; "
          f"{passages} passages, {entries} entries")
    return rate, rss


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the default-corpus build (default 5)")
    parser.add_argument("--docs", type=int, default=100, help="documents in the many-document build (default 100)")
    args = parser.parse_args()
    build = bench_default(args.repeat)
    jieba_load = bench_jieba()
    store_rate, store_rss = bench_many(args.docs, "--no-index")
    rate, rss = bench_many(args.docs)
    print("summary (a build loads jieba and brings the search index up to date, unless --no-index)")
    print(f"  default build median         {build:8.3f} s       target < 2.0 s      {verdict(build < TARGET_WALL_S)}")
    print(f"  of which jieba load, about   {jieba_load:8.3f} s")
    print(f"  {args.docs}-document build, store  {store_rate:8.1f} docs/s  target >= 20 docs/s "
          f"{verdict(store_rate >= TARGET_DOCS_PER_S)}   peak RSS {store_rss:.1f} MiB")
    print(f"  {args.docs}-document build, + index{rate:8.1f} docs/s  (no target)          peak RSS {rss:.1f} MiB")


if __name__ == "__main__":
    main()
