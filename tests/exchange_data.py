"""KBs for the export and import tests: the session's three reports with editors' work laid over them (an
editor's entries, corpus entries edited, one deleted), and a KB of another corpus to import into."""

from __future__ import annotations

from pathlib import Path

from kb.build import build
from kb.config import Settings
from kb.knowledge import KnowledgeBase
from tests.conftest import copy_kb, make_settings
from tests.reports import MINI, MINI_ID

AUTHOR = "alice"
NEW_ENTRY = {"headword": "新质生产力", "definition": "指创新起主导作用的先进生产力质态，与百千万工程相互促进。",
             "labels": ["新质"], "related": ["qingcheng-2024:2"]}
# what a spreadsheet would trip over: | in a headword and a label, a formula, a ： in a component's label
AWKWARD = {"headword": "甲|乙测试", "definition": "=SUM(1,2) 指一个测试用语，含有\\反斜杠。", "labels": ["x|y", "-1号"],
           "components": [{"label": "甲：乙", "meaning": "丙|丁"}]}


def edited_copy(settings: Settings, base: Path) -> Settings:
    """A copy of the session KB with editors' work on it: two editors' entries (editor:1, editor:2), corpus
    entries with labels, a full name, components and related entries set, and one deleted."""
    copy = copy_kb(settings, base)
    kb = KnowledgeBase.open(copy)
    try:
        kb.current()
        kb.create_entry(NEW_ENTRY, AUTHOR, "a new term")
        kb.create_entry(AWKWARD, AUTHOR)
        kb.update_entry("qingcheng-2024:5", {"labels": ["3+2集群"], "full_name": "清城区“3+2”现代产业集群"},
                        0, AUTHOR, "its full name")
        kb.update_entry("qingcheng-2024:4", {"components": [{"label": "一园", "meaning": "清远长隆国际主题乐园"}],
                                             "related": ["qingcheng-2024:6", "editor:1"]}, 0, AUTHOR)
        kb.delete_entry("qingcheng-2024:19", 0, AUTHOR, "no longer used")
    finally:
        kb.close()
    return copy


def other_corpus(base: Path) -> Settings:
    """A KB built from another corpus (one small report): none of the session KB's entries is in it."""
    settings = make_settings(base, {MINI_ID: MINI})
    build(settings)
    return settings
