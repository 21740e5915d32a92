"""What follows from the entries: the passages that cite or mention each entry, and the entries each
definition names. The one place for these rules: a build applies them to the whole corpus, an editor's
write to what it changes (see ``affected``).

- A passage of any report that uses an entry's label mentions the entry (a county report without a glossary
  that says 百千万工程 mentions the entry of the report that defines it). Where the words name entries of
  several reports (or editors' entries, which belong to none), the passage mentions the entry of its own
  report if there is one, else each of them, marked ambiguous.
- Leftmost-longest, except that the passage's own report's labels win where they overlap others': an entry
  of another report never hides a shorter label of the passage's own.
- A passage cites the entry of its report whose number its marker gives (［2］ -> that report's entry 2).
- An entry's related entries are those its definition names among its own report's entries and editors'
  (every entry, for an editor's own), unless an editor listed them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kb.labels import entry_from_state
from kb.matcher import LabelMatcher, LayeredMatcher, names_matcher
from kb.model import Edit, Entry, Passage, Use
from kb.normalize import label_key

Matcher = LabelMatcher | LayeredMatcher


def scope(entry: Entry) -> frozenset[str] | None:
    """The documents whose entries' definitions may name the entry as related (None: every document)."""
    return None if entry.document is None else frozenset((entry.document,))


def passage_uses(passage: Passage, matcher: Matcher, entries: Mapping[str, Entry],
                 order: Callable[[str], int], senses: Senses | None = None) -> list[Use]:
    """The entries a passage cites or mentions, in ``order``, with the spans of their labels (``senses``: the
    same for every passage of one call of derive_all)."""
    senses = senses or Senses(entries)
    groups: dict[int, tuple[list[str], list[tuple[int, int]]]] = {}  # the spans of each list of entries named
    ambiguous: set[str] = set()
    for match in matcher.find(passage.text, None, passage.document):
        named, several = senses.of(match.targets, passage.document)
        group = groups.get(id(named))
        if group is None:
            groups[id(named)] = (named, [(match.start, match.end)])
            if several:
                ambiguous.update(named)
        else:
            group[1].append((match.start, match.end))
    spans: dict[str, tuple[tuple[int, int], ...]] = {}
    for named, found in groups.values():
        shared = tuple(found)  # (the same tuple for every sense of a name)
        for target in named:
            before = spans.get(target)
            spans[target] = shared if before is None else tuple(sorted(before + shared))  # (matches don't overlap)
    cited = cited_entries(passage, entries)
    return [Use(entry, passage.id, entry in cited, spans.get(entry, ()), entry in ambiguous)
            for entry in sorted(cited | spans.keys(), key=order)]


class Senses:
    """The entries that a match's targets name for a passage: the passage's own report's, if it has any, else
    each of them (several: ambiguous). Worked out once for each list of targets, as a report's labels come
    back in every passage (and in each of a province's reports that cites them)."""

    def __init__(self, entries: Mapping[str, Entry]):
        self._entries = entries
        self._known: dict[tuple[str, ...], tuple[list[str], dict[str | None, list[str]]]] = {}

    def of(self, targets: tuple[str, ...], document: str) -> tuple[list[str], bool]:
        """(the entries named, whether they are several of other reports); the lists are shared: read only."""
        known = self._known.get(targets)
        if known is None:
            named = [t for t in targets if t in self._entries]
            by_document: dict[str | None, list[str]] = {}
            for target in named:
                by_document.setdefault(self._entries[target].document, []).append(target)
            known = self._known[targets] = (named, by_document)
        named, by_document = known
        own = by_document.get(document)
        if own:
            return own, False
        return named, len(named) > 1


def cited_entries(passage: Passage, entries: Mapping[str, Entry]) -> set[str]:
    """The entries the passage's markers cite: those of its report with the numbers they give."""
    return {f"{passage.document}:{c.number}" for c in passage.citations} & entries.keys()


def related_of(entry: Entry, matcher: Matcher, entries: Mapping[str, Entry],
               listed: Iterable[str] | None = None) -> tuple[str, ...]:
    """The entries ``entry`` relates to: those an editor ``listed``, else those its definition names."""
    if listed:
        return tuple(i for i in dict.fromkeys(listed) if i in entries and i != entry.id)
    found: list[str] = []
    for match in matcher.find(entry.definition, scope(entry)):
        found += [t for t in match.targets if t != entry.id and t in entries and t not in found]
    return tuple(found)


@dataclass(frozen=True)
class Derived:
    """Uses by passage and related entries by entry: all of them (a build) or those a change rewrote."""

    uses: dict[str, list[Use]] = field(default_factory=dict)  # passage id -> its uses
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)  # entry id -> related ids


def derive_all(passages: Iterable[Passage], entries: Mapping[str, Entry],
               listed: Mapping[str, list[str]]) -> Derived:
    """Every passage's uses and every entry's related entries (``listed``: what editors set)."""
    matcher = names_matcher(entries.values())
    order = {entry_id: i for i, entry_id in enumerate(entries)}.__getitem__
    senses = Senses(entries)
    uses = {p.id: passage_uses(p, matcher, entries, order, senses) for p in passages}
    related = {e.id: found for e in entries.values() if (found := related_of(e, matcher, entries, listed.get(e.id)))}
    return Derived(uses, related)


@dataclass(frozen=True)
class Current:
    """The entries as they are now: the corpus's as printed, with editors' changes laid over them."""

    entries: dict[str, Entry]  # live entries, in corpus order, then editors' own
    versions: dict[str, int]  # how many times editors changed each (0 or absent: as printed)
    deleted: frozenset[str]
    listed: dict[str, list[str]]  # related entries an editor set


def current_entries(corpus: Iterable[Entry], edits: Iterable[Edit]) -> Current:
    found = {e.id: e for e in corpus}
    versions: dict[str, int] = {}
    deleted: set[str] = set()
    listed: dict[str, list[str]] = {}
    for edit in edits:
        versions[edit.entry] = edit.version
        if edit.deleted:
            deleted.add(edit.entry)
            found.pop(edit.entry, None)
            continue
        found[edit.entry] = entry_from_state(edit.entry, edit.state)
        if edit.state.get("related"):
            listed[edit.entry] = list(edit.state["related"])
    return Current(found, versions, frozenset(deleted), listed)


def name_keys(entry: Entry | None) -> set[str]:
    return set() if entry is None else {k for k in map(label_key, entry.names) if k}


def affected(before: Entry | None, after: Entry | None, uses_of: Callable[[str], Iterable[Use]],
             naming: Callable[[set[str], frozenset[str] | None, str], Iterable[str]]) -> tuple[set[str], set[str]]:
    """The passages whose uses and the entries whose related entries may change when one entry goes from
    ``before`` to ``after`` (None: it does not exist): where it was used or named, and where its new names
    stand. ``naming(keys, documents, kind)`` finds the passages or entries whose text holds one of the keys."""
    entry_id = (after or before).id  # type: ignore[union-attr]
    if before is not None and after is not None and (before.names, before.document) == (after.names, after.document):
        # the same names in the same report (a definition, a full name or components changed): every passage
        # names what it named and every definition what it named; only the entry's own related entries may not
        return set(), {entry_id}
    passages = {u.passage for u in uses_of(entry_id)}
    entries = {entry_id} if after is not None else set()
    for version in (before, after):
        if version is not None:
            keys = name_keys(version)
            passages |= set(naming(keys, None, "passage"))  # a passage of any report may mention it
            entries |= set(naming(keys, scope(version), "entry"))
    return passages, entries - ({entry_id} if after is None else set())
