"""Exports: SKOS parses with rdflib and passes a SKOS integrity check; TBX validates against the official
TBX-Basic schema and the rules of its Schematron; CSV opens with a BOM and the csv module reads it back; JSON
Lines are the API's entry shape; over HTTP each streams, with its type and file name, never cached."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from lxml import etree
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from api import create_app
from kb.cli import main
from kb.exchange import FORMATS, tabular
from kb.knowledge import KnowledgeBase
from tests.exchange_data import AUTHOR, AWKWARD, NEW_ENTRY, edited_copy
from tests.helpers import assert_problem, kb_env

BASE = "http://kb.example.org"
TBX = "urn:iso:std:iso:30042:ed-2"
NS = {"t": TBX}
RNG = Path(__file__).parent / "data" / "tbx" / "TBXcoreStructV03_TBX-Basic_integrated.rng"


@pytest.fixture(scope="module")
def edited(settings, tmp_path_factory):
    return edited_copy(settings, tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def kb(edited):
    base = KnowledgeBase.open(edited)
    base.current()
    yield base
    base.close()


@pytest.fixture(scope="module")
def client(edited):
    return create_app({"KB_SETTINGS": edited}).test_client()


def exported(kb: KnowledgeBase, format: str, document: str | None = None) -> bytes:
    return b"".join(kb.export(format, document, BASE))


def entry_id(uri: URIRef) -> str:
    assert str(uri).startswith(f"{BASE}/entries/"), uri
    return unquote(str(uri)[len(f"{BASE}/entries/"):])


# -- SKOS ----------------------------------------------------------------------------------------------
def skos_problems(graph: Graph, kb: KnowledgeBase) -> list[str]:
    """What breaks SKOS's integrity conditions (S13, S14, inScheme, related) in ``graph``; [] if nothing."""
    problems = []
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    for concept in concepts:
        preferred = Counter(label.language for label in graph.objects(concept, SKOS.prefLabel))
        if not preferred or any(n != 1 for n in preferred.values()):
            problems.append(f"{concept}: prefLabels by language {dict(preferred)} (S14: one per language)")
        kinds = {kind: set(graph.objects(concept, kind)) for kind in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)}
        for a, b in ((SKOS.prefLabel, SKOS.altLabel), (SKOS.prefLabel, SKOS.hiddenLabel),
                     (SKOS.altLabel, SKOS.hiddenLabel)):
            if kinds[a] & kinds[b]:
                problems.append(f"{concept}: {kinds[a] & kinds[b]} both {a} and {b} (S13: disjoint)")
        if not any(scheme in schemes for scheme in graph.objects(concept, SKOS.inScheme)):
            problems.append(f"{concept}: in no concept scheme of the file")
        for other in graph.objects(concept, SKOS.related):
            if other in concepts:
                if (other, SKOS.related, concept) not in graph:
                    problems.append(f"{concept} relates to {other}, not back (skos:related is symmetric)")
            elif entry_id(other) not in kb.snapshot.entries:
                problems.append(f"{concept} relates to {other}, which is no entry")
    return problems


def test_skos_turtle_parses_and_holds_to_skos_integrity(kb):
    graph = Graph().parse(data=exported(kb, "skos-turtle"), format="turtle")
    assert skos_problems(graph, kb) == []
    concepts = {entry_id(c) for c in graph.subjects(RDF.type, SKOS.Concept)}
    assert concepts == set(kb.snapshot.entries) and "qingcheng-2024:19" not in concepts  # deleted: not exported
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert schemes == {URIRef(f"{BASE}/documents/{d}") for d in ("qingcheng-2024", "sichuan-2026", "jiangxi-2026")} \
        | {URIRef(f"{BASE}/entries?source=editor")}
    assert all(label.language == "zh" for kind in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition)
               for label in graph.objects(None, kind))


def test_the_integrity_check_finds_what_breaks_skos(kb):
    graph = Graph().parse(data=exported(kb, "skos-turtle", "qingcheng-2024"), format="turtle")
    concept = URIRef(f"{BASE}/entries/qingcheng-2024:2")
    graph.add((concept, SKOS.prefLabel, Literal("第二个", lang="zh")))
    graph.add((concept, SKOS.altLabel, Literal("百千万工程", lang="zh")))
    graph.add((concept, SKOS.related, URIRef(f"{BASE}/entries/nowhere:1")))
    graph.remove((URIRef(f"{BASE}/entries/qingcheng-2024:3"), SKOS.inScheme, None))
    found = "\n".join(skos_problems(graph, kb))
    assert "S14" in found and "S13" in found and "no entry" in found and "in no concept scheme" in found


def test_skos_concepts_carry_labels_definition_components_and_source(kb):
    graph = Graph().parse(data=exported(kb, "skos-turtle"), format="turtle")
    c = URIRef(f"{BASE}/entries/qingcheng-2024:2")
    assert set(graph.objects(c, SKOS.prefLabel)) == {Literal("百千万工程", lang="zh")}
    assert Literal("百县千镇万村高质量发展工程", lang="zh") in set(graph.objects(c, SKOS.altLabel))
    assert str(next(graph.objects(c, SKOS.definition))).startswith("全称“百县千镇万村高质量发展工程”")
    assert {str(n) for n in graph.objects(c, SKOS.note)} >= {"百：广东省行政区内的122个县（市、区）"}
    assert next(graph.objects(c, DCTERMS.source)) == URIRef(f"{BASE}/documents/qingcheng-2024")
    assert next(graph.objects(c, SKOS.inScheme)) == URIRef(f"{BASE}/documents/qingcheng-2024")
    edited = URIRef(f"{BASE}/entries/qingcheng-2024:5")
    assert Literal("3+2产业集群", lang="zh") in set(graph.objects(edited, SKOS.hiddenLabel))  # the unquoted headword
    assert {Literal(t, lang="zh") for t in ("3+2", "3+2集群", "清城区“3+2”现代产业集群")} <= set(
        graph.objects(edited, SKOS.altLabel))
    mine = URIRef(f"{BASE}/entries/editor:1")
    assert next(graph.objects(mine, SKOS.inScheme)) == URIRef(f"{BASE}/entries?source=editor")
    assert (mine, SKOS.related, c) in graph and (c, SKOS.related, mine) in graph  # listed one way, stated both
    scheme = URIRef(f"{BASE}/documents/qingcheng-2024")
    assert str(next(graph.objects(scheme, DCTERMS.title))) == kb.document("qingcheng-2024").title


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's own parser
def test_skos_jsonld_is_the_same_graph_as_turtle(kb):
    turtle = Graph().parse(data=exported(kb, "skos-turtle"), format="turtle")
    document = json.loads(exported(kb, "skos-jsonld"))
    assert set(document) == {"@context", "@graph"} and len(document["@graph"]) > len(kb.snapshot.entries)
    assert isomorphic(turtle, Graph().parse(data=json.dumps(document), format="json-ld"))


# -- TBX -----------------------------------------------------------------------------------------------
def schematron_problems(root: etree._Element) -> list[str]:
    """The rules of TBX-Basic's Schematron (DCA/TBX-Basic_DCA.sch, XPath 2: lxml cannot run it) that kb's files
    touch, checked element by element."""
    problems = []
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    allowed = {"termType": {"fullForm", "acronym", "abbreviation", "shortForm", "variant", "phrase"},
               "administrativeStatus": {"admittedTerm-admn-sts", "deprecatedTerm-admn-sts", "supersededTerm-admn-sts",
                                        "preferredTerm-admn-sts"}}
    where = {("termNote", None): {"termSec"}, ("descrip", "definition"): {"conceptEntry", "langSec"},
             ("ref", "relatedConcept"): {"conceptEntry"}, ("admin", "source"): {"conceptEntry", "langSec", "termSec"},
             ("xref", "externalCrossReference"): {"conceptEntry", "termSec"}}
    if (root.get("type"), root.get("style")) != ("TBX-Basic", "dca"):
        problems.append("the root is not type=TBX-Basic style=dca")
    for element in root.iter():
        name, kind = etree.QName(element).localname, element.get("type")
        if etree.QName(element).namespace != TBX:
            problems.append(f"{name}: not in TBX's namespace (DCT elements are not DCA)")
        parent = etree.QName(element.getparent()).localname if element.getparent() is not None else None
        for (tag, typed), parents in where.items():
            if name == tag and typed in (None, kind) and parent not in parents:
                problems.append(f"line {element.sourceline}: {tag} {kind} under {parent}")
        if name == "termNote" and kind in allowed and element.text not in allowed[kind]:
            problems.append(f"line {element.sourceline}: {kind} {element.text!r}")
        if name == "transac" and element.text not in ("origination", "modification"):
            problems.append(f"line {element.sourceline}: transactionType {element.text!r}")
        target = element.get("target")
        if target is not None and not re.match(r"https?://.+", target) and target not in ids:
            problems.append(f"line {element.sourceline}: target {target!r} is neither an id nor a URL")
        if kind == "":
            problems.append(f"line {element.sourceline}: an empty type")
    return problems


@pytest.fixture(scope="module")
def tbx_root(kb):
    return etree.fromstring(exported(kb, "tbx"))


def test_tbx_validates_against_the_tbx_basic_schema_and_its_schematron_rules(tbx_root):
    schema = etree.RelaxNG(etree.parse(str(RNG)))
    assert schema.validate(tbx_root), schema.error_log
    assert schematron_problems(tbx_root) == []


def test_the_tbx_checks_refuse_a_broken_file(tbx_root):
    broken = etree.fromstring(etree.tostring(tbx_root))
    language = broken.find(".//t:langSec", NS)
    del language.attrib["{http://www.w3.org/XML/1998/namespace}lang"]
    note = broken.find(".//t:termNote", NS)
    note.text = "preferred"
    broken.find(".//t:conceptEntry", NS).append(etree.fromstring(f'<ref xmlns="{TBX}" type="relatedConcept" '
                                                                 f'target="nowhere">x</ref>'))
    assert not etree.RelaxNG(etree.parse(str(RNG))).validate(broken)
    assert len(schematron_problems(broken)) >= 2


def test_tbx_core_structure_element_by_element(kb, tbx_root):
    assert etree.QName(tbx_root).localname == "tbx" and etree.QName(tbx_root).namespace == TBX
    assert tbx_root.find("t:tbxHeader/t:fileDesc/t:sourceDesc/t:p", NS) is not None
    entries = tbx_root.findall("t:text/t:body/t:conceptEntry", NS)
    assert len(entries) == len(kb.snapshot.entries)
    by_id = {e.get("id"): e for e in entries}
    entry = by_id["qingcheng-2024_x003A_2"]
    assert entry.findtext("t:admin[@type='source']", namespaces=NS) == "qingcheng-2024"
    [language] = entry.findall("t:langSec", NS)
    assert language.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh"
    assert language.findtext("t:descrip[@type='definition']", namespaces=NS) == kb.entry("qingcheng-2024:2").definition
    terms = {s.findtext("t:term", namespaces=NS): tuple(s.findtext(f"t:termNote[@type='{kind}']", namespaces=NS)
                                                        for kind in ("termType", "administrativeStatus"))
             for s in language.findall("t:termSec", NS)}
    assert terms == {"百千万工程": ("abbreviation", "preferredTerm-admn-sts"),
                     "百县千镇万村高质量发展工程": ("fullForm", "admittedTerm-admn-sts")}
    mine = by_id["editor_x003A_1"]
    assert mine.find("t:admin", NS) is None  # an editor's entry belongs to no document
    assert mine.find("t:ref[@type='relatedConcept']", NS).get("target") == "qingcheng-2024_x003A_2"


def test_tbx_transactions_are_the_entry_history(tbx_root):
    today = datetime.now(UTC).date().isoformat()

    def transactions(xml_id: str) -> list[tuple[str, str | None, str]]:
        entry = next(e for e in tbx_root.iter(f"{{{TBX}}}conceptEntry") if e.get("id") == xml_id)
        return [(g.findtext("t:transac[@type='transactionType']", namespaces=NS), g.findtext("t:date", namespaces=NS),
                 g.findtext("t:transacNote[@type='responsibility']", namespaces=NS))
                for g in entry.findall("t:transacGrp", NS)]

    assert transactions("qingcheng-2024_x003A_1") == [("origination", "2024-02-03", "corpus")]
    assert transactions("qingcheng-2024_x003A_5") == [("origination", "2024-02-03", "corpus"),
                                                       ("modification", today, AUTHOR)]
    assert transactions("editor_x003A_1") == [("origination", today, AUTHOR)]


# -- CSV and JSON Lines --------------------------------------------------------------------------------
def test_csv_opens_with_a_bom_and_csv_reads_it_back(kb):
    data = exported(kb, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == tabular.COLUMNS
    assert [r["id"] for r in rows] == list(kb.snapshot.entries)
    two = next(r for r in rows if r["id"] == "qingcheng-2024:2")
    assert (two["document"], two["headword"], two["full_name"], two["version"]) == (
        "qingcheng-2024", "百千万工程", "百县千镇万村高质量发展工程", "0")
    assert two["components"].split("|")[0] == "百：广东省行政区内的122个县（市、区）"
    four = next(r for r in rows if r["id"] == "qingcheng-2024:4")
    assert (four["related"], four["version"]) == ("qingcheng-2024:6|editor:1", "1")
    awkward = next(r for r in rows if r["id"] == "editor:2")
    assert awkward["headword"] == AWKWARD["headword"]  # a cell of one value needs no escape
    assert awkward["labels"] == "x\\|y|-1号"  # a | in a label escaped
    assert awkward["definition"] == "'" + AWKWARD["definition"]  # a formula guarded from spreadsheets
    assert awkward["components"] == "甲\\：乙：丙\\|丁"
    assert tabular.items(tabular.unguard(awkward["labels"])) == AWKWARD["labels"]


def test_jsonl_is_the_entry_shape_a_line_each(kb, client):
    lines = exported(kb, "jsonl").decode("utf-8").splitlines()
    assert len(lines) == len(kb.snapshot.entries)
    first = json.loads(lines[0])
    answer = client.get(f"/entries/{first['id']}").get_json()
    assert first == {k: v for k, v in answer.items() if not k.startswith("passages")} | {"version": 0}
    mine = next(json.loads(line) for line in lines if json.loads(line)["id"] == "editor:1")
    assert (mine["headword"], mine["version"], mine["document"]) == (NEW_ENTRY["headword"], 1, None)


# -- over HTTP, and the CLI ------------------------------------------------------------------------------
@pytest.mark.parametrize("format", list(FORMATS))
def test_export_streams_with_its_type_and_a_file_name(client, kb, format):
    response = client.get(f"/export?format={format}&document=qingcheng-2024")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == FORMATS[format].media_type
    name = f"kb-qingcheng-2024-r{kb.revision}.{FORMATS[format].extension}"
    assert response.headers["Content-Disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    body = response.get_data()
    assert body == exported(kb, format, "qingcheng-2024").replace(BASE.encode(), b"http://localhost")


def test_an_export_is_made_piece_by_piece_and_never_cached(client, kb):
    pieces = kb.export("csv", None, BASE)
    assert iter(pieces) is pieces and not isinstance(pieces, list | bytes)  # a generator, not a buffer
    assert next(pieces).startswith(b"\xef\xbb\xbf") and sum(1 for _ in pieces) == len(kb.snapshot.entries)
    cache = client.application.wsgi_app
    while not hasattr(cache, "cache"):
        cache = cache.wsgi_app
    before = len(cache.cache._items)
    assert client.get("/export?format=jsonl").is_streamed and client.get("/export?format=jsonl").is_streamed
    assert len(cache.cache._items) == before


def test_an_unknown_format_or_document_is_a_problem(client):
    problem = assert_problem(client.get("/export?format=rdf"), 422)
    assert all(name in problem["detail"] for name in FORMATS)
    assert problem["errors"]["query"]["format"]
    assert assert_problem(client.get("/export?format=tbx&document=nowhere"), 404)["type"] == "/problems/not-found"
    assert assert_problem(client.get("/export"), 422)["errors"]["query"]["format"]


def test_uris_start_with_kb_public_url_if_set(edited):
    app = create_app({"KB_SETTINGS": type(edited)(**{**vars(edited), "public_url": "https://terms.example.gov.cn"})})
    text = app.test_client().get("/export?format=skos-turtle&document=sichuan-2026").get_data(as_text=True)
    assert "<https://terms.example.gov.cn/entries/sichuan-2026:1>" in text and "http://localhost" not in text


def test_kb_export_writes_the_file_the_api_sends(edited, client, tmp_path, monkeypatch, capsys):
    kb_env(monkeypatch, edited)
    target = tmp_path / "out.tbx"
    assert main(["export", "--format", "tbx", "--output", str(target), "--base-url", "http://localhost"]) == 0
    assert target.read_bytes() == client.get("/export?format=tbx").get_data()
    assert not list(tmp_path.glob("*.part"))
    assert main(["export", "--format", "csv", "--document", "jiangxi-2026"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\ufeffid,document,") and out.count("jiangxi-2026:") >= 26
    assert main(["export", "--format", "csv", "--document", "nowhere"]) == 2
    assert "no document with id 'nowhere'" in capsys.readouterr().err
