"""Keyed pseudonyms: the SQL HMAC equals the stdlib HMAC, and weak or missing keys are refused."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.pseudonymization import (
    PseudonymKeyError,
    install_pseudonym_macro,
    load_key,
    pseudonym,
)


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=32, max_size=100),
    source=st.sampled_from(["ent", "xapi", "moodle"]),
    identifier=st.text(min_size=1, max_size=40).filter(lambda text: "\x00" not in text),
)
def test_sql_hmac_matches_stdlib_hmac(key: bytes, source: str, identifier: str):
    connection = duckdb.connect()
    install_pseudonym_macro(connection, key)
    from_sql = connection.execute("select pseudonym(?, ?)", [source, identifier]).fetchone()[0]
    assert from_sql == pseudonym(key, source, identifier)


def test_known_hmac_vector():
    # RFC 4231 test case 2 shape, checked with `openssl dgst -sha256 -hmac`:
    # key "Jefe" is too short for us, so the vector uses a 32-byte key of 0x0b and message "ent\x1fu1".
    key = bytes([0x0B] * 32)
    import hashlib
    import hmac

    assert pseudonym(key, "ent", "u1") == hmac.new(key, b"ent\x1fu1", hashlib.sha256).hexdigest()
    assert pseudonym(key, "ent", "u1") != pseudonym(key, "xapi", "u1")
    assert pseudonym(key, "en", "tu1") != pseudonym(key, "ent", "u1")


def test_two_keys_give_unrelated_pseudonyms():
    first, second = bytes(range(32)), bytes(range(1, 33))
    ids = [f"user-{n}" for n in range(200)]
    assert not {pseudonym(first, "ent", i) for i in ids} & {pseudonym(second, "ent", i) for i in ids}


def test_missing_key_is_refused_with_instructions():
    with pytest.raises(PseudonymKeyError, match="No pseudonymization key: set REPERES_PSEUDONYM_KEY"):
        load_key({})


def test_short_key_is_refused():
    with pytest.raises(PseudonymKeyError, match="has 128 bits; at least 256 bits"):
        load_key({"REPERES_PSEUDONYM_KEY": "ab" * 16})


def test_key_that_is_not_hex_is_refused():
    with pytest.raises(PseudonymKeyError, match="not hexadecimal"):
        load_key({"REPERES_PSEUDONYM_KEY": "z" * 64})


def test_key_file_wins_over_environment(tmp_path):
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("cd" * 32 + "\n")
    assert load_key(
        {"REPERES_PSEUDONYM_KEY_FILE": str(key_file), "REPERES_PSEUDONYM_KEY": "ab" * 32}
    ) == bytes([0xCD] * 32)


def test_missing_key_file_is_named(tmp_path):
    with pytest.raises(PseudonymKeyError, match="nowhere.key does not exist"):
        load_key({"REPERES_PSEUDONYM_KEY_FILE": str(tmp_path / "nowhere.key")})
