"""Pseudonymisation of child identifiers: one function for every source.

``child_key`` is a keyed HMAC-SHA256 of the LA code and the child's identifier, so the
same child has the same key in SSDA903 returns and case audits, and nobody without the
key can go back from the key to the identifier.

The key comes only from the environment (``CSW_PSEUDONYM_KEY``). Without it, or with the
development key itself, child-level files are accepted only when every one of them is a
file of the bundled sample (listed with its SHA-256 in the landing folder's
``.sample-manifest``): real returns are refused rather than pseudonymised with a key
that is published in this repository.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

DEVELOPMENT_KEY = "csw-development-key--sample-data-only"
SAMPLE_MANIFEST = ".sample-manifest"
CHILD_LEVEL_SOURCES = ("ssda903", "case_audits")


class PseudonymKeyMissing(Exception):
    """Real child-level data needs CSW_PSEUDONYM_KEY."""


def child_key(la_code: str, child_id: str, key: str) -> str:
    """The pseudonymised child identifier: 32 hex characters of HMAC-SHA256(key, 'la_code:child_id')."""
    message = f"{la_code.strip()}:{child_id.strip()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sample_hashes(raw_dir: Path) -> set[str]:
    """SHA-256 of the bundled sample's child-level files, from the landing folder's manifest."""
    manifest = raw_dir / SAMPLE_MANIFEST
    if not manifest.exists():
        return set()
    return {line.split()[0] for line in manifest.read_text().splitlines() if line.strip()}


def write_sample_manifest(raw_dir: Path) -> Path:
    """List the child-level sample files generated into ``raw_dir`` (``sha256  relative/path`` lines)."""
    from pipelines.lib.ingest.load import discover_files

    lines = [
        f"{_sha256(p)}  {p.relative_to(raw_dir).as_posix()}"
        for source in CHILD_LEVEL_SOURCES
        for p in discover_files(raw_dir / source)
    ]
    manifest = raw_dir / SAMPLE_MANIFEST
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def pseudonym_key(configured: str | None, raw_dir: Path, source: str) -> tuple[str, str | None]:
    """The key for ``source``'s child-level files, and a warning to log when it is the development key.

    Raises :class:`PseudonymKeyMissing` when the development key would be used on a file that is not
    part of the bundled sample.
    """
    if configured and configured != DEVELOPMENT_KEY:
        return configured, None
    from pipelines.lib.ingest.load import discover_files

    known = sample_hashes(raw_dir)
    real = [p for p in discover_files(raw_dir / source) if _sha256(p) not in known]
    if real:
        why = "is the development key" if configured else "is not set"
        raise PseudonymKeyMissing(
            f"CSW_PSEUDONYM_KEY {why}, and {real[0]} (with {len(real) - 1} other file(s)) is not part of the "
            "bundled sample: set CSW_PSEUDONYM_KEY to your council's secret key before loading real child-level "
            "data. Nothing was loaded from raw/" + source + "/."
        )
    return DEVELOPMENT_KEY, DEVELOPMENT_KEY_WARNING


DEVELOPMENT_KEY_WARNING = (
    "CSW_PSEUDONYM_KEY is not set: child identifiers of the bundled sample data are pseudonymised with the "
    "fixed development key. Set CSW_PSEUDONYM_KEY for real returns."
)


def development_key_warning(configured: str | None, raw_dir: Path) -> str | None:
    """The warning for the refresh's summary when child-level files are pseudonymised with the development key."""
    if configured and configured != DEVELOPMENT_KEY:
        return None
    from pipelines.lib.ingest.load import discover_files

    if any(discover_files(raw_dir / source) for source in CHILD_LEVEL_SOURCES):
        return DEVELOPMENT_KEY_WARNING
    return None
