"""Log lines with the request id: a filter that puts the id of the request being handled on every record, and
the logging setup gunicorn uses (api/gunicorn_conf.py): plain text, or one JSON object a line
(KB_LOG_FORMAT=json, python-json-logger), for the app's loggers and gunicorn's error and access logs alike."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# the id of the request this thread is handling; set and reset by the outermost WSGI middleware (api.observe)
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
FORMATS = ("text", "json")  # KB_LOG_FORMAT
TEXT = "%(asctime)s [%(process)d] [%(levelname)s] [%(request_id)s] %(name)s: %(message)s"
DATE = "[%Y-%m-%d %H:%M:%S %z]"  # gunicorn's own
# gunicorn's access line (its atoms): the response's X-Request-Id is the one the client got
ACCESS = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
ACCESS_ID = "{x-request-id}o"


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id``: the request's being handled, else None (``-`` in text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT, DATE)

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


class JsonLines(JsonFormatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, request_id (and exc_info)."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s %(request_id)s %(process)d", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)

    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        return {"time": log_record.pop("time", None), **log_record}  # the time first, as a reader scans


class AccessJsonLines(JsonLines):
    """gunicorn's access line as JSON: its fields from gunicorn's atoms (the record's args) as well."""

    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_record, record, message_dict)
        atoms = record.args if isinstance(record.args, dict) else {}
        if not atoms:
            return
        duration = atoms.get("D")  # microseconds
        log_record.update({
            "method": atoms.get("m"),
            "path": _text(atoms.get("U")),
            "query": atoms.get("q") or None,
            "status": _int(atoms.get("s")),
            "duration_ms": round(duration / 1000, 3) if isinstance(duration, int) else None,
            "bytes": atoms.get("B"),
            "remote": atoms.get("h"),
        })
        if atoms.get(ACCESS_ID):  # the id the client got (the response's header), whatever the record's context
            log_record["request_id"] = atoms.get(ACCESS_ID)


def _text(path: Any) -> Any:
    """A WSGI path as its characters: the server hands on its bytes as Latin-1 (PEP 3333), they are UTF-8."""
    if not isinstance(path, str):
        return path
    try:
        return path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return path


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def gunicorn_logging(log_format: str) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: the app's records (the root logger's) and gunicorn's error log to stderr,
    the access log to stdout, every record with its request id; ``log_format`` is text or json."""
    if log_format not in FORMATS:
        raise ValueError(f"KB_LOG_FORMAT is {log_format!r}; it may be {' or '.join(FORMATS)}")
    text = log_format == "text"
    stream = {"class": "logging.StreamHandler", "filters": ["request_id"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "app": {"()": TextFormatter if text else JsonLines},
            "access": {"format": "%(message)s"} if text else {"()": AccessJsonLines},
        },
        "handlers": {
            "stderr": {**stream, "formatter": "app", "stream": "ext://sys.stderr"},
            "access": {**stream, "formatter": "access", "stream": "ext://sys.stdout"},
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }
