"""Secrets at rest: Fernet tokens under the keys in `settings.FIELD_ENCRYPTION_KEYS`.

The keys are a MultiFernet list, newest first: the first key encrypts, every key decrypts, so a
new key can be put in front, `manage.py rotate_secrets` re-encrypts, and the old key removed.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted with any of the configured keys."""


def _multifernet():
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key "
            "(32 url-safe base64-encoded bytes; make one with Fernet.generate_key())."
        ) from exc


def secret_encrypt(plaintext):
    """The Fernet token (str) for `plaintext`; the empty string stays empty (no secret set)."""
    if not plaintext:
        return ""
    return _multifernet().encrypt(plaintext.encode()).decode()


def _with_keys(operation, token, message):
    if not token:
        return ""
    try:
        return operation(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(message) from exc


def secret_decrypt(token):
    """The plaintext of a stored token; the empty string stays empty."""
    return _with_keys(_multifernet().decrypt, token, (
        "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: was a key removed "
        "before `manage.py rotate_secrets` ran?"
    ))


def secret_reencrypt(token):
    """The same secret encrypted under the newest key (MultiFernet.rotate)."""
    return _with_keys(_multifernet().rotate, token, (
        "A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS: keep the old key "
        "after the new one until rotate_secrets has run."
    ))


def secret_mask(plaintext):
    """A display form that never shows more than the last 4 characters (none for short secrets)."""
    if not plaintext:
        return ""
    if len(plaintext) < 12:
        return "••••"
    return "••••" + plaintext[-4:]
