"""Benchmark the pages for people against the JSON views of the same data, side by side in one run (issue 13).

A KB of the three reports (the default one and the two provincial ones of tests/data), served in process by
Flask's test client, so that what is timed is the answer's making, not the network:
- the term page ``/term/T`` against ``GET /terms/T``, for 百千万工程, the term whose entry has the most
  passages, and the label with the most senses (several entries side by side);
- the reading view ``/read/D`` of the largest report (most passages) against its passages as JSON
  (``GET /documents/D/passages``, every page of it), and against those plus ``POST /link`` of each passage,
  which is what a client must ask for to show the same linked text.

Rounds alternate page and JSON so that both see the same noise; printed are the median and p90 per request and
the ratio of the medians.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/X.py` puts bench/ first on sys.path, where bench/http.py would stand in for the standard
# library's http package: take that entry out before anything else.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import statistics
import time
from collections.abc import Callable
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from api.schemas import MAX_LIMIT  # noqa: E402
from bench.corpora import THREE_REPORTS, built  # noqa: E402
from kb.knowledge import KnowledgeBase  # noqa: E402


def timed(call: Callable[[], None]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def side_by_side(name: str, page: Callable[[], None], views: dict[str, Callable[[], None]], rounds: int) -> None:
    for call in (page, *views.values()):  # warm: templates compiled, caches filled
        call()
    times: dict[str, list[float]] = {"page": [], **{k: [] for k in views}}
    for _ in range(rounds):
        times["page"].append(timed(page))
        for key, call in views.items():
            times[key].append(timed(call))
    page_ms = statistics.median(times["page"])
    print(f"{name}")
    print(f"  {'page':<34} median {page_ms:8.2f} ms   p90 {_p90(times['page']):8.2f} ms")
    for key in views:
        json_ms = statistics.median(times[key])
        print(f"  {key:<34} median {json_ms:8.2f} ms   p90 {_p90(times[key]):8.2f} ms   "
              f"page/JSON {page_ms / json_ms:5.2f}x")


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with built(THREE_REPORTS, "kb-bench-pages-") as settings:
        kb = KnowledgeBase.open(settings)
        client = create_app({"KB_SETTINGS": settings}).test_client()

        def get(url: str) -> Callable[[], None]:
            def call() -> None:
                answer = client.get(url)
                assert answer.status_code == 200, (url, answer.status_code)
            return call

        heaviest = max(kb.entries(), key=lambda e: kb.entry_view(e)["passages_total"]).headword
        senses = max({n for e in kb.entries() for n in e.names}, key=lambda n: len(kb.resolve(n)))
        for term in dict.fromkeys(("百千万工程", heaviest, senses)):
            found = kb.resolve(term)
            uses = sum(kb.entry_view(r.entry)["passages_total"] for r in found)
            side_by_side(f"term page {term} ({len(found)} sense{'s' * (len(found) > 1)}, {uses} passages)",
                         get(f"/term/{quote(term)}"), {"GET /terms/T": get(f"/terms/{quote(term)}")}, args.rounds)

        doc = max(kb.documents(), key=lambda d: len(kb.passages(d.id)))
        passages = kb.passages(doc.id)

        def passages_json() -> None:
            cursor = ""
            while True:
                answer = client.get(f"/documents/{doc.id}/passages?limit={MAX_LIMIT}{cursor}")
                found = answer.get_json()
                if not found["next_cursor"]:
                    return
                cursor = f"&cursor={quote(found['next_cursor'])}"

        def passages_and_links() -> None:
            passages_json()
            for passage in passages:
                answer = client.post("/link", json={"text": passage.text})
                assert answer.status_code == 200

        size = sum(len(p.text) for p in passages)
        side_by_side(f"reading view {doc.id} ({len(passages)} passages, {size:,} characters)",
                     get(f"/read/{doc.id}"), {"GET /documents/D/passages (all)": passages_json,
                                              "... + POST /link of each passage": passages_and_links},
                     max(5, args.rounds // 3))
        kb.close()


if __name__ == "__main__":
    main()
