"""API tokens: made once and shown once, stored only as a SHA-256 digest, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from kb.errors import KBError, NotFound
from kb.store import Store, log_change, next_revision, tokens

ROLES = ("editor", "admin")  # an admin may do everything an editor may
TOKEN_BYTES = 32


class TokenNameTaken(KBError):
    """A live token has the name already (a revoked token's name may be given again)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"a token named {name!r} exists already")


class InvalidRole(KBError):
    def __init__(self, role: str):
        super().__init__(f"role must be one of {', '.join(ROLES)}, not {role!r}")


@dataclass(frozen=True)
class Token:
    name: str
    role: str
    created: str
    revoked: str | None = None

    def allows(self, role: str) -> bool:
        return self.revoked is None and (self.role == role or self.role == "admin")


def _digest(secret: str) -> str:
    # the secret is 256 random bits, so one round of SHA-256 is enough (no password stretching needed)
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def create(store: Store, name: str, role: str) -> str:
    """A new token for ``name``; the secret is returned here and never again. A revoked token's name may be
    given again (to a new secret); a live one's may not."""
    if role not in ROLES:
        raise InvalidRole(role)
    secret = "kb_" + secrets.token_urlsafe(TOKEN_BYTES)
    store.create()
    values = {"role": role, "digest": _digest(secret), "created": _now(), "revoked": None}
    try:
        with store.engine.begin() as conn:
            revision = next_revision(conn)
            held = conn.execute(select(tokens).where(tokens.c.name == name)).first()
            if held is not None and held.revoked is None:
                raise TokenNameTaken(name)
            if held is None:
                conn.execute(insert(tokens).values(name=name, **values))
            else:
                conn.execute(update(tokens).where(tokens.c.name == name).values(**values))
            log_change(conn, revision, "token")
    except IntegrityError as error:
        raise TokenNameTaken(name) from error
    return secret


def listing(store: Store) -> list[Token]:
    store.create()
    with store.engine.connect() as conn:
        return [Token(r.name, r.role, r.created, r.revoked)
                for r in conn.execute(select(tokens).order_by(tokens.c.created, tokens.c.name))]


class TokenRevoked(KBError):
    def __init__(self, name: str, when: str):
        self.name = name
        super().__init__(f"the token {name!r} was revoked already, at {when}")


def revoke(store: Store, name: str) -> Token:
    """Revoke a live token at once; an unknown name and a token revoked already each say so."""
    with store.engine.begin() as conn:
        revision = next_revision(conn)
        row = conn.execute(select(tokens).where(tokens.c.name == name)).first()
        if row is None:
            raise NotFound("token", name)
        if row.revoked is not None:
            raise TokenRevoked(name, row.revoked)
        conn.execute(update(tokens).where(tokens.c.name == name).values(revoked=_now()))
        row = conn.execute(select(tokens).where(tokens.c.name == name)).one()
        log_change(conn, revision, "token")
    return Token(row.name, row.role, row.created, row.revoked)


def verify(store: Store, secret: str) -> Token | None:
    """The live token this secret belongs to, or None."""
    digest = _digest(secret)
    with store.engine.connect() as conn:
        row = conn.execute(select(tokens).where(tokens.c.digest == digest)).first()
    if row is None or not hmac.compare_digest(row.digest, digest) or row.revoked is not None:
        return None
    return Token(row.name, row.role, row.created, row.revoked)


def fingerprint(secret: str) -> str:
    """What a signed-in browser keeps instead of the secret: it names one issue of a token (a name given again
    gets a new one) and cannot be turned back into the secret or its digest."""
    return _fingerprint(_digest(secret))


def _fingerprint(digest: str) -> str:
    return hashlib.sha256(b"session:" + digest.encode()).hexdigest()


def signed_in(store: Store, name: str, print_: str) -> Token | None:
    """The live token ``name`` if ``print_`` is its fingerprint (see fingerprint), else None: a revoked token
    signs its browsers out at once."""
    with store.engine.connect() as conn:
        row = conn.execute(select(tokens).where(tokens.c.name == name)).first()
    if row is None or row.revoked is not None:
        return None
    if not hmac.compare_digest(_fingerprint(row.digest), print_):
        return None
    return Token(row.name, row.role, row.created, row.revoked)
