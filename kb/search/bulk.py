"""Writing a whole index at once (a build, a reindex), on every core.

Whoosh's own writer spends most of a build in Python for each posting: each word a ``Token`` passed through
a generator, each posting a tuple put into a pool that is sorted whole at the end (and spilled to disk in runs
past its memory limit), and its multiprocess writer pickles every document into temporary files for its
workers. Here:

- a text's postings are counted in one pass per field (kb.search.analysis: ``word_positions``,
  ``gram_counts``), exactly as the field's analyzer and format would count them;
- a segment's postings are kept in memory by field and term, each term's list in the order of the documents
  (which is the order they are added in), so that only the terms are sorted;
- the texts are split between forked processes, which read them from the parent's memory; each writes a
  segment of its own, and the parent commits them together.

The segments are Whoosh's own, written by its codec (kb.search.codec); only the way postings reach the codec
differs, and tests compare the postings with those of Whoosh's writer. Whoosh's internals used here
(``SegmentWriter``'s pool, ``_finalize_segment``, ``_commit_toc``, ``_finish``) are those of the
whoosh-reloaded version setup.cfg pins.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from kb.search.analysis import _KBTokenizer, gram_counts, word_positions

Fields = dict[str, Any]


class _TermPool:
    """The part of Whoosh's PostingPool that a SegmentWriter uses, in memory: postings by field and term."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, list[tuple[int, float, bytes | None]]]] = {}
        self.fieldnames: set[str] = set()

    def terms(self, fieldname: str) -> dict[bytes, list[tuple[int, float, bytes | None]]]:
        found = self.fields.get(fieldname)
        if found is None:
            found = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        return found

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        self.terms(fieldname).setdefault(tbytes, []).append((docnum, weight, vbytes))

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """(field, term, document, weight, value) sorted as the codec wants them: by field, term, document."""
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for tbytes in sorted(terms):
                for docnum, weight, vbytes in terms[tbytes]:
                    yield fieldname, tbytes, docnum, weight, vbytes

    def cleanup(self) -> None:
        self.fields = {}


def _counter(field) -> Callable[[str], list[tuple[bytes, int, float, bytes]]] | None:
    """A fast count of a field's postings (term, frequency, weight, value), if kb's analyzer makes them."""
    analyzer, form = field.analyzer if hasattr(field, "analyzer") else None, field.format
    if not isinstance(analyzer, _KBTokenizer):
        return None
    boost = form.field_boost
    if analyzer.kind == "grams" and type(form) is Frequency:
        def grams(value: str) -> list[tuple[bytes, int, float, bytes]]:
            return [(gram.encode("utf-8"), n, n * boost, pack_uint(n)) for gram, n in gram_counts(value).items()]
        return grams
    if analyzer.kind == "words" and type(form) is Positions:
        words_file, cache_dir, encode = analyzer.words_file, analyzer.cache_dir, form.encode

        def words(value: str) -> list[tuple[bytes, int, float, bytes]]:
            return [(word.encode("utf-8"), len(at), len(at) * boost, encode(at))
                    for word, at in word_positions(value, words_file, cache_dir).items()]
        return words
    return None


class BulkWriter(SegmentWriter):
    """A SegmentWriter for many new documents: postings in a ``_TermPool``, kb's fields counted fast.

    Its ``add_document`` does what Whoosh's does for the kinds of field kb's schema has (indexed, stored and
    column fields; no term vectors, no spelling fields), with one count of each text's postings."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = _TermPool()  # type: ignore[assignment]
        self._counters = {name: _counter(field) for name, field in self.schema.items()}
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r}: term vectors and spelling fields are not written here")

    def _flush_segment(self):
        """Whoosh's, with the pool's postings handed to the codec a term at a time (kb.search.codec)."""
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        self.fieldwriter.add_terms(self.schema, lengths, self.pool.fields, self.docnum)
        self.fieldwriter.close()
        if lengths is not None:
            lengths.close()

    def add_document(self, **fields):
        self._check_state()
        perdoc, schema, docnum, pool = self.perdocwriter, self.schema, self.docnum, self.pool
        docboost = float(fields.get("_boost", 1.0))
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    boost = float(fields.get(f"_{name}_boost", docboost))
                    counter = self._counters[name]
                    items = counter(value) if counter is not None and isinstance(value, str) else field.index(value)
                    terms = pool.terms(name)
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in items:
                        if scorable:
                            length += freq
                        postings = terms.get(tbytes)
                        if postings is None:
                            terms[tbytes] = [(docnum, weight * boost, vbytes)]
                        else:
                            postings.append((docnum, weight * boost, vbytes))
                perdoc.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdoc.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1


def share(count: int, weights: Sequence[int], procs: int) -> list[range]:
    """``range(count)`` cut into ``procs`` consecutive runs of about equal total weight."""
    total = sum(weights) or 1
    cuts, run, at = [0], 0, 1
    for i, weight in enumerate(weights):
        run += weight
        if at < procs and run >= total * at / procs:
            cuts.append(i + 1)
            at += 1
    cuts += [count] * (procs + 1 - len(cuts))
    return [range(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _child(ix, options: dict, fields_of: Callable[[int], Fields], part: range, conn) -> None:
    """In a forked process: write the documents of ``part`` as a segment of their own, send it back."""
    try:
        writer = BulkWriter(ix, _lk=False, **options)
        for i in part:
            writer.add_document(**fields_of(i))
        segment = writer._finalize_segment()  # (the temporary dir is shared with the parent's writer: it removes it)
        conn.send(("ok", segment))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class Writing:
    """Segments being written by forked processes, one for each run of documents in ``parts`` (read from this
    process's memory through ``fields_of``), until they are committed together or dropped."""

    def __init__(self, ix, options: dict, fields_of: Callable[[int], Fields], parts: Sequence[range]):
        self._children = []
        self._fields_of = fields_of
        context = multiprocessing.get_context("fork")
        try:
            for part in parts:
                receive, send = context.Pipe(duplex=False)
                child = context.Process(target=_child, args=(ix, options, fields_of, part, send), daemon=True)
                child.start()
                send.close()
                self._children.append((child, receive))
        except BaseException:
            self.cancel()
            raise

    def commit(self, writer: BulkWriter, last: Fields, own: range = range(0)) -> None:
        """Make the index hold exactly the documents of every part, then those of ``own`` (written here) and
        ``last``, every earlier segment dropped, in one commit of ``writer`` (which holds the index's lock).
        Raises if a part failed, leaving the index as it was."""
        try:
            for i in own:
                writer.add_document(**self._fields_of(i))
            writer.add_document(**last)
            segments = [writer._finalize_segment()]
            for child, receive in self._children:
                try:
                    status, found = receive.recv()
                except EOFError:
                    status, found = "error", f"a writing process ended with code {child.exitcode} before its segment"
                child.join()
                if status != "ok":
                    raise RuntimeError(f"writing the index failed in another process:\n{found}")
                segments.append(found)
            writer._commit_toc(segments)
            writer._finish()
        except BaseException:
            self.cancel()
            if not writer.is_closed:
                writer.cancel()
            raise

    def cancel(self) -> None:
        """Stop the processes (their segments' files are left for the next commit to clean away)."""
        for child, receive in self._children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()
        self._children = []
