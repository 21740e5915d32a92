"""Writing a whole index at once (a build, a reindex), on every core.

Whoosh's own writer spends most of a build in Python for each posting: each word a ``Token`` passed through
a generator, each posting a tuple put into a pool that is sorted whole at the end (and spilled to disk in runs
past its memory limit), and its multiprocess writer pickles every document into temporary files for its
workers. Here:

- kb's two fields are counted for a whole segment at once, exactly as their analyzer and format would count
  them: the words of a batch of texts cut together (kb.search.analysis ``word_sequences``), kept as numbers
  with their positions in arrays, and each text's bigrams as numbers (``gram_codes``); when the segment is
  written, one numpy sort a field puts the postings in order by term and document, and each term's weights
  and values are made in one go (``_Form.postings``). Other fields are counted by Whoosh a text at a time,
  their postings kept by term in the order of the documents;
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
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import count, islice
from typing import Any

import numpy as np
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from kb.search.analysis import TITLE_SEPARATOR, _folded, _KBTokenizer, gram_codes, gram_text, word_sequences

Fields = dict[str, Any]
BATCH_DOCS = 256  # texts cut into words at once (kb.search.analysis keeps the last 1,024 folded)
_GRAM_RUN_CHARS = 2_000_000  # the texts whose grams are numbered at once (about 50 bytes a character)


class _TermPool:
    """The part of Whoosh's PostingPool that a SegmentWriter uses, in memory: each field's terms, and for each
    term a flat list of its postings in document order, ``[docnum, count, docnum, count, ...]``, where a count
    is what the field's ``_Form`` turns into the posting's weight and value when the segment is written."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[Any, list]] = {}
        self.fieldnames: set[str] = set()

    def terms(self, fieldname: str) -> dict[Any, list]:
        found = self.fields.get(fieldname)
        if found is None:
            found = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        return found

    def cleanup(self) -> None:
        self.fields = {}


def _starts(*keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in sorted ``keys`` (a run ends where any of them changes)."""
    changed = np.ones(len(keys[0]), dtype=bool)
    if len(keys[0]):
        changed[1:] = np.logical_or.reduce([key[1:] != key[:-1] for key in keys])
    return np.flatnonzero(changed)


def _by_term(terms: list[bytes], firsts: list[int], docnums: list[int], weights: list[float],
             values: list) -> Iterator[tuple[bytes, list[int], list, list]]:
    """Each term with its postings' documents, weights and values: the postings of ``terms[i]`` start at
    ``firsts[i]`` in the other lists."""
    for term, start, stop in zip(terms, firsts, [*firsts[1:], len(docnums)], strict=True):
        yield term, docnums[start:stop], weights[start:stop], values[start:stop]


class _Form:
    """How a field's postings are counted when a text is added, and written when the segment is: the default,
    any field Whoosh indexes itself, its postings ``(weight, value)`` pairs counted by ``field.index``."""

    def __init__(self, field) -> None:
        self.field, self.scorable = field, field.scorable

    def add(self, terms: dict, docnum: int, value: Any, boost: float) -> int:
        """Count ``value``'s postings into ``terms``; returns the field length (0 if the field is not scored)."""
        length = 0
        for tbytes, freq, weight, vbytes in self.field.index(value):
            length += freq
            postings = terms.get(tbytes)
            if postings is None:
                terms[tbytes] = [docnum, (weight * boost, vbytes)]
            else:
                postings += (docnum, (weight * boost, vbytes))
        return length if self.scorable else 0

    def postings(self, terms: dict, boosts: list[float]) -> Iterator[tuple[bytes, list[int], list, list]]:
        """(term, documents, weights, values) of each term, in the order of their bytes."""
        for term in sorted(terms):
            flat = terms[term]
            counts = flat[1::2]
            yield term, flat[0::2], [w for w, _ in counts], [v for _, v in counts]


class _Grams(_Form):
    """kb's bigram field (Frequency): a posting's count is its frequency, the weight frequency x boosts. The texts
    are kept (folded) until the segment is written, when their grams are counted all at once (``gram_codes``)."""

    def __init__(self, field) -> None:
        super().__init__(field)
        self._texts: list[str] = []
        self._docnums: list[int] = []

    def add(self, terms: dict, docnum: int, value: Any, boost: float) -> int:
        folded = _folded(value)
        self._texts.append(folded)
        self._docnums.append(docnum)
        return len(folded) - folded.count(TITLE_SEPARATOR) if self.scorable else 0

    def _counted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each posting's gram (as ``gram_codes`` numbers it), document and frequency, by gram then document: every
        gram of every text as one number, ``gram << 21 | document`` (grams are below 2 ** 42), sorted once."""
        if self._docnums and self._docnums[-1] >= 1 << 21:
            raise ValueError("a segment of more than 2 ** 21 documents")
        keys, start = [np.zeros(0, np.int64)], 0
        while start < len(self._texts):  # a few million characters at a time (the grams take 8 bytes each)
            stop, size = start, 0
            while stop < len(self._texts) and size < _GRAM_RUN_CHARS:
                size += len(self._texts[stop])
                stop += 1
            grams, per_text = gram_codes(self._texts[start:stop])
            keys.append(grams << 21 | np.repeat(np.array(self._docnums[start:stop], dtype=np.int64), per_text))
            start = stop
        key = np.sort(np.concatenate(keys))
        first = _starts(key)
        counts = np.diff(np.append(first, len(key)))
        key = key[first]
        return key >> 21, key & ((1 << 21) - 1), counts

    def postings(self, terms: dict, boosts: list[float]) -> Iterator[tuple[bytes, list[int], list, list]]:
        # the weight as Whoosh's Frequency makes it, (frequency x field boost) x the document's boost, and its
        # value pack_uint(frequency), a bytes object of its own (an inlined term's values are pickled, and pickle
        # would write one object shared by several postings otherwise)
        code, docnum, count = self._counted()
        self._texts, self._docnums = [], []
        if not len(code):
            return
        weights = (count * self.field.format.field_boost * np.array(boosts)[docnum]).tolist()
        firsts = _starts(code)
        grams = [gram_text(gram).encode("utf-8") for gram in code[firsts].tolist()]
        # each term's counts packed as it is written: packed all at once they would be an object a posting
        for term, docnums, term_weights, counts in _by_term(grams, firsts.tolist(), docnum.tolist(), weights,
                                                             count.tolist()):
            yield term, docnums, term_weights, list(map(pack_uint, counts))


class _Words(_Form):
    """kb's word field (Positions): a posting's count is its list of positions. A batch of texts about to be
    added is cut at once (``prepare``: kb.search.analysis ``word_sequences``); the segment's words are kept as
    numbers (one for each word, in a dict) with their positions, in the order of the documents, until the
    segment is written, when one stable sort by word puts them in order by word, document and position."""

    def __init__(self, field) -> None:
        super().__init__(field)
        self._analyzer = field.analyzer
        self._numbers: dict[str, int] = {}
        self._next = count()  # a new word's number (numbers are unique, not consecutive)
        self._words = array("q")  # each word's number, document after document
        self._positions = array("q")
        self._ready: deque[int] = deque()  # how many words each text prepared has, until it is added
        self._docnums: list[int] = []
        self._sizes: list[int] = []

    def prepare(self, values: list[Any]) -> None:
        """Cut the texts that the next calls of ``add`` add, in their order."""
        words, positions, per_text = word_sequences(values, self._analyzer.words_file, self._analyzer.cache_dir)
        self._words.extend(map(self._numbers.setdefault, words, self._next))
        self._positions.frombytes(positions.astype(np.int64).tobytes())
        self._ready.extend(per_text)

    def add(self, terms: dict, docnum: int, value: Any, boost: float) -> int:
        if not self._ready:
            self.prepare([value])
        size = self._ready.popleft()
        self._docnums.append(docnum)
        self._sizes.append(size)
        return size if self.scorable else 0

    def postings(self, terms: dict, boosts: list[float]) -> Iterator[tuple[bytes, list[int], list, list]]:
        form = self.field.format
        field_boost, encode = form.field_boost, form.encode
        once, alone = pack_uint(1), _OnePosition(encode)
        if not self._words:
            return
        ordered = sorted(self._numbers)  # (str sorts as its UTF-8 bytes do)
        rank = np.zeros(max(self._numbers.values()) + 1, dtype=np.int64)
        rank[np.fromiter(map(self._numbers.__getitem__, ordered), np.int64, len(ordered))] = np.arange(len(ordered))
        word = rank[np.frombuffer(self._words, dtype=np.int64)]
        order = np.argsort(word, kind="stable")  # by word, then (as added) by document and position
        word = word[order]
        docnum = np.repeat(np.array(self._docnums, dtype=np.int64), self._sizes)[order]
        positions = np.frombuffer(self._positions, dtype=np.int64)[order].tolist()
        starts = _starts(word, docnum)
        counts = np.diff(np.append(starts, len(word)))
        word, docnum = word[starts], docnum[starts]
        weights = (counts * field_boost * np.array(boosts)[docnum]).tolist()
        # most words stand once in a text: their values differ only in the one position
        values = [once + alone[positions[at]] if n == 1 else encode(positions[at:at + n])
                  for at, n in zip(starts.tolist(), counts.tolist(), strict=True)]
        firsts = _starts(word)
        names = [ordered[number].encode("utf-8") for number in word[firsts].tolist()]
        self._numbers, self._words, self._positions = {}, array("q"), array("q")
        yield from _by_term(names, firsts.tolist(), docnum.tolist(), weights, values)


class _OnePosition(dict):
    """What Whoosh's Positions format encodes for a single position, after the count: position -> bytes (a new
    bytes object is made from it for each posting, as pickle would write one shared object otherwise)."""

    def __init__(self, encode: Callable[[list[int]], bytes]) -> None:
        super().__init__()
        self._encode = encode

    def __missing__(self, position: int) -> bytes:
        value = self[position] = self._encode([position])[4:]  # (the count is a uint: 4 bytes)
        return value


def _form(field) -> _Form:
    """The way kb's analyzer lets a field's postings be counted in one pass over a text (kb.search.analysis),
    exactly as the field's analyzer and format would count them; else Whoosh's own."""
    analyzer, form = field.analyzer if hasattr(field, "analyzer") else None, field.format
    if isinstance(analyzer, _KBTokenizer):
        if analyzer.kind == "grams" and type(form) is Frequency:
            return _Grams(field)
        if analyzer.kind == "words" and type(form) is Positions:
            return _Words(field)
    return _Form(field)


class BulkWriter(SegmentWriter):
    """A SegmentWriter for many new documents: postings in a ``_TermPool``, kb's fields counted fast.

    Its ``add_document`` does what Whoosh's does for the kinds of field kb's schema has (indexed, stored and
    column fields; no term vectors, no spelling fields), with one count of each text's postings."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = _TermPool()  # type: ignore[assignment]
        self._forms = {name: _form(field) for name, field in self.schema.items()}
        self._boosts: dict[str, list[float]] = {name: [] for name in self.schema.names()}
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r}: term vectors and spelling fields are not written here")

    def _flush_segment(self):
        """Whoosh's, with the pool's postings handed to the codec a term at a time (kb.search.codec)."""
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        fields = [(name, self._forms[name].postings(self.pool.fields[name], self._boosts[name]))
                  for name in sorted(self.pool.fields)]
        self.fieldwriter.add_terms(self.schema, lengths, fields, self.docnum)
        self.fieldwriter.close()
        if lengths is not None:
            lengths.close()

    def add_documents(self, documents: Iterable[Fields]) -> None:
        """``add_document`` for each of ``documents``, their texts cut into words a batch at a time."""
        documents = iter(documents)
        while batch := list(islice(documents, BATCH_DOCS)):
            for name, form in self._forms.items():
                if isinstance(form, _Words):
                    form.prepare([fields[name] for fields in batch if fields.get(name) is not None])
            for fields in batch:
                self.add_document(**fields)

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
                    boosts = self._boosts[name]
                    boosts += [0.0] * (docnum + 1 - len(boosts))  # a document without the field has none
                    boosts[docnum] = boost
                    length = self._forms[name].add(pool.terms(name), docnum, value, boost)
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
        writer.add_documents(map(fields_of, part))
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
            writer.add_documents(map(self._fields_of, own))
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
