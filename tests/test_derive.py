"""The uses a passage has of entries, as derive works them out: spans, own report first, ambiguous senses."""

from __future__ import annotations

from kb.derive import derive_all
from kb.model import Citation, Entry, Label, Passage, Use


def entry(document: str | None, number: int, *names: str) -> Entry:
    labels = tuple(Label(name, "headword" if i == 0 else "alias") for i, name in enumerate(names))
    ident = f"{document}:{number}" if document else f"editor:{number}"
    return Entry(ident, names[0], f"{names[0]}的解释。", document, number, labels=labels)


ENTRIES = [entry("a", 1, "百千万工程", "百县千镇万村高质量发展工程"), entry("b", 1, "百千万工程"),
           entry("c", 1, "百千万工程"), entry("c", 2, "河长制"), entry(None, 9, "河长制")]


def uses_of(text: str, document: str, citations: tuple[Citation, ...] = ()) -> list[Use]:
    passage = Passage(f"{document}:p1", document, 1, (), text, citations=citations)
    entries = {e.id: e for e in ENTRIES}
    return derive_all([passage], entries, {}).uses[passage.id]


def test_a_name_of_several_other_reports_is_each_of_them_marked_ambiguous_with_every_span():
    text = "推进百千万工程，深化百千万工程。"
    found = uses_of(text, "z")
    assert [(u.entry, u.spans, u.ambiguous, u.cited) for u in found] == [
        (ident, ((2, 7), (10, 15)), True, False) for ident in ("a:1", "b:1", "c:1")]


def test_the_passages_own_report_wins_and_its_names_spans_are_in_text_order():
    text = "百县千镇万村高质量发展工程（简称百千万工程）在推进，河长制也是。"
    found = {u.entry: u for u in uses_of(text, "a", (Citation(1, 5),))}
    assert found.keys() == {"a:1", "c:2", "editor:9"}
    short = text.index("百千万工程")
    assert found["a:1"].spans == ((0, 13), (short, short + 5))
    assert not found["a:1"].ambiguous and found["a:1"].cited
    # 河长制 names an entry of report c and an editor's: two senses, neither the passage's report's
    assert (found["c:2"].ambiguous, found["editor:9"].ambiguous) == (True, True)
    at = text.index("河长制")
    assert found["c:2"].spans == found["editor:9"].spans == ((at, at + 3),)


def test_a_report_of_its_own_sense_is_not_ambiguous():
    found = uses_of("河长制全面落实。", "c")
    assert [(u.entry, u.ambiguous) for u in found] == [("c:2", False)]
