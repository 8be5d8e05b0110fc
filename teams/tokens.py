"""Invitation tokens: random, single-use; the database keeps only their SHA-256."""

import hashlib
import secrets

# 32 random bytes: guessing one is hopeless, so a hash without salt is enough to make a leaked
# table useless (the tokens themselves are not derivable from it).
TOKEN_BYTES = 32


def invite_token_new():
    """A fresh token and its hash: (token for the email link, hash for the database)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, invite_token_hash(token)


def invite_token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
