"""marshmallow schemas at the HTTP edge: query arguments in, answers out (kb itself speaks dicts and dataclasses)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from kb import rules
from kb.exchange import EXPORT_FORMATS, IMPORT_FORMATS
from kb.feed import CHANGES
from kb.knowledge import CURSOR_PATTERN, MAX_LIMIT, SEARCH_TYPES
from kb.linking import CHOSEN_BY
from kb.paging import KEYSET_CURSOR_PATTERN
from kb.search import HIGHLIGHTS_IN
from kb.views import SOURCES


class _Args(Schema):
    class Meta:
        unknown = EXCLUDE  # a cache-buster or a client's extra parameter is not an error


def _limit(default: int) -> fields.Integer:
    return fields.Integer(load_default=default, validate=validate.Range(1, MAX_LIMIT),
                          metadata={"description": f"items per page, 1-{MAX_LIMIT}"})


def _cursor(pattern: str = CURSOR_PATTERN, why: str = "") -> fields.String:
    """A page's cursor (kb.paging): the ``next_cursor`` of the previous page, of a list paged by position, or by
    keyset (``KEYSET_CURSOR_PATTERN``; ``why`` says how its pages hold across writes)."""
    return fields.String(load_default=None, validate=validate.Regexp(f"^{pattern}$"), metadata={
        "description": "the `next_cursor` of the previous page" + (f" ({why})" if why else "")})


# -- errors ---------------------------------------------------------------------------------------
class ProblemSchema(Schema):
    """RFC 9457 problem details: every error, in one shape."""

    type = fields.String(required=True, metadata={"description": "a URI reference naming the kind of problem"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "validation messages by parameter or field"})
    suggestions = fields.List(fields.String(), metadata={"description": "labels the client may have meant"})
    entries = fields.List(fields.String(), metadata={"description": "409: the entries that a label names already"})
    line = fields.Integer(allow_none=True, metadata={"description": "an import: the line of the file the problem "
                                                                    "is at, where known"})
    report = fields.Dict(metadata={"description": "an import: what the file holds, row by row (as its dry run)"})
    written = fields.List(fields.String(), metadata={"description": "an interrupted import: the entries it wrote"})


# -- terms and entries ----------------------------------------------------------------------------
class DocumentRefSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    date = fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD the report was given"})


class ComponentSchema(Schema):
    label = fields.String(required=True)
    meaning = fields.String(required=True)


class EntryRefSchema(Schema):
    id = fields.String(required=True)
    headword = fields.String(required=True)


class SpanField(fields.List):
    def __init__(self, **kwargs):
        super().__init__(fields.List(fields.Integer(), validate=validate.Length(equal=2)),
                         metadata={"description": "[start, end) code-point offsets into the text"}, **kwargs)


_AMBIGUOUS = {"description": "the words name entries of several reports, none of them the passage's own: "
                              "this is one of the senses they may have"}


class EntryPassageSchema(Schema):
    id = fields.String(required=True)
    document = fields.String(required=True, metadata={"description": "the report the passage is in"})
    text = fields.String(required=True)
    section = fields.List(fields.String(), required=True)
    cited = fields.Boolean(required=True, metadata={"description": "the passage cites the entry with a marker"})
    ambiguous = fields.Boolean(required=True, metadata=_AMBIGUOUS)
    uses = SpanField(required=True)


class Dumped(fields.List):
    """A list of the dicts kb.views made as ``schema`` would dump them (its keys, JSON's types), passed through as
    they are: marshmallow's dump a field at a time was most of a lookup's cost with its 50 passages. The OpenAPI
    document still describes each by ``schema``, and tests check that kb.views' dicts are what it would dump."""

    def __init__(self, schema: type[Schema], **kwargs):
        super().__init__(fields.Nested(schema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else list(value)


class EntrySchema(Schema):
    id = fields.String(required=True)
    number = fields.Integer(allow_none=True, metadata={"description": "its number in the glossary"})
    headword = fields.String(required=True)
    definition = fields.String(required=True)
    full_name = fields.String(allow_none=True)
    page = fields.Integer(allow_none=True, metadata={
        "description": "the page of the printed report that the glossary's note names (“(见第2页)”)"})
    labels = fields.List(fields.String(), required=True)
    components = fields.List(fields.Nested(ComponentSchema), required=True)
    related = fields.List(fields.Nested(EntryRefSchema), required=True)
    document = fields.Nested(DocumentRefSchema, allow_none=True)
    passages = Dumped(EntryPassageSchema, metadata={
        "description": "its own report's first (cited first, then mentions), then other reports' mentions, the "
                       "newest report first; each report's in document order; the first 50"})
    passages_total = fields.Integer(metadata={"description": "how many passages use it"})
    passages_next_cursor = fields.String(allow_none=True, metadata={
        "description": "the `cursor` of /entries/{id}/passages for the passages after those listed"})


class MatchSchema(Schema):
    label = fields.String(required=True)
    by = fields.String(required=True, validate=validate.OneOf(
        ["headword", "core", "full_name", "alias", "component", "normalized"]))


class TermEntrySchema(EntrySchema):
    match = fields.Nested(MatchSchema, required=True, metadata={"description": "how the term names this entry"})


class TermArgs(_Args):
    document = fields.String(load_default=None, validate=validate.Length(min=1), metadata={
        "description": "only the entries of this report (and editors', which belong to none)"})


class TermSchema(Schema):
    query = fields.String(required=True)
    match = fields.Nested(MatchSchema, required=True, metadata={"description": "the first entry's match"})
    entries = fields.List(fields.Nested(TermEntrySchema), required=True, metadata={"description": "best first"})


class TermListArgs(_Args):
    prefix = fields.String(load_default=None, validate=validate.Length(max=100),
                           metadata={"description": "labels starting with this (any spelling), or whose pinyin "
                                                    "starts with it, in full or as initials (baiqianwan, bqwgc; "
                                                    "with q absent); 422 if it has no letter, digit or character "
                                                    "a label could hold"})
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "labels containing this (any spelling); 422 as for prefix"})
    document = fields.String(load_default=None)
    limit = _limit(20)
    cursor = _cursor()


class NamedEntrySchema(EntryRefSchema):
    kind = fields.String(required=True, metadata={"description": "how the label names it: headword, core, ..."})


class TermItemSchema(Schema):
    label = fields.String(required=True)
    used = fields.Integer(required=True, metadata={"description": "passages that use the entries it names"})
    match = fields.String(required=True, validate=validate.OneOf(["label", "pinyin", "initials"]), metadata={
        "description": "how the prefix found it: the label's own text, its pinyin (baiqianwan), or the initials "
                       "of its pinyin (bqwgc); every reading of a polyphone counts"})
    entries = fields.List(fields.Nested(NamedEntrySchema), required=True)


class TermListSchema(Schema):
    terms = fields.List(fields.Nested(TermItemSchema), required=True)
    total = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# -- documents and passages -----------------------------------------------------------------------
class DocumentEntrySchema(EntryRefSchema):
    number = fields.Integer(allow_none=True)


class DocumentWarningSchema(Schema):
    line = fields.Integer(allow_none=True, required=True, metadata={"description": "the line of the source file"})
    message = fields.String(required=True, metadata={"description": "what kb found odd and what it did about it"})


class DocumentSchema(DocumentRefSchema):
    passages = fields.Integer(required=True, metadata={"description": "how many passages it has"})
    warnings = fields.List(fields.Nested(DocumentWarningSchema), required=True, metadata={
        "description": "what the build found odd in the report (a gap in the glossary's numbering, a marker "
                       "citing no entry, …) and read as well as it could"})
    entries = fields.List(fields.Nested(DocumentEntrySchema), required=True)


class DocumentListSchema(Schema):
    documents = fields.List(fields.Nested(DocumentSchema), required=True)


class PassageSchema(Schema):
    id = fields.String(required=True)
    document = fields.String(required=True)
    order = fields.Integer(required=True)
    section = fields.List(fields.String(), required=True)
    text = fields.String(required=True)


class PassageEntrySchema(EntryRefSchema):
    cited = fields.Boolean(required=True)
    ambiguous = fields.Boolean(required=True, metadata=_AMBIGUOUS)
    uses = SpanField(required=True)


class PassageDetailSchema(PassageSchema):
    entries = fields.List(fields.Nested(PassageEntrySchema), required=True,
                          metadata={"description": "entries the passage cites or mentions"})


class PageArgs(_Args):
    limit = _limit(20)
    cursor = _cursor()


class PassagePageSchema(Schema):
    passages = fields.List(fields.Nested(PassageSchema), required=True)
    total = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class EntryPassageArgs(PageArgs):
    document = fields.String(load_default=None, validate=validate.Length(min=1),
                             metadata={"description": "only this report's passages"})


class EntryPassagePageSchema(Schema):
    passages = Dumped(EntryPassageSchema, required=True,
                           metadata={"description": "in the order of the entry's view"})
    total = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class EntryListArgs(_Args):
    document = fields.String(load_default=None, validate=validate.Length(min=1),
                             metadata={"description": "only this report's entries"})
    source = fields.String(load_default=None, validate=validate.OneOf(SOURCES), metadata={
        "description": "corpus: from a report's glossary (edited or not); editor: made by an editor"})
    changed_since = fields.Integer(load_default=None, validate=validate.Range(min=0), metadata={
        "description": "only the entries changed after this revision (a build that printed them otherwise, an "
                       "editor's write), oldest change first, with those deleted since (`deleted`); pass the "
                       "answer's `revision` next time to follow the KB"})
    limit = _limit(20)
    cursor = _cursor(KEYSET_CURSOR_PATTERN, "a write between two pages neither repeats nor skips an entry")


class ListedEntrySchema(Schema):
    id = fields.String(required=True)
    deleted = fields.Boolean(required=True, metadata={"description": "deleted by an editor or no longer in its "
                                                                     "report (then only `id` and `revision` say more)"})
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    document = fields.String(allow_none=True, required=True)
    number = fields.Integer(allow_none=True, required=True)
    headword = fields.String(allow_none=True, required=True)
    version = fields.Integer(required=True, metadata={"description": "editors' writes to it (0: as printed)"})
    revision = fields.Integer(required=True, metadata={"description": "the KB revision that last changed it"})


class EntryListSchema(Schema):
    revision = fields.Integer(required=True, metadata={"description": "the KB's revision this page was read at"})
    entries = fields.List(fields.Nested(ListedEntrySchema), required=True)
    total = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# -- the change feed ------------------------------------------------------------------------------
class ChangeArgs(_Args):
    since = fields.Integer(load_default=0, validate=validate.Range(min=0), metadata={
        "description": "the `revision` of the last answer the client read to its end (0: everything, for a first "
                       "copy); the entries changed after it are listed"})
    limit = _limit(50)
    cursor = _cursor(KEYSET_CURSOR_PATTERN, "a change made between two pages moves its entry to the end, where a "
                                            "later page lists it")


class ChangeSchema(Schema):
    id = fields.String(required=True)
    change = fields.String(required=True, validate=validate.OneOf(CHANGES), metadata={
        "description": "what happened after `since`: created (not live then: new, restored, or printed again by a "
                       "build), modified (live then, changed since: an edit, or a build that printed it "
                       "otherwise), deleted (not live now: deleted, or no longer in its report)"})
    revision = fields.Integer(required=True, metadata={"description": "the KB revision of its last change"})
    headword = fields.String(allow_none=True, required=True, metadata={
        "description": "a deleted entry's as it was last live (null where a build before kb recorded it)"})
    document = fields.String(allow_none=True, required=True, metadata={"description": "null: an editor's entry"})
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    version = fields.Integer(required=True, metadata={"description": "editors' writes to it (0: as printed)"})
    href = fields.String(allow_none=True, required=True, metadata={
        "description": "the entry (`/entries/{id}`, relative to this service); null when deleted"})


class ChangeListSchema(Schema):
    since = fields.Integer(required=True)
    revision = fields.Integer(required=True, metadata={
        "description": "the KB revision this page is complete up to: pass it as `since` next time (that of the "
                       "last page, when following `next_cursor`)"})
    changes = fields.List(fields.Nested(ChangeSchema), required=True, metadata={
        "description": "oldest change first (revision, then id)"})
    total = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# -- search ---------------------------------------------------------------------------------------
class SearchArgs(_Args):
    q = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": 'words (all required, any order; unspaced words are found as typed first, then apart), '
                       '"quoted phrases" (as typed only), acronyms such as 3%2B1%2BN'})
    document = fields.String(load_default=None)
    type = fields.String(load_default=None, validate=validate.OneOf(SEARCH_TYPES))
    limit = _limit(10)
    cursor = _cursor(KEYSET_CURSOR_PATTERN, "a place in the ranking: a write between two pages neither repeats "
                                            "nor skips a hit")


class SearchHitSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(SEARCH_TYPES))
    id = fields.String(required=True)
    document = fields.String(allow_none=True, required=True)
    score = fields.Float(required=True, metadata={
        "description": "hits come best first; the integer part says how the hit matches: 3 its text holds the "
                       "query as typed, 2 every word of it, 1 and 0 the same with the help of its section headings"})
    headword = fields.String(metadata={"description": "entries only"})
    section = fields.List(fields.String(), metadata={"description": "passages only"})
    snippet = fields.String(required=True, metadata={"description": "a window of the text, or of the heading or "
                                                                    "label that holds the query (highlights_in)"})
    offset = fields.Integer(required=True, metadata={"description": "where the snippet starts in that string"})
    highlights = SpanField(required=True)
    highlights_in = fields.String(required=True, validate=validate.OneOf(HIGHLIGHTS_IN), metadata={
        "description": "where the snippet and its highlights (never none) are from: text; heading, when the "
                       "text holds nothing of the query and one of section does (the deepest such); label, an "
                       "entry's label that its text does not print"})


class SearchResultSchema(Schema):
    query = fields.String(required=True)
    searched = fields.String(metadata={
        "description": "when the query as typed finds nothing and parts of it spell labels in pinyin (full or "
                       "initials): the query searched instead, those parts as the labels (bqwgc -> 百千万工程)"})
    total = fields.Integer(required=True)
    hits = fields.List(fields.Nested(SearchHitSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    revision = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    entries = fields.Integer(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True, metadata={"description": "`ready`"})
    revision = fields.Integer(required=True, metadata={"description": "the revision this process answers from"})
    store_revision = fields.Integer(required=True, metadata={"description": "the store's revision now"})
    index_revision = fields.Integer(required=True, metadata={"description": "the revision the search index holds"})


# -- editors --------------------------------------------------------------------------------------
class StrictBoolean(fields.Boolean):
    """true or false, as JSON has them: not 0, 1, "yes" or "off" (the documented type is boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictQueryBoolean(fields.Boolean):
    """true or false (also 1 or 0) in a query string; not yes, on or anything else."""

    truthy = {"true", "1"}
    falsy = {"false", "0"}


# no control characters (C0, DEL, C1): a pattern, so the OpenAPI document says so too
class _NoControl(validate.Regexp):
    """The pattern is documented in OpenAPI; the check is a full match (Python's ``$`` would let a final
    newline through)."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        _whole_unicode(value)  # not in the pattern: OpenAPI tools cannot use a surrogate range
        return value


NO_CONTROL = _NoControl(rules.NO_CONTROL_PATTERN, error=rules.NO_CONTROL_MESSAGE)


def _whole_unicode(value: str) -> None:
    """A lone surrogate (half an emoji, as JavaScript may send it) is not text: 422, not a server error."""
    if rules.SURROGATE.search(value):
        raise ValidationError(rules.SURROGATE_MESSAGE)


def _text(bounds: tuple[int, int], **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(*bounds), NO_CONTROL], **kwargs)


# the limits are kb's (kb/rules.py), which an import (kb import, POST /import) applies as well
class ComponentInSchema(Schema):
    label = _text(rules.COMPONENT_LABEL, required=True)
    meaning = _text(rules.COMPONENT_MEANING, required=True)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError(rules.BLANK_MESSAGE)


class EntryPatchSchema(Schema):
    """Fields of an entry an editor may set; unknown fields are refused (422 naming them)."""

    headword = fields.String(validate=[validate.Length(*rules.HEADWORD), NO_CONTROL, _not_blank])
    definition = _text(rules.DEFINITION)
    labels = fields.List(_text(rules.LABEL), validate=validate.Length(max=rules.LABELS_MAX), metadata={
        "description": "extra labels (aliases); the headword and full name are labels anyway"})
    full_name = _text(rules.FULL_NAME, allow_none=True)
    components = fields.List(fields.Nested(ComponentInSchema), validate=validate.Length(max=rules.COMPONENTS_MAX),
                             allow_none=True)
    related = fields.List(fields.String(validate=validate.Length(*rules.RELATED_ID)),
                          validate=validate.Length(max=rules.RELATED_MAX))
    note = _text(rules.NOTE, load_default=None, metadata={"description": "why: kept in the entry's history"})
    allow_shared_labels = StrictBoolean(load_default=False, metadata={
        "description": "a label may also name other entries (it has several senses); otherwise 409"})


class EntryCreateSchema(EntryPatchSchema):
    headword = fields.String(required=True, validate=[validate.Length(*rules.HEADWORD), NO_CONTROL, _not_blank])
    definition = _text(rules.DEFINITION, required=True)


class RevertSchema(Schema):
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(0, 1_000_000), metadata={
        "description": "the entry's revision to go back to (see its history; 0: as printed)"})
    note = _text(rules.NOTE, load_default=None, metadata={"description": "why: kept in the entry's history"})
    allow_shared_labels = StrictBoolean(load_default=False, metadata={
        "description": "a label the old revision had may name other entries now; otherwise 409"})


class RestoreSchema(Schema):
    note = _text(rules.NOTE, load_default=None, metadata={"description": "why: kept in the entry's history"})
    allow_shared_labels = StrictBoolean(load_default=False)


class EntryAtArgs(_Args):
    revision = fields.Integer(load_default=None, validate=validate.Range(0, 1_000_000),
                              metadata={"description": "the entry as it was after this revision (0: as printed)"})


class EntryRevisionSchema(EntrySchema):
    revision = fields.Integer()
    deleted = fields.Boolean()


class RevisionSchema(Schema):
    revision = fields.Integer(required=True)
    kb_revision = fields.Integer(required=True)
    author = fields.String(required=True)
    time = fields.String(required=True)
    note = fields.String(allow_none=True)
    action = fields.String(required=True, validate=validate.OneOf(
        ["import", "create", "update", "delete", "revert", "restore"]))
    changes = fields.Dict(required=True, metadata={"description": "field -> {from, to}"})


class HistorySchema(Schema):
    id = fields.String(required=True)
    revisions = fields.List(fields.Nested(RevisionSchema), required=True)


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(1, 100), validate.Regexp(r"^[\w.@-]+$")])
    role = fields.String(required=True, validate=validate.OneOf(["editor", "admin"]))


class TokenSchema(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True)
    created = fields.String(required=True)
    revoked = fields.String(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(required=True, metadata={"description": "shown once; only its digest is kept"})


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema), required=True)


# -- linking --------------------------------------------------------------------------------------
LINK_FORMATS = ("json", "html", "markdown")


class LinkRequestSchema(Schema):
    """Either `text` or `texts` (a batch)."""

    text = fields.String(validate=_whole_unicode,
                         metadata={"description": "up to 100,000 characters (413 beyond)", "maxLength": 100_000})
    texts = fields.List(fields.String(validate=_whole_unicode, metadata={"maxLength": 100_000}),
                        validate=validate.Length(1, 100),
                        metadata={"description": "a batch: one result per text, in order"})
    format = fields.String(load_default="json", validate=validate.OneOf(LINK_FORMATS),
                           metadata={"description": "html and markdown also return the text rendered with links"})
    first_only = StrictBoolean(load_default=False, metadata={"description": "link each entry's first use only"})
    documents = fields.List(fields.String(validate=validate.Length(1, 200)), validate=validate.Length(max=50),
                            load_default=None, metadata={"description": "only entries of these documents "
                                                         "(and editors' entries, which have none)"})
    prefer = fields.String(load_default=None, validate=validate.Length(1, 200), metadata={
        "description": "where words name entries of several documents, link this document's"})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if ("text" in data) == ("texts" in data):
            raise ValidationError("send either text or texts", "_schema")


class LinkCandidateSchema(Schema):
    id = fields.String(required=True)
    headword = fields.String(required=True)
    document = fields.String(allow_none=True, required=True, metadata={"description": "null: an editor's entry"})


class LinkSchema(Schema):
    start = fields.Integer(required=True, metadata={"description": "code-point offset into the text as sent"})
    end = fields.Integer(required=True)
    start_utf16 = fields.Integer(required=True, metadata={"description": "the same in UTF-16 code units"})
    end_utf16 = fields.Integer(required=True)
    surface = fields.String(required=True, metadata={"description": "text[start:end]"})
    id = fields.String(required=True)
    headword = fields.String(required=True)
    summary = fields.String(required=True, metadata={"description": "the definition, cut at a sentence"})
    url = fields.String(required=True, metadata={
        "description": "the absolute /terms/... lookup (KB_PUBLIC_URL, else the request's host)"})
    candidates = fields.List(fields.Nested(LinkCandidateSchema), required=True, metadata={
        "description": "every entry these words may name, the chosen one first"})
    ambiguous = fields.Boolean(required=True, metadata={"description": "the candidates belong to several documents"})
    chosen_by = fields.String(required=True, validate=validate.OneOf(CHOSEN_BY), metadata={
        "description": "only: the one candidate; prefer: of the `prefer` document; context: of the document this "
                       "text links most; rank: by label kind, then the newest document"})


class LinkResultSchema(Schema):
    links = fields.List(fields.Nested(LinkSchema), required=True)
    html = fields.String(metadata={"description": "format=html: the text escaped, links as <a>"})
    markdown = fields.String(metadata={"description": "format=markdown: the text escaped, links as [..](..)"})


class LinkAnswerSchema(LinkResultSchema):
    links = fields.List(fields.Nested(LinkSchema), metadata={"description": "for `text`"})
    results = fields.List(fields.Nested(LinkResultSchema), metadata={"description": "for `texts`"})


# -- exports and imports --------------------------------------------------------------------------
class ExportArgs(_Args):
    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS), metadata={
        "description": "skos-turtle or skos-jsonld (SKOS: a concept scheme per document), tbx (TBX-Basic, "
                       "ISO 30042:2019), csv (UTF-8 with a BOM, items joined with |), jsonl (the entry shape, a "
                       "line each)"})
    document = fields.String(load_default=None, validate=validate.Length(min=1), metadata={
        "description": "only this document's entries"})


class ImportArgs(_Args):
    format = fields.String(load_default=None, validate=validate.OneOf(IMPORT_FORMATS), metadata={
        "description": "the file's format; else its Content-Type says (text/csv, application/x-ndjson, "
                       "application/x-tbx+xml)"})
    apply = StrictQueryBoolean(load_default=False, metadata={
        "description": "write it (one revision an entry, by the token's name); else a dry run that writes nothing"})
    allow_shared_labels = StrictQueryBoolean(load_default=False, metadata={
        "description": "a label the file gives may name other entries too (several senses); otherwise applying "
                       "a file with such labels is refused (409)"})
    note = _text(rules.NOTE, load_default=None, metadata={"description": "kept in each written entry's history"})


class ImportedEntrySchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "where the row starts in the file"})
    id = fields.String(allow_none=True, required=True, metadata={"description": "null: the next editor:N"})
    document = fields.String(allow_none=True, required=True)
    headword = fields.String(required=True)
    matched_by = fields.String(allow_none=True, required=True, validate=validate.OneOf(["id", "headword"]),
                               metadata={"description": "how the row found the entry (null: a new one)"})
    changes = fields.Dict(metadata={"description": "changed entries: field -> {from, to}"})


class ImportConflictSchema(Schema):
    line = fields.Integer(required=True)
    id = fields.String(allow_none=True, required=True)
    headword = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "a label the row adds"})
    entries = fields.List(fields.String(), required=True, metadata={"description": "what it names already"})


class ImportInvalidSchema(Schema):
    line = fields.Integer(required=True)
    id = fields.String(allow_none=True, required=True)
    detail = fields.String(required=True, metadata={"description": "what is wrong, in words"})
    errors = fields.Dict(required=True, metadata={"description": "messages by field (labels.3: its 4th label)"})


class ImportReportSchema(Schema):
    format = fields.String(required=True, validate=validate.OneOf(IMPORT_FORMATS))
    applied = fields.Boolean(required=True, metadata={"description": "false: a dry run, nothing was written"})
    revision = fields.Integer(allow_none=True, required=True, metadata={"description": "the KB's revision after it"})
    rows = fields.Integer(required=True, metadata={"description": "entries the file holds"})
    new = fields.List(fields.Nested(ImportedEntrySchema), required=True)
    changed = fields.List(fields.Nested(ImportedEntrySchema), required=True)
    unchanged = fields.List(fields.Nested(ImportedEntrySchema), required=True)
    conflicts = fields.List(fields.Nested(ImportConflictSchema), required=True, metadata={
        "description": "labels the rows add that name other entries (applying needs allow_shared_labels)"})
    invalid = fields.List(fields.Nested(ImportInvalidSchema), required=True, metadata={
        "description": "rows that cannot be imported (applying writes nothing while there are any)"})
    written = fields.List(fields.String(), required=True, metadata={"description": "the entries written"})
