"""Keyed pseudonyms (DESIGN.md §4 rule 2).

A user id is replaced at the door by HMAC-SHA256(key, source ‖ 0x1F ‖ user_id). A keyed
hash, unlike a plain hash, cannot be reversed by hashing every known ENT id; one key
per school year breaks linkage across years by design. The HMAC is computed inside
DuckDB (so ids never travel through Python row by row) with the textbook construction
H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)); `pseudonym()` is the stdlib reference it is tested
against. The pads live only in session variables of one connection: never in a table,
a file or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import duckdb

KEY_ENV_VAR = "REPERES_PSEUDONYM_KEY"
KEY_FILE_ENV_VAR = "REPERES_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 32  # 256 bits
SEPARATOR = "\x1f"  # unit separator: "ab"+"c" and "a"+"bc" must not collide
_BLOCK_SIZE = 64  # SHA-256 block size in bytes


class PseudonymKeyError(RuntimeError):
    """The pseudonymization key is missing or too weak: the pipeline must not run."""


def generate_key_hex() -> str:
    return secrets.token_hex(MIN_KEY_BYTES)


def parse_key(text: str, origin: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise PseudonymKeyError(f"The pseudonymization key from {origin} is not hexadecimal.") from None
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"The pseudonymization key from {origin} has {len(key) * 8} bits; at least "
            f"{MIN_KEY_BYTES * 8} bits ({MIN_KEY_BYTES * 2} hex characters) are required."
        )
    return key


def load_key(environ: Mapping[str, str] = os.environ) -> bytes:
    """Read the key from REPERES_PSEUDONYM_KEY_FILE (a file holding hex) or REPERES_PSEUDONYM_KEY."""
    key_file = environ.get(KEY_FILE_ENV_VAR)
    if key_file:
        path = Path(key_file)
        if not path.is_file():
            raise PseudonymKeyError(f"The pseudonymization key file {path} does not exist.")
        return parse_key(path.read_text(encoding="ascii", errors="replace"), f"file {path}")
    key_hex = environ.get(KEY_ENV_VAR)
    if key_hex:
        return parse_key(key_hex, f"${KEY_ENV_VAR}")
    raise PseudonymKeyError(
        "No pseudonymization key: set REPERES_PSEUDONYM_KEY to at least 64 hex characters "
        "(e.g. `openssl rand -hex 32`) or pass --key-file FILE. Keep the key outside the data "
        "directory and use a new one each school year."
    )


def pseudonym(key: bytes, source: str, identifier: str) -> str:
    message = f"{source}{SEPARATOR}{identifier}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    block = hashlib.sha256(key).digest() if len(key) > _BLOCK_SIZE else key
    block = block.ljust(_BLOCK_SIZE, b"\0")
    inner = bytes(byte ^ 0x36 for byte in block)
    outer = bytes(byte ^ 0x5C for byte in block)
    return inner, outer


def install_pseudonym_macro(connection: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Make `pseudonym(source, id)` available in SQL on this connection only (temp macro)."""
    inner, outer = _pads(key)
    connection.execute("set variable pseudonym_inner_pad = ?::blob", [inner])
    connection.execute("set variable pseudonym_outer_pad = ?::blob", [outer])
    connection.execute(
        """
        create or replace temp macro pseudonym(source, identifier) as sha256(
            getvariable('pseudonym_outer_pad')
            || unhex(sha256(getvariable('pseudonym_inner_pad')
                || encode(source || chr(31) || identifier)))
        )
        """
    )
