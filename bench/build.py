"""Benchmark `kb build`: default-corpus wall time against a baseline commit's, parsing time, jieba dictionary
load, and a many-document build."""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/X.py` puts bench/ first on sys.path, where bench/http.py would stand in for the standard
# library's http package (urllib, and so Whoosh, import it): take that entry out before anything else.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import THREE_REPORTS, generate  # noqa: E402

BIN = ROOT / ".venv" / "bin"
KB = str(BIN / "kb")
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
TARGET_WALL_S = 2.0
# The last commit before issue 10 (the county-report ingest): its default build is the one to stay within 10% of.
BASELINE = "d58a700"
TARGET_RATIO = 1.10
# Parse the default report N times in one process (after one warm-up), print the median in ms.
PARSE = """
import statistics, sys, time
from pathlib import Path
try:
    from kb.ingest import parse_file
except ImportError:  # before issue 10
    from kb.parser import parse_file
path = Path(sys.argv[1]); parse_file(path); times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter(); parse_file(path); times.append(time.perf_counter() - start)
print(statistics.median(times) * 1000)
"""
TARGET_DOCS_PER_S = 20.0
# how kb loads jieba's dictionary (from its own cache in the data dir), in a fresh process with its imports
JIEBA_LOAD = "import sys; from kb.search import preload; preload(sys.argv[1])"


def run_child(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | str = ROOT) -> tuple[float, str, float]:
    """Run cmd (from the repo root unless ``cwd``); return (wall seconds, stdout, peak RSS MiB) of that one
    child via os.wait4."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{text}")
    return wall, text, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def kb_build(corpus_dir: str, *flags: str, data_dir: str | None = None) -> tuple[float, str, float]:
    """One `kb build` of corpus_dir into data_dir, by default a fresh temp dir."""
    env = {k: v for k, v in os.environ.items() if k != "KB_DATABASE_URL"}
    if data_dir is not None:
        env.update(KB_CORPUS_DIR=corpus_dir, KB_DATA_DIR=data_dir)
        return run_child([KB, "build", *flags], env)
    with tempfile.TemporaryDirectory(prefix="kb-bench-data-") as fresh:
        env.update(KB_CORPUS_DIR=corpus_dir, KB_DATA_DIR=fresh)
        return run_child([KB, "build", *flags], env)


def table_totals(text: str) -> tuple[int, int]:
    """Sum the passages and entries columns of the table `kb build` prints."""
    passages = entries = 0
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) == 5 and cols[1].isdigit() and cols[2].isdigit():
            passages, entries = passages + int(cols[1]), entries + int(cols[2])
    return passages, entries


def bench_default(repeat: int) -> tuple[float, float]:
    """(median cold build: a fresh data dir, so jieba builds its dictionary and kb caches it;
    median build from scratch in a data dir that has the cache: no store, no index)."""
    cold = [kb_build("corpus")[0] for _ in range(repeat)]
    warm = []
    with tempfile.TemporaryDirectory(prefix="kb-bench-data-") as data_dir:
        kb_build("corpus", data_dir=data_dir)
        for _ in range(repeat):
            for made in Path(data_dir).iterdir():
                if made.name == "index" or made.name.startswith("kb.sqlite"):
                    shutil.rmtree(made) if made.is_dir() else made.unlink()
            warm.append(kb_build("corpus", data_dir=data_dir)[0])
    for name, walls in (("fresh data dir", cold), ("cached jieba", warm)):
        print(f"kb build (default corpus, {name}, {repeat} runs): min {min(walls):.3f} s, "
              f"median {statistics.median(walls):.3f} s   target < 2.0 s wall")
    return statistics.median(cold), statistics.median(warm)


def _clear_build(data_dir: str) -> None:
    """Remove the store and index of a data dir, keeping jieba's cached dictionary."""
    for made in Path(data_dir).iterdir():
        if made.name == "index" or made.name.startswith("kb.sqlite"):
            shutil.rmtree(made) if made.is_dir() else made.unlink()


def bench_versus_baseline(ref: str, repeat: int) -> tuple[float, float, float, float]:
    """Alternate `kb build` of the default corpus by this tree and by ``ref`` (its kb/ from git, run with this
    venv), each in its own data dir with jieba cached; and the time to parse the default report alone.
    Returns (median now, median baseline, parse ms now, parse ms baseline)."""
    with tempfile.TemporaryDirectory(prefix="kb-bench-baseline-") as tree, \
            tempfile.TemporaryDirectory(prefix="kb-bench-data-") as now_dir, \
            tempfile.TemporaryDirectory(prefix="kb-bench-data-") as then_dir:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "kb"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
        base = {k: v for k, v in os.environ.items() if k != "KB_DATABASE_URL"}
        corpus = str(ROOT / "corpus")
        # each runs from its own tree: `python -m`/`-c` put the working directory first on sys.path
        runs = ((ROOT, {**base, "KB_CORPUS_DIR": corpus, "KB_DATA_DIR": now_dir}),
                (Path(tree), {**base, "KB_CORPUS_DIR": corpus, "KB_DATA_DIR": then_dir}))
        where = run_child([PYTHON, "-c", "import kb; print(kb.__path__[0])"], runs[1][1], runs[1][0])[1].strip()
        if Path(where).resolve() != (Path(tree) / "kb").resolve():
            raise SystemExit(f"the baseline's kb did not load (got {where})")
        missing = run_child([PYTHON, "-c", "import importlib.util as u; print(u.find_spec('ahocorasick') is None)"],
                            runs[1][1], runs[1][0])[1].strip()
        if missing == "True":  # the baseline's matcher was pyahocorasick (kb needs it again: kb.search.dagcut)
            raise SystemExit(f"the baseline {ref} needs pyahocorasick: {PYTHON} -m pip install -e . "
                             "(make bench does)")
        build_cmd = [PYTHON, "-m", "kb.cli", "build"]
        for cwd, env in runs:  # first builds: jieba's dictionary cache in each data dir
            run_child(build_cmd, env, cwd)
        walls: tuple[list[float], list[float]] = ([], [])
        for round_ in range(repeat):
            for which in ((0, 1) if round_ % 2 else (1, 0)):
                cwd, env = runs[which]
                _clear_build(env["KB_DATA_DIR"])
                walls[which].append(run_child(build_cmd, env, cwd)[0])
        now, then = walls
        report = str(ROOT / "corpus" / "qingcheng-2024.txt")
        parse_now, parse_then = (float(run_child([PYTHON, "-c", PARSE, report, "30"], env, cwd)[1])
                                 for cwd, env in runs)
    return statistics.median(now), statistics.median(then), parse_now, parse_then


def bench_jieba() -> float:
    with tempfile.TemporaryDirectory(prefix="kb-bench-jieba-") as cache_dir:
        cold = run_child([PYTHON, "-c", JIEBA_LOAD, cache_dir])[0]
        cached = run_child([PYTHON, "-c", JIEBA_LOAD, cache_dir])[0]
    print(f"jieba dictionary load (fresh process): cold {cold:.3f} s, cached {cached:.3f} s (reported: cached)")
    return cached


def bench_many(docs: int, *flags: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="kb-bench-corpus-") as corpus_dir:
        generate(docs, Path(corpus_dir), THREE_REPORTS)
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
    parser.add_argument("--baseline", default=BASELINE, help=f"the commit to compare with (default {BASELINE})")
    args = parser.parse_args()
    now, then, parse_now, parse_then = bench_versus_baseline(args.baseline, args.repeat)
    cold, build = bench_default(args.repeat)
    jieba_load = bench_jieba()
    store_rate, store_rss = bench_many(args.docs, "--no-index")
    rate, rss = bench_many(args.docs)
    print("summary (a build loads jieba and brings the search index up to date, unless --no-index)")
    ratio = now / then
    print(f"  default build, this tree      {now:8.3f} s       baseline {args.baseline} {then:.3f} s   "
          f"ratio {ratio:.2f}  target <= {TARGET_RATIO:.2f}  {verdict(ratio <= TARGET_RATIO)}")
    print(f"  parse the default report      {parse_now:8.1f} ms      baseline {args.baseline} {parse_then:.1f} ms  "
          f"ratio {parse_now / parse_then:.2f}")
    print(f"  default build median         {build:8.3f} s       target < 2.0 s      {verdict(build < TARGET_WALL_S)}")
    print(f"  ... in a fresh data dir      {cold:8.3f} s       (once per data dir: jieba builds its dictionary)")
    print(f"  of which jieba load, about   {jieba_load:8.3f} s")
    print(f"  {args.docs}-document build, store  {store_rate:8.1f} docs/s  target >= 20 docs/s "
          f"{verdict(store_rate >= TARGET_DOCS_PER_S)}   peak RSS {store_rss:.1f} MiB")
    print(f"  {args.docs}-document build, + index{rate:8.1f} docs/s  (no target)          peak RSS {rss:.1f} MiB")


if __name__ == "__main__":
    main()
