"""When each entry was live: the revisions at which it came, went and came back, read from the store's log (the
builds' summaries, editors' revisions) and kept by every snapshot, so that the change feed (kb.feed) can tell
an entry created since a revision from one modified since, and name the entries gone since with their headwords.

An entry is live where current_entries (kb.derive) makes it so: an editor's last word on it if there is one (a
delete takes it away, any other write keeps or brings it back), else whether the last build printed it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kb.model import EDITOR_PREFIX, Edit, Entry

Seen = tuple[str | None, str | None]  # an entry's headword and document, as it was last live


@dataclass(frozen=True)
class Build:
    """A build as its row of the log tells it: its ``summary`` (None: made before kb kept one) and the
    entries it removed."""

    revision: int
    summary: Mapping[str, Any] | None
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Write:
    """An editor's write: the KB revision it took, the entry, and whether the entry is live after it."""

    revision: int
    entry: str
    live: bool


@dataclass(frozen=True)
class Log:
    """What the store's log says about entries coming and going, oldest first."""

    builds: tuple[Build, ...] = ()
    writes: tuple[Write, ...] = ()


@dataclass(frozen=True)
class Presence:
    """``toggles``: entry id -> the revisions at which it came, went, came back... (it is live after an odd
    number of them); ``gone``: the entries not live now -> their headword and document as last seen."""

    toggles: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    gone: Mapping[str, Seen] = field(default_factory=dict)

    def live_at(self, entry_id: str, revision: int) -> bool:
        """Whether the entry was live once the change at ``revision`` was made (0: before any)."""
        return bisect.bisect_right(self.toggles.get(entry_id, ()), revision) % 2 == 1

    def last(self, entry_id: str) -> int:
        """The revision at which the entry last came or went (0: never)."""
        found = self.toggles.get(entry_id, ())
        return found[-1] if found else 0

    def patched(self, revision: int, written: Mapping[str, tuple[bool, Seen]]) -> Presence:
        """After a write at ``revision``: whether each entry it wrote is live after it, and its headword and
        document (as the write left them)."""
        toggles, gone = dict(self.toggles), dict(self.gone)
        for entry_id, (live, seen) in written.items():
            if (len(toggles.get(entry_id, ())) % 2 == 1) != live:
                toggles[entry_id] = (*toggles.get(entry_id, ()), revision)
            if live:
                gone.pop(entry_id, None)
            else:
                gone[entry_id] = seen
        return Presence(toggles, gone)


def written(changed: Mapping[str, Entry | None], before: Mapping[str, Entry]) -> dict[str, tuple[bool, Seen]]:
    """What ``Presence.patched`` takes, from the entries a write changed (None: gone) and those live before."""
    found: dict[str, tuple[bool, Seen]] = {}
    for entry_id, entry in changed.items():
        shown = entry or before.get(entry_id)
        found[entry_id] = (entry is not None, (None, None) if shown is None else (shown.headword, shown.document))
    return found


def presence_of(log: Log, live: Mapping[str, Entry], edits: Iterable[Edit], changed: Mapping[str, int],
                retired: Mapping[str, int]) -> Presence:
    """Every entry's comings and goings, replaying the log: builds print (``added``) and remove entries,
    editors' writes overlay them. A build before kb kept summaries is read as having printed, if it was the
    first build, every corpus entry the store knows, and else none; where the replay still disagrees with the
    entries ``live`` now, the entry came or went at the revision that last changed it (``changed``, ``retired``)."""
    known = {i for i in (*live, *retired, *(w.entry for w in log.writes)) if not i.startswith(EDITOR_PREFIX)}
    in_corpus: dict[str, bool] = {}
    edited: dict[str, bool] = {}  # an editor's last word: live (True) or deleted (False)
    flips: dict[str, list[int]] = {}

    def settle(entry_id: str, revision: int) -> None:
        now = edited.get(entry_id, in_corpus.get(entry_id, False))
        found = flips.setdefault(entry_id, [])
        if (len(found) % 2 == 1) != now:
            found.append(revision)

    events: list[tuple[int, Build | Write]] = [(b.revision, b) for b in log.builds]
    events += [(w.revision, w) for w in log.writes]
    first = True
    for revision, event in sorted(events, key=lambda item: item[0]):
        if isinstance(event, Write):
            edited[event.entry] = event.live
            settle(event.entry, revision)
            continue
        summary = event.summary
        removed = set(event.removed) | set((summary or {}).get("removed", ()))
        added = set(summary.get("added", ())) if summary is not None else (known - removed if first else set())
        first = False
        for entry_id in removed:
            in_corpus[entry_id] = False
        for entry_id in added:
            in_corpus[entry_id] = True
        for entry_id in removed | added:
            settle(entry_id, revision)
    for entry_id in {*flips, *live}:
        found = flips.setdefault(entry_id, [])
        if (len(found) % 2 == 1) != (entry_id in live):  # the log does not tell (a build before summaries)
            at = changed.get(entry_id, 0) if entry_id in live else max(changed.get(entry_id, 0),
                                                                           retired.get(entry_id, 0))
            if found and at <= found[-1]:
                found.pop()
            else:
                found.append(at)
    return Presence({i: tuple(f) for i, f in flips.items() if f}, _gone(log, live, edits, flips))


def _gone(log: Log, live: Mapping[str, Entry], edits: Iterable[Edit],
          flips: Mapping[str, list[int]]) -> dict[str, Seen]:
    """The headword and document of each entry not live now: an editor's last state of it, else the headword
    the build that removed it noted."""
    seen: dict[str, Seen] = {}
    for build in log.builds:
        for entry_id, headword in ((build.summary or {}).get("removed") or {}).items():
            seen[entry_id] = (headword, entry_id.rpartition(":")[0] or None)
    for edit in edits:
        seen[edit.entry] = (edit.state.get("headword"), edit.state.get("document"))
    return {i: seen.get(i, (None, None if i.startswith(EDITOR_PREFIX) else i.rpartition(":")[0] or None))
            for i in flips if i not in live}
