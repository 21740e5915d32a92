"""Ingest: a report's file (text, PDF or web page) into a ParsedDocument with its passages, entries and warnings."""

from kb.ingest.document import document_id, parse_file, parse_text

__all__ = ["document_id", "parse_file", "parse_text"]
