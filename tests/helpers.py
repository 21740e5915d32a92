"""Helpers the tests share: the one error shape, a JSON answer, a free port, where a text quotes a name."""

from __future__ import annotations

import json
import socket
from http import HTTPStatus

from api.schemas import ProblemSchema

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_problem(response, status: int) -> dict:
    """The one error shape (RFC 9457): problem+json with type, title, status and detail, nothing leaked."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:2000]
    assert response.mimetype == PROBLEM
    body = json.loads(text)
    assert PROBLEM_KEYS <= set(body) <= set(ProblemSchema().fields)
    assert isinstance(body["type"], str) and body["type"]
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in text and 'File "' not in text and "\\u" not in text
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


QUOTES = {"“": "”", "‘": "’", "《": "》", "「": "」"}


def quoted_names(text: str) -> list[tuple[int, int]]:
    """Where the text of each short quoted name (no sentence or clause mark inside) starts and ends."""
    found = []
    for start, ch in enumerate(text):
        if ch in QUOTES:
            limit = 30 if ch == "《" else 20
            end = next((i for i in range(start + 1, min(len(text), start + limit + 2))
                        if text[i] in (QUOTES[ch], ch) or text[i] in "。；！？，："), None)
            if end is not None and end > start + 1 and text[end] == QUOTES[ch]:
                found.append((start + 1, end))
    return found


def crosses_a_quoted_name(text: str, start: int, end: int) -> bool:
    return any(a < start < b < end or start < a < end < b for a, b in quoted_names(text))
