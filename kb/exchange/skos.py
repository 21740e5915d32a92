"""SKOS (Turtle or JSON-LD), made with rdflib: a ``skos:ConceptScheme`` per document (its glossary, at the
document's URL) and one for editors' entries, a ``skos:Concept`` per entry at its URL.

A concept's ``skos:prefLabel`` is its headword; its full name, quoted cores, aliases and other names are
``skos:altLabel``; spellings of the headword kb matches as the headword (without its quotes) are
``skos:hiddenLabel``; all ``@zh``, each text once, so no label is both preferred and alternative. Its
definition is ``skos:definition``, each component a ``skos:note`` (``label：meaning``), its report
``dct:source``, its kb id ``dct:identifier``. ``skos:related`` is symmetric (SKOS says so): an entry relates to
those it names and to those naming it, among the export's; to an entry outside it, the link is the entry's URL.

The file is written a few concepts at a time: each batch is its own small graph, serialized by rdflib with
the same prefixes (Turtle: the prefixes once at the top; JSON-LD: the nodes of every batch in one ``@graph``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kb.exchange.model import LANGUAGE, Record, Scope, same_as_headword

BATCH = 50  # concepts a graph: small enough to stream, large enough that rdflib's overhead stays small
PREFIXES = {"skos": SKOS, "dct": DCTERMS, "xsd": XSD}
CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
EDITORS_SCHEME = "编辑添加的词条"  # the title of editors' entries' scheme


def _graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _zh(text: str) -> Literal:
    return Literal(text, lang=LANGUAGE)


def schemes(scope: Scope) -> Graph:
    graph = _graph()
    for doc_id, doc in scope.documents():
        scheme = URIRef(scope.scheme_uri(doc_id))
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        title = EDITORS_SCHEME if doc_id is None else doc.title if doc is not None else None
        if title:
            graph.add((scheme, SKOS.prefLabel, _zh(title)))
            graph.add((scheme, DCTERMS.title, _zh(title)))
        if doc_id is not None:
            graph.add((scheme, DCTERMS.identifier, Literal(doc_id)))
        if doc is not None and doc.date:
            graph.add((scheme, DCTERMS.date, Literal(doc.date, datatype=XSD.date)))
    return graph


def symmetric(scope: Scope, records: list[Record]) -> dict[str, list[str]]:
    """Each entry's related entries, with those that relate to it (within the export) added."""
    found: dict[str, list[str]] = {r.id: list(r.related) for r in records}
    for record in records:
        for other in record.related:
            if other in found and record.id not in found[other]:
                found[other].append(record.id)
    return found


def add_concept(graph: Graph, scope: Scope, record: Record, related: list[str]) -> None:
    concept = URIRef(scope.entry_uri(record.id))
    graph.add((concept, RDF.type, SKOS.Concept))
    graph.add((concept, SKOS.inScheme, URIRef(scope.scheme_uri(record.document))))
    graph.add((concept, DCTERMS.identifier, Literal(record.id)))
    graph.add((concept, SKOS.prefLabel, _zh(record.headword)))
    seen = {record.headword}
    names = [(record.full_name, SKOS.altLabel)] if record.full_name else []
    names += [(label.text, SKOS.hiddenLabel if same_as_headword(record, label) else SKOS.altLabel)
              for label in record.labels]
    for text, kind in names:
        if text not in seen:
            seen.add(text)
            graph.add((concept, kind, _zh(text)))
    graph.add((concept, SKOS.definition, _zh(record.definition)))
    for component in record.components:
        graph.add((concept, SKOS.note, _zh(f"{component.label}：{component.meaning}")))
    for other in related:
        graph.add((concept, SKOS.related, URIRef(scope.entry_uri(other))))
    if record.document is not None:
        graph.add((concept, DCTERMS.source, URIRef(scope.scheme_uri(record.document))))


def graphs(scope: Scope) -> Iterator[Graph]:
    """The schemes' graph, then the concepts BATCH at a time."""
    yield schemes(scope)
    records = list(scope.records())  # symmetric related needs them all; the graphs are made a batch at a time
    related = symmetric(scope, records)
    for start in range(0, len(records), BATCH):
        graph = _graph()
        for record in records[start:start + BATCH]:
            add_concept(graph, scope, record, related[record.id])
        yield graph


def write_turtle(scope: Scope) -> Iterator[bytes]:
    yield "".join(f"@prefix {p}: <{n}> .\n" for p, n in PREFIXES.items()).encode() + b"\n"
    for graph in graphs(scope):
        lines = graph.serialize(format="turtle").splitlines(keepends=True)
        # the prefixes declared at the top, once; any other rdflib made stays (Turtle allows one anywhere)
        body = "".join(line for line in lines if not _declared(line)).strip()
        if body:
            yield (body + "\n\n").encode("utf-8")


def _sorted(node: dict) -> dict:
    """A node's values in one order (RDF has none), so an export of the same KB is the same file."""
    return {key: sorted(value, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
            if isinstance(value, list) else value for key, value in node.items()}


def _declared(line: str) -> bool:
    return line.startswith("@prefix") and line.split()[1].rstrip(":") in PREFIXES


def write_jsonld(scope: Scope) -> Iterator[bytes]:
    yield (json.dumps({"@context": CONTEXT}, ensure_ascii=False)[:-1] + ', "@graph": [\n').encode()
    first = True
    for graph in graphs(scope):
        if not len(graph):
            continue
        found = json.loads(graph.serialize(format="json-ld", context=CONTEXT))
        nodes = found.get("@graph", [found]) if isinstance(found, dict) else found
        for node in sorted(nodes, key=lambda n: n["@id"]):  # rdflib's order is its sets': made the same each time
            node.pop("@context", None)
            yield (("" if first else ",\n") + json.dumps(_sorted(node), ensure_ascii=False, sort_keys=True)).encode()
            first = False
    yield b"\n]}\n"
