"""Bearer tokens: reads are public; writes need an editor's token, token management an admin's."""

from __future__ import annotations

import functools

from flask import g, request
from werkzeug.exceptions import Forbidden, Unauthorized

from api.state import get_kb
from kb import tokens

SCHEME = {"bearerAuth": {"type": "http", "scheme": "bearer",
                         "description": "a token from `kb token create` or POST /tokens"}}
SECURITY = [{"bearerAuth": []}]


def requires(role: str):
    """Only a live token whose role allows ``role`` may call the view; ``g.token`` is that token."""

    def wrap(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise Unauthorized("send Authorization: Bearer <token>")
            token = tokens.verify(get_kb().store, secret.strip())
            if token is None:
                raise Unauthorized("the token is unknown or revoked")
            if not token.allows(role):
                raise Forbidden(f"the token {token.name!r} has the role {token.role}; this needs {role}")
            g.token = token
            return view(*args, **kwargs)

        return checked

    return wrap
