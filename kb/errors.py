"""Domain errors: kb raises these; each front end (CLI, HTTP) decides how to show them."""

from __future__ import annotations


class KBError(Exception):
    """Base of every error kb raises on purpose."""


class IngestError(KBError):
    """A source file cannot be ingested; names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # as raised, when it crosses from a parsing process (kb.ingest.parse_files)
        return type(self), (self.path, self.message, self.line)


class WarningsAreErrors(KBError):
    """A strict build refuses documents that gave warnings: each (source file, warning)."""

    def __init__(self, warnings: list):
        self.warnings = warnings
        super().__init__(f"{len(warnings)} warnings, and warnings are errors in a strict build; the KB is unchanged")


class TermNotFound(KBError):
    def __init__(self, term: str, suggestions: list[str] | None = None):
        self.term = term
        self.suggestions = suggestions or []
        super().__init__(f"no entry is named {term!r}")


class NotFound(KBError):
    def __init__(self, kind: str, ident: str, deleted: bool = False):
        self.kind = kind
        self.ident = ident
        self.deleted = deleted
        super().__init__(f"{kind} {ident!r} was deleted" if deleted else f"no {kind} with id {ident!r}")


class KBNotBuilt(KBError):
    def __init__(self, where: str):
        super().__init__(f"no knowledge base at {where}: run `kb build` first")


class NotReady(KBError):
    """A process that cannot answer as the store stands: the store does not answer, or the search index is
    behind it; ``problems`` says which, in words."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class InvalidRequest(KBError):
    """A parameter that kb cannot use, e.g. a malformed cursor; names the parameter."""

    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


class TextTooLong(KBError):
    def __init__(self, length: int, limit: int):
        self.length = length
        self.limit = limit
        super().__init__(f"the text has {length} characters; at most {limit} are linked at once")
