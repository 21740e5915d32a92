"""Ingest: a report's file (text, PDF or web page) into a ParsedDocument with its passages, entries and warnings."""

from kb.ingest.document import document_id, parse_file, parse_files, parse_text
from kb.ingest.source import SOURCE_SUFFIXES

__all__ = ["SOURCE_SUFFIXES", "document_id", "parse_file", "parse_files", "parse_text"]
