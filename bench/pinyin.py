"""Benchmark autocomplete in pinyin against autocomplete in Chinese, side by side in one run (issue 15).

A KB of the three reports; ``KnowledgeBase.terms(prefix)`` (what GET /terms?prefix= answers, without the HTTP
cache) for prefixes of every label: in Chinese (its first character, its first two), and in pinyin (the full
pinyin of its first two characters, its initials, its full pinyin). Rounds alternate the two kinds so both
see the same noise; printed are the median and p99 per lookup and the ratio of the medians, PASS when pinyin is
within 2x of Chinese. Also: making a snapshot's pinyin index (at its first pinyin query: cold; again, with the
spellings cached by label; after an edit, from the last one), and with ``--keys N`` the same over N labels made
up of the reports' (a KB of a thousand reports has tens of thousands).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import random
import statistics
import time
from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypinyin import Style, lazy_pinyin  # noqa: E402

from bench.corpora import THREE_REPORTS, built  # noqa: E402
from kb import lookup, pinyin  # noqa: E402
from kb.knowledge import KnowledgeBase  # noqa: E402
from kb.normalize import label_key  # noqa: E402

TARGET = 2.0  # pinyin lookups within this many times the Chinese ones


def ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def spelled(text: str, style: Style = Style.NORMAL) -> str:
    return "".join(lazy_pinyin(label_key(text), style=style))


def prefixes(names: list[str]) -> tuple[list[str], list[str]]:
    chinese = [p for n in names for p in (n[:1], n[:2]) if label_key(p)]
    sounds = [p for n in names for p in (spelled(n[:2]), spelled(n, Style.FIRST_LETTER), spelled(n))
              if pinyin.is_spelling(label_key(p))]
    return chinese, sounds


def lookups(kb: KnowledgeBase, chinese: list[str], sounds: list[str], rounds: int) -> None:
    times: dict[str, list[float]] = {"Chinese": [], "pinyin": []}
    found = {"Chinese": 0, "pinyin": 0}
    for _ in range(rounds):
        for kind, batch in (("Chinese", chinese), ("pinyin", sounds)):
            for prefix in batch:
                start = time.perf_counter()
                answer = kb.terms(prefix, limit=10)
                times[kind].append((time.perf_counter() - start) * 1000)
                found[kind] += bool(answer["terms"])
    base = statistics.median(times["Chinese"])
    for kind in times:
        median = statistics.median(times[kind])
        print(f"  {kind + ' prefixes':<18} {len(times[kind]) // rounds:>4} of them  median {median:7.3f} ms   "
              f"p99 {_p99(times[kind]):7.3f} ms   {median / base:5.2f}x   found {found[kind] / rounds:.0f}")
    ratio = statistics.median(times["pinyin"]) / base
    print(f"  pinyin/Chinese {ratio:.2f}x (target <= {TARGET}x): {'PASS' if ratio <= TARGET else 'FAIL'}")


def index_making(keys: list[str]) -> None:
    pinyin._spellings.cache_clear()
    pinyin.options.cache_clear()
    cold = ms(lambda: pinyin.PinyinIndex(keys))
    index = pinyin.PinyinIndex(keys)
    whole = ms(lambda: pinyin.PinyinIndex(keys))  # a build's next snapshot: the spellings are cached by label
    edited = [*keys[1:], keys[0] + "示范"]  # an edit's next snapshot: a label renamed
    patched = ms(lambda: index.with_keys(edited))
    assert index.with_keys(edited).fits(spelled(edited[-1])) == pinyin.PinyinIndex(edited).fits(spelled(edited[-1]))
    queries = [spelled(k[:2]) for k in random.Random(15).sample(keys, min(200, len(keys)))]
    each = statistics.median(ms(lambda q=q: index.fits(q)) for q in queries)
    print(f"  {len(keys):>6} labels ({len(index._texts):>6} spellings): cold {cold:7.1f} ms, again {whole:7.1f} ms, "
          f"after an edit {patched:6.1f} ms; a 2-syllable prefix's fits {each:.3f} ms")


def made_up(keys: list[str], count: int) -> list[str]:
    """Labels like the reports': the beginning of one joined to the end of another (as many polyphones)."""
    rng = random.Random(15)
    found: dict[str, None] = {}
    while len(found) < count:
        first, second = rng.sample(keys, 2)
        found[first[:rng.randint(1, len(first))] + second[rng.randint(0, len(second) - 1):]] = None
    return list(found)


def _p99(values: list[float]) -> float:
    return sorted(values)[int(0.99 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keys", type=int, default=40_000, help="made-up labels for the index's scale (0: none)")
    args = parser.parse_args()
    with built(THREE_REPORTS, "kb-bench-pinyin-") as settings:
        kb = KnowledgeBase.open(settings)
        snap = kb.current()
        names = sorted({snap.names[k] for k in snap.names})
        chinese, sounds = prefixes(names)
        print(f"autocomplete over {len(snap.by_key)} label keys of {len(snap.documents)} reports "
              f"(KnowledgeBase.terms, limit 10)")
        first = ms(lambda: kb.terms(sounds[0]))
        print(f"  first pinyin query of the snapshot (makes its index): {first:.1f} ms")
        lookups(kb, chinese, sounds, args.rounds)
        print("making the pinyin index")
        index_making(list(snap.by_key))
        if args.keys:
            index_making(made_up(list(snap.by_key), args.keys))
        assert lookup.pinyin_index(snap) is lookup.pinyin_index(snap)
        kb.close()


if __name__ == "__main__":
    main()
