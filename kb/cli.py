"""The `kb` command line: a thin front end over kb's Python API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kb import tokens
from kb.build import DocumentReport, build, check, is_current
from kb.config import Settings
from kb.errors import IngestError, KBError, TermNotFound, WarningsAreErrors
from kb.knowledge import MAX_LIMIT, SEARCH_TYPES, KnowledgeBase
from kb.model import IngestWarning, ParsedDocument
from kb.store import Store, make_engine, migrate


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    if args.if_changed and is_current(settings):
        print(f"KB is current with {settings.corpus_dir}/ (nothing to do)")
        return 0
    try:
        reports = build(settings, index=not args.no_index, strict=args.strict)
    except WarningsAreErrors as refused:
        for source, warning in refused.warnings:
            print(_warning_line(source, warning), file=sys.stderr)
        raise
    print(f"{'document':<24} {'passages':>8} {'entries':>8} {'citations':>9} {'mentions':>8}")
    for r in reports:
        print(f"{r.id:<24} {r.passages:>8} {r.entries:>8} {r.citations:>9} {r.mentions:>8}")
        for warning in r.warnings:
            print(f"  {_warning_line(r.source, warning)}")
    warned = sum(len(r.warnings) for r in reports)
    print(f"built {len(reports)} documents into {settings.database_url}"
          + (f" ({warned} warnings; `kb build --strict` refuses them)" if warned else ""))
    return 0


def _warning_line(source: str, warning: IngestWarning) -> str:
    where = f"{source}:{warning.line}" if warning.line else source
    return f"warning: {where}: {warning.message}"


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Parse reports as a build would and print what it would take in and warn about; store nothing."""
    failed = warned = 0
    found: list[dict[str, Any]] = []
    for path in args.files:
        try:
            [(doc, report)] = check([path])
        except IngestError as error:
            print(f"kb: error: {error}", file=sys.stderr)
            failed += 1
            continue
        warned += len(report.warnings)
        if args.json:
            found.append(_check_json(doc, report))
        else:
            _print_check(doc, report)
    if args.json:
        _print_json(found)
    return 2 if failed or (args.strict and warned) else 0


def _print_check(doc: ParsedDocument, r: DocumentReport) -> None:
    date = f", given {doc.document.date}" if doc.document.date else ""
    print(f"{r.source}: {r.id}: {r.title}{date}")
    markers = (f"{r.citations} markers, all cite an entry" if not r.unresolved
               else f"{r.citations} markers, {r.unresolved} citing no entry")
    print(f"  {r.passages} passages, {r.entries} entries; {markers}; {r.mentions} mentions")
    for entry in doc.entries:
        page = f" (page {entry.page})" if entry.page is not None else ""
        summary = entry.definition if len(entry.definition) <= 40 else entry.definition[:40] + "…"
        print(f"  {entry.number:>4}  {entry.headword}: {summary}{page}")
    for warning in r.warnings:
        print(f"  {_warning_line(r.source, warning)}")


def _check_json(doc: ParsedDocument, r: DocumentReport) -> dict[str, Any]:
    return {"id": r.id, "title": r.title, "date": doc.document.date, "source": r.source, "passages": r.passages,
            "citations": r.citations, "unresolved": r.unresolved, "mentions": r.mentions,
            "entries": [{"number": e.number, "headword": e.headword, "definition": e.definition, "page": e.page,
                         "labels": list(e.names), "line": e.line} for e in doc.entries],
            "warnings": [{"line": w.line, "message": w.message} for w in r.warnings]}


def cmd_entries(args: argparse.Namespace, settings: Settings) -> int:
    kb = KnowledgeBase.open(settings)
    _print_json([kb.entry_view(e, with_passages=False) for e in kb.entries(args.document)])
    return 0


def cmd_passages(args: argparse.Namespace, settings: Settings) -> int:
    kb = KnowledgeBase.open(settings)
    _print_json([kb.passage_view(p) for p in kb.passages(args.document)])
    return 0


def cmd_lookup(args: argparse.Namespace, settings: Settings) -> int:
    kb = KnowledgeBase.open(settings)
    try:
        _print_json(kb.lookup(args.term, args.document))
    except TermNotFound as missing:
        _print_json({"query": args.term, "match": None, "entries": [], "suggestions": missing.suggestions})
        return 1
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    kb = KnowledgeBase.open(settings)
    try:
        _print_json(kb.search(args.query, document=args.document, type=args.type, limit=args.limit,
                              cursor=args.cursor))
    finally:
        kb.close()
    return 0


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    kb = KnowledgeBase.open(settings)
    try:
        report = kb.sync_index(rebuild=True)
    finally:
        kb.close()
    print(f"indexed {report.added} entries and passages at revision {report.revision}")
    return 0


def cmd_link(args: argparse.Namespace, settings: Settings) -> int:
    kb = KnowledgeBase.open(settings)
    try:
        _print_json(kb.link(sys.stdin.read(), args.format, args.first_only, args.document or None, args.prefer,
                            settings.public_url))
    finally:
        kb.close()
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(make_engine(settings.database_url))
    try:
        if args.action == "create":
            secret = tokens.create(store, args.name, args.role)
            print(f"token {args.name!r} ({args.role}) created; it is shown once, only its digest is kept:")
            print(secret)
        elif args.action == "list":
            _print_json([vars(t) for t in tokens.listing(store)])
        else:
            revoked = tokens.revoke(store, args.name)
            print(f"token {revoked.name!r} revoked at {revoked.revoked}")
    finally:
        store.engine.dispose()
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the store's schema to this kb's (kb.store.migrate); every start does it too."""
    engine = make_engine(settings.database_url)
    try:
        was, now = migrate.upgrade(engine)
    finally:
        engine.dispose()
    if was == now:
        print(f"the store is at schema revision {now} already (nothing to do)")
    else:
        print(f"the store went from schema revision {was or 'none (made before migrations, or new)'} to {now}")
    return 0


def _limit(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="kb", description="Terminology knowledge base for government work reports.")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="(re)build the KB from the corpus directory")
    p.add_argument("--if-changed", action="store_true", help="do nothing if the KB already holds this corpus")
    p.add_argument("--no-index", action="store_true",
                   help="write the store only; the search index catches up at the next start or `kb reindex`")
    p.add_argument("--strict", action="store_true",
                   help="refuse a corpus with warnings (exit 2, the KB unchanged) instead of reading past them")
    p.set_defaults(run=cmd_build)
    p = sub.add_parser("check", help="parse reports as a build would and print what it would take in and warn "
                                     "about, storing nothing")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="a report: .txt, .pdf, .html or .htm")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--strict", action="store_true", help="exit 2 if any report has warnings")
    p.set_defaults(run=cmd_check)
    p = sub.add_parser("entries", help="print the glossary entries as JSON")
    p.add_argument("--document", help="only this document's entries")
    p.set_defaults(run=cmd_entries)
    p = sub.add_parser("passages", help="print the passages as JSON, in document order")
    p.add_argument("--document", help="only this document's passages")
    p.set_defaults(run=cmd_passages)
    p = sub.add_parser("lookup", help="print every entry a term names, with the passages that use it")
    p.add_argument("term")
    p.add_argument("--document", help="only this document's entries (and editors')")
    p.set_defaults(run=cmd_lookup)
    p = sub.add_parser("search", help="full-text search over entries and passages, printed as JSON")
    p.add_argument("query", help='words (all required), "quoted phrases" and acronyms such as 3+1+N')
    p.add_argument("--document", help="only this document's entries and passages")
    p.add_argument("--type", choices=SEARCH_TYPES, help="only entries or only passages")
    p.add_argument("--limit", type=_limit, default=10, help=f"hits per page (1-{MAX_LIMIT}, default 10)")
    p.add_argument("--cursor", help="the next_cursor of the previous page")
    p.set_defaults(run=cmd_search)
    p = sub.add_parser("link", help="link every term in the text on stdin; print JSON as POST /link does")
    p.add_argument("--format", choices=("json", "html", "markdown"), default="json")
    p.add_argument("--first-only", action="store_true", help="link each entry's first use only")
    p.add_argument("--document", action="append", help="only entries of this document (repeatable)")
    p.add_argument("--prefer", help="where words name entries of several documents, this document's")
    p.set_defaults(run=cmd_link)
    p = sub.add_parser("reindex", help="rebuild the search index from the store")
    p.set_defaults(run=cmd_reindex)
    p = sub.add_parser("migrate", help="bring the store's schema to this kb's (every start does it as well)")
    p.set_defaults(run=cmd_migrate)
    p = sub.add_parser("token", help="API tokens for editors and admins")
    actions = p.add_subparsers(dest="action", required=True)
    made = actions.add_parser("create", help="make a token and print it (on the last line, once)")
    made.add_argument("--name", required=True)
    made.add_argument("--role", required=True, choices=tokens.ROLES)
    actions.add_parser("list", help="print every token's name, role and dates as JSON")
    gone = actions.add_parser("revoke", help="revoke a token at once")
    gone.add_argument("name")
    p.set_defaults(run=cmd_token)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args, Settings.from_env())
    except KBError as error:
        print(f"kb: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `kb entries | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
