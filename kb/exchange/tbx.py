"""TBX-Basic (ISO 30042:2019, the TBX-Basic dialect, DCA style), built with lxml; and its entries read back.

A ``conceptEntry`` an entry: its id (an XML name: ``:`` and other characters a name cannot hold are written
``_xHHHH_``, as SQL/XML maps names), its document (``admin type="source"``), its related entries (``ref
type="relatedConcept"`` to an entry of the file, else ``xref`` to the entry's URL), its history (``transacGrp``:
origination and modifications, their dates and authors), and a ``langSec xml:lang="zh"`` with the definition,
the components (``note``: ``label：meaning``) and a ``termSec`` per label: the headword is the preferred term
(``administrativeStatus``), the full name a ``fullForm``, quoted cores abbreviations, the rest variants.

Read back, the same: the Chinese langSec (``xml:lang`` zh, zh-CN …, else the first), its preferred term as the
headword. A file of another tool names its entries with ids of its own (``c1``) and cites books as sources:
such an entry is read as a new one (or the entry of its headword), never as a kb id or document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from lxml import etree
from sqlalchemy import select

from kb.exchange.model import LANGUAGE, ImportUnreadable, Record, Row, Scope
from kb.exchange.tabular import COMPONENT_SEPARATOR, escape, split, unescape
from kb.store import Store, revisions

NAMESPACE = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PREFERRED, ADMITTED = "preferredTerm-admn-sts", "admittedTerm-admn-sts"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")
_NAME_CHAR = re.compile(r"[A-Za-z0-9.\-\u3400-\u4dbf\u4e00-\u9fff]")
_ESCAPED = re.compile(r"_x([0-9A-F]{4}|[0-9A-F]{8})_")
_KB_ID = re.compile(r".+:\d+")


# -- ids as XML names ------------------------------------------------------------------------------------
def xml_id(entry_id: str) -> str:
    """An entry id as an xml:id-safe NCName, reversibly: qingcheng-2024:2 -> qingcheng-2024_x003A_2."""
    out = []
    for index, ch in enumerate(entry_id):
        safe = _NAME_CHAR.match(ch) and not (index == 0 and not ch.isalpha())
        out.append(ch if safe else f"_x{ord(ch):04X}_" if ord(ch) <= 0xFFFF else f"_x{ord(ch):08X}_")
    return "".join(out)


def entry_id_of(name: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), name)


# -- history -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transaction:
    kind: str  # origination or modification
    author: str
    date: str | None
    note: str | None


def histories(store: Store, scope: Scope) -> dict[str, list[Transaction]]:
    """Each entry's transactions up to the snapshot's revision, read in one query: a corpus entry originates
    in its report (its date, by "corpus"), an entry an editor or an import made in that write."""
    rows: dict[str, list] = {}
    query = select(revisions.c.entry, revisions.c.author, revisions.c.time, revisions.c.note, revisions.c.action
                   ).where(revisions.c.kb_revision <= scope.snapshot.revision).order_by(revisions.c.id)
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            rows.setdefault(row.entry, []).append(row)
    found: dict[str, list[Transaction]] = {}
    for entry in scope.entries:
        written = rows.get(entry.id, [])
        made: list[Transaction] = []
        if not written or written[0].action != "create":
            doc = scope.snapshot.documents.get(entry.document or "")
            made.append(Transaction("origination", "corpus", doc.date if doc and doc.date else None, None))
        made += [Transaction("origination" if r.action == "create" else "modification", r.author, r.time[:10],
                             r.note) for r in written]
        found[entry.id] = made
    return found


# -- writing -------------------------------------------------------------------------------------------
def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attributes)
    element.text = text
    return element


def term_types(record: Record) -> list[tuple[str, str, str]]:
    """(term, termType, administrativeStatus) of each label, the headword first."""
    found = [(record.headword, "abbreviation" if record.full_name else "fullForm", PREFERRED)]
    if record.full_name:
        found.append((record.full_name, "fullForm", ADMITTED))
    for label in record.labels:
        kind = "abbreviation" if label.kind == "core" else "variant"
        found.append((label.text, kind, ADMITTED))
    return found


def concept_entry(scope: Scope, record: Record, history: list[Transaction]) -> etree._Element:
    """Elements without a namespace: written inside the root, they are in its default namespace (TBX's)."""
    entry = etree.Element("conceptEntry", id=xml_id(record.id))
    if record.document:
        _sub(entry, "admin", record.document, type="source")
    for related in record.related:
        headword = scope.snapshot.entries[related].headword if related in scope.snapshot.entries else related
        if related in scope.ids:
            _sub(entry, "ref", headword, type="relatedConcept", target=xml_id(related))
        else:
            _sub(entry, "xref", headword, type="externalCrossReference", target=scope.entry_uri(related))
    for transaction in history:
        group = _sub(entry, "transacGrp")
        _sub(group, "transac", transaction.kind, type="transactionType")
        if transaction.date and _DATE.match(transaction.date):
            _sub(group, "date", transaction.date)
        _sub(group, "transacNote", transaction.author, type="responsibility")
        if transaction.note:
            _sub(group, "note", transaction.note)
    language = etree.SubElement(entry, "langSec", {XML_LANG: LANGUAGE})
    _sub(language, "descrip", record.definition, type="definition")
    for component in record.components:
        _sub(language, "note", escape(component.label, COMPONENT_SEPARATOR) + COMPONENT_SEPARATOR + component.meaning)
    for text, kind, status in term_types(record):
        term = _sub(language, "termSec")
        _sub(term, "term", text)
        _sub(term, "termNote", kind, type="termType")
        _sub(term, "termNote", status, type="administrativeStatus")
    return entry


def header(scope: Scope) -> etree._Element:
    head = etree.Element("tbxHeader")
    described = _sub(head, "fileDesc")
    title = "kb: " + (f"entries of {scope.document}" if scope.document else "every entry")
    _sub(_sub(described, "titleStmt"), "title", title)
    source = _sub(described, "sourceDesc")
    _sub(source, "p", f"Exported by kb from {scope.base_url} at revision {scope.snapshot.revision}.")
    for doc_id, doc in scope.documents():
        if doc is not None:
            _sub(source, "p", f"{doc_id}: {doc.title}" + (f" ({doc.date})" if doc.date else ""))
    return head


def write(scope: Scope, store: Store) -> Iterator[bytes]:
    """The file, a conceptEntry at a time (the root's tags are written by hand so nothing is buffered whole)."""
    history = histories(store, scope)
    yield (f'<?xml version="1.0" encoding="UTF-8"?>\n<tbx xmlns="{NAMESPACE}" type="TBX-Basic" style="dca" '
           f'xml:lang="{LANGUAGE}">\n').encode()
    yield etree.tostring(header(scope), encoding="utf-8", pretty_print=True)
    yield b"<text>\n<body>\n"
    for record in scope.records():
        yield etree.tostring(concept_entry(scope, record, history[record.id]), encoding="utf-8", pretty_print=True)
    yield b"</body>\n</text>\n</tbx>\n"


# -- reading -------------------------------------------------------------------------------------------
def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(parent: etree._Element, name: str, type_: str | None = None) -> list[etree._Element]:
    return [c for c in parent if _local(c) == name and (type_ is None or c.get("type") == type_)]


def _text(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()


def read(data: bytes) -> list[Row]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ImportUnreadable(f"not XML: {error.msg}", error.lineno or None) from None
    namespace = etree.QName(root).namespace
    if _local(root) != "tbx" or namespace not in (NAMESPACE, None):
        where = f" in {namespace}" if namespace else ""
        raise ImportUnreadable(f"not TBX (ISO 30042:2019): the root element is <{_local(root)}>{where}, not <tbx> "
                               f"in {NAMESPACE} (an older TBX, <martif>, is not read)", root.sourceline)
    return [_row(entry) for entry in root.iter() if _local(entry) == "conceptEntry"]


def _row(entry: etree._Element) -> Row:
    line = entry.sourceline or 0
    languages = _children(entry, "langSec")
    chinese = [s for s in languages if (s.get(XML_LANG) or "").lower().startswith(LANGUAGE)] or languages
    if not chinese:
        return Row(line, problem="the conceptEntry has no langSec (xml:lang=\"zh\") with its terms")
    language = chinese[0]
    terms = [(t, {n.get("type"): _text(n) for n in _children(t, "termNote")}) for t in _children(language, "termSec")]
    terms = [(_text(_children(t, "term")[0]), notes) for t, notes in terms if _children(t, "term")]
    if not terms:
        return Row(line, problem="the conceptEntry has no termSec with a term")
    head = next((text for text, notes in terms if notes.get("administrativeStatus") == PREFERRED), terms[0][0])
    full = next((text for text, notes in terms if notes.get("termType") == "fullForm" and text != head), None)
    fields = {"headword": head, "full_name": full, "labels": [text for text, _ in terms if text not in (head, full)],
              "related": _related(entry)}
    definitions = _children(language, "descrip", "definition") or _children(entry, "descrip", "definition")
    if definitions:
        fields["definition"] = _text(definitions[0])
    parts = [p for note in _children(language, "note") if len(p := split(_text(note), COMPONENT_SEPARATOR, 1)) == 2]
    if parts:  # a note "label：meaning" is a component; without any, kb derives them from the definition
        fields["components"] = [{"label": unescape(label).strip(), "meaning": text.strip()} for label, text in parts]
    # kb's own ids (<document>:<number>, editor:<number>) name entries; another tool's (c1) do not, and then
    # its source is a citation, not a document of kb's: the row is a new entry, or the one of its headword
    entry_id = entry_id_of(entry.get("id") or "")
    if not _KB_ID.fullmatch(entry_id):
        return Row(line, None, None, fields)
    sources = _children(entry, "admin", "source")
    return Row(line, entry_id, (_text(sources[0]) or None) if sources else None, fields)


def _related(entry: etree._Element) -> list[str]:
    """In the file's order: a ref to an entry of the file, an xref to an entry's URL (of this KB or another)."""
    found = []
    for element in entry:
        target, kind = element.get("target") or "", (_local(element), element.get("type"))
        if kind == ("ref", "relatedConcept") and target:
            found.append(entry_id_of(target))
        elif kind == ("xref", "externalCrossReference") and "/entries/" in urlsplit(target).path:
            found.append(unquote(urlsplit(target).path.rsplit("/entries/", 1)[1]))
    return found

