"""Editors sign in to the pages with their API token; the browser then holds a signed session cookie.

The cookie is Secure, HttpOnly and SameSite=Strict, and keeps the token's name and fingerprint
(kb.tokens.fingerprint), never the secret. Every request checks it against the store, so a revoked token
signs its browsers out at once. Every form carries a CSRF token (Flask-WTF, kept in the same session).
"""

from __future__ import annotations

import functools
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, redirect, request, session, url_for

from api.state import get_kb
from kb import tokens
from kb.config import Settings
from kb.tokens import Token

KEY_FILE = "session.key"
SIGNED_IN_FOR = timedelta(hours=12)


def init(app: Flask, settings: Settings) -> None:
    app.secret_key = settings.secret_key or _kept_key(settings.data_dir / KEY_FILE)
    app.config.update(SESSION_COOKIE_NAME="kb_session", SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", PERMANENT_SESSION_LIFETIME=SIGNED_IN_FOR,
                      WTF_CSRF_TIME_LIMIT=int(SIGNED_IN_FOR.total_seconds()))


def _kept_key(path: Path) -> str:
    """One key for every worker and restart: made once, by whichever process comes first, readable by its
    owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)  # a previous process died between create and write
    with os.fdopen(fd, "w") as out:
        key = secrets.token_hex(32)
        out.write(key)
    return key


def sign_in(secret: str) -> Token | None:
    token = tokens.verify(get_kb().store, secret)
    if token is None or not token.allows("editor"):
        return None
    session.clear()
    session.permanent = True
    session["editor"] = {"name": token.name, "print": tokens.fingerprint(secret)}
    return token


def sign_out() -> None:
    session.clear()


def editor() -> Token | None:
    """The token the browser signed in with, if it is still live (checked once per request)."""
    if "editor" not in g:
        held = session.get("editor")
        found = None
        if isinstance(held, dict) and isinstance(held.get("name"), str) and isinstance(held.get("print"), str):
            found = tokens.signed_in(get_kb().store, held["name"], held["print"])
            if found is None:
                session.pop("editor", None)
        g.editor = found
    return g.editor


def editors_only(view):
    """A page for signed-in editors: anyone else is sent to sign in, and back here after."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if editor() is None:
            back = request.full_path if request.method == "GET" else request.path
            return redirect(url_for("pages.sign_in", next=back.rstrip("?")))
        return view(*args, **kwargs)

    return checked


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.home")
