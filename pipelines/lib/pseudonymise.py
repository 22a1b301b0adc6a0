"""Pseudonymisation of child identifiers: one function for every source.

``child_key`` is a keyed HMAC-SHA256 of the LA code and the child's identifier, so the
same child has the same key in SSDA903 returns and case audits, and nobody without the
key can go back from the key to the identifier.
"""

from __future__ import annotations

import hashlib
import hmac
import warnings

DEVELOPMENT_KEY = "csw-development-key--sample-data-only"


class PseudonymKeyMissing(Exception):
    """Real child-level data needs CSW_PSEUDONYM_KEY."""


def child_key(la_code: str, child_id: str, key: str) -> str:
    """The pseudonymised child identifier: 32 hex characters of HMAC-SHA256(key, 'la_code:child_id')."""
    message = f"{la_code.strip()}:{child_id.strip()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def pseudonym_key(configured: str | None) -> str:
    """The key to use: CSW_PSEUDONYM_KEY, else the development key with a warning."""
    if configured:
        return configured
    warnings.warn(
        "CSW_PSEUDONYM_KEY is not set: child identifiers are pseudonymised with the fixed development key. "
        "That is only acceptable for the bundled sample data; set CSW_PSEUDONYM_KEY for real returns.",
        stacklevel=2,
    )
    return DEVELOPMENT_KEY
