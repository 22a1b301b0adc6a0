import re

import pytest

from pipelines.lib.ingest.load import discover_files
from pipelines.lib.ingest.pseudonymise import (
    CHILD_LEVEL_SOURCES,
    DEVELOPMENT_KEY,
    PseudonymKeyMissing,
    child_key,
    development_key_warning,
    pseudonym_key,
    sample_hashes,
    write_sample_manifest,
)
from tests.conftest import SAMPLE_RAW


def test_child_key_is_a_keyed_hash_of_la_and_child():
    key = child_key("865", "12345", "secret")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert child_key(" 865", "12345 ", "secret") == key
    assert (
        len(
            {
                key,
                child_key("866", "12345", "secret"),
                child_key("865", "12346", "secret"),
                child_key("865", "12345", "other"),
            }
        )
        == 4
    )
    assert "12345" not in key


def landing(tmp_path, files):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return tmp_path


def test_the_development_key_serves_the_bundled_sample_only(tmp_path):
    raw = landing(tmp_path, {"case_audits/a.csv": "sample audits\n"})
    write_sample_manifest(raw)
    key, warning = pseudonym_key(None, raw, "case_audits")
    assert key == DEVELOPMENT_KEY and "development key" in warning

    (raw / "case_audits" / "real.csv").write_text("a council's real export\n")
    with pytest.raises(PseudonymKeyMissing, match=r"is not set, and .*real\.csv .*not part of the bundled sample"):
        pseudonym_key(None, raw, "case_audits")
    with pytest.raises(PseudonymKeyMissing, match="is the development key"):
        pseudonym_key(DEVELOPMENT_KEY, raw, "case_audits")
    assert pseudonym_key("council-secret", raw, "case_audits") == ("council-secret", None)


def test_the_summary_warns_while_child_level_files_get_the_development_key(tmp_path):
    raw = landing(tmp_path, {"ofsted/outcomes.csv": "not child-level\n"})
    assert development_key_warning(None, raw) is None  # nothing is pseudonymised
    landing(tmp_path, {"ssda903/2012/episodes.csv": "CHILD,DECOM\n1,01/04/2011\n"})
    assert development_key_warning(None, raw).startswith("CSW_PSEUDONYM_KEY is not set")
    assert development_key_warning(DEVELOPMENT_KEY, raw) is not None
    assert development_key_warning("council-secret", raw) is None


def test_an_edited_sample_file_is_no_longer_the_sample(tmp_path):
    raw = landing(tmp_path, {"ssda903/2012/episodes.csv": "CHILD,DECOM\n1,01/04/2011\n"})
    write_sample_manifest(raw)
    (raw / "ssda903" / "2012" / "episodes.csv").write_text("CHILD,DECOM\n2,01/04/2011\n")
    with pytest.raises(PseudonymKeyMissing):
        pseudonym_key(None, raw, "ssda903")


def test_the_committed_manifest_lists_exactly_the_child_level_sample_files():
    listed = sample_hashes(SAMPLE_RAW)
    files = [p for source in CHILD_LEVEL_SOURCES for p in discover_files(SAMPLE_RAW / source)]
    assert files
    import hashlib

    assert listed == {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
