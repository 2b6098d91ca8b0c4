"""Who may read what: dashboard accounts, their passwords, and what each one is entitled to.

DESIGN.md §4 rule 9 (scoped access): a school's direction sees its school, an ENT referent
the schools they look after, the département every school but only through the tables
published at k = 10. The catalog of the release (models/marts/_privacy.yml) says which table
has which audience, so a table added there is scoped without touching this module.

Accounts live in a TOML file outside the repository (`$REPERES_ACCOUNTS_FILE`, by default
`data/accounts.toml`, which git ignores), written by `reperes accounts add`. A password is
only ever stored as an argon2id hash; an account that signs in through OpenID Connect
(`st.login`) has no password, only the identity (`oidc_subject` or `email`) it is mapped from.

No Streamlit here: the dashboard's side of signing in is in `dashboards/session.py`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines.privacy.catalog import Catalog, load_catalog
from pipelines.settings import REPO_ROOT

ACCOUNTS_FILE_ENV = "REPERES_ACCOUNTS_FILE"
DEFAULT_ACCOUNTS_FILE = REPO_ROOT / "data" / "accounts.toml"

DIRECTION, REFERENT, DEPARTEMENT = "direction", "referent", "departement"
PROFILES = (DIRECTION, REFERENT, DEPARTEMENT)
PROFILE_TITLES = {
    DIRECTION: "Direction d'établissement",
    REFERENT: "Référent ENT",
    DEPARTEMENT: "Département",
}
# The release's own description: every account reads it (the date of the data, k).
RELEASE_INFO = "release_info"
SCHOOL_COLUMN = "school_uai"

# An UAI (Unité administrative immatriculée): seven digits and a check letter.
UAI_PATTERN = re.compile(r"^[0-9]{7}[A-Z]$")
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
MINIMUM_PASSWORD_LENGTH = 12
ACCOUNT_FIELDS = ("login", "name", "profile", "schools", "password_hash", "oidc_subject", "email")
FILE_HEADER = """\
# Repères dashboard accounts, written by `reperes accounts add` (see README, "Comptes et accès").
# Passwords are argon2id hashes; keep this file out of the repository and readable by the
# dashboard only (mode 600).
"""

# argon2-cffi's defaults: argon2id, 3 passes over 64 MiB, the RFC 9106 low-memory profile.
_HASHER = PasswordHasher()


class AccountsFileError(Exception):
    """The accounts file is missing or malformed; the message names the file and the problem."""


class AccountError(ValueError):
    """An account that cannot be created as asked (bad login, profile, school or password)."""


@dataclass(frozen=True)
class Account:
    """One person who may open the dashboard.

    `schools` is empty for a département account: it is entitled to every school, and the
    entitlement, not this list, decides what that means (k = 10 tables only).
    """

    login: str
    profile: str
    schools: tuple[str, ...] = ()
    name: str = ""
    password_hash: str | None = field(default=None, repr=False)
    oidc_subject: str | None = None
    email: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.login

    @property
    def sign_in_methods(self) -> tuple[str, ...]:
        methods = []
        if self.password_hash:
            methods.append("password")
        if self.oidc_subject:
            methods.append("oidc_subject")
        if self.email:
            methods.append("email")
        return tuple(methods)


@dataclass(frozen=True)
class Entitlement:
    """What one account may read: which published tables, and the rows of which schools.

    `schools` is None when every school's rows of the readable tables may be read (the
    département, whose tables are all k = 10); otherwise only those schools' rows.
    """

    profile: str
    schools: tuple[str, ...] | None
    tables: frozenset[str]

    def may_read(self, table: str) -> bool:
        return table in self.tables

    def may_see(self, school_uai: str | None) -> bool:
        if self.schools is None:
            return True
        return school_uai in self.schools

    def visible(self, schools: Iterable[str]) -> list[str]:
        """The schools of `schools` this account may see, in the given order."""
        return [school for school in schools if self.may_see(school)]


def table_audiences(catalog: Catalog) -> dict[str, str]:
    """Every published table with its audience; a derived table takes the strictest of its sources.

    Derived tables (adoption_position, adoption_trends) are computed from school tables at
    release time: their rows are per school at k = 5, so they are school data.
    """
    audiences = {name: spec.audience for name, spec in catalog.tables.items()}
    for name, spec in catalog.derived_tables.items():
        sources = {audiences[source] for source in spec.sources}
        audiences[name] = "department" if sources == {"department"} else "school"
    return audiences


def tables_with_school_rows(catalog: Catalog | None = None) -> frozenset[str]:
    """Published tables whose rows belong to one school: reading them is filtered by school."""
    catalog = catalog or load_catalog()
    grains = {name: spec.grain for name, spec in catalog.tables.items()}
    grains.update({name: spec.grain for name, spec in catalog.derived_tables.items()})
    return frozenset(name for name, grain in grains.items() if SCHOOL_COLUMN in grain)


def entitlement_for(account: Account, catalog: Catalog | None = None) -> Entitlement:
    """The tables and schools `account` may read, from the audiences of `_privacy.yml`."""
    audiences = table_audiences(catalog or load_catalog())
    department_tables = {name for name, audience in audiences.items() if audience == "department"}
    if account.profile == DEPARTEMENT:
        return Entitlement(DEPARTEMENT, None, frozenset({*department_tables, RELEASE_INFO}))
    return Entitlement(account.profile, tuple(account.schools), frozenset({*audiences, RELEASE_INFO}))


# Passwords -------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash, with its own random salt and parameters: what the file stores."""
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MINIMUM_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def find_account(accounts: Iterable[Account], login: str) -> Account | None:
    wanted = normalize_login(login)
    return next((account for account in accounts if account.login == wanted), None)


def authenticate(accounts: Sequence[Account], login: str, password: str) -> Account | None:
    """The account if the password is its own, else None.

    An unknown login costs the same argon2 verification as a known one, so that the time of
    the answer does not tell which logins exist; the caller shows one message for both.
    """
    account = find_account(accounts, login)
    if account is None or not account.password_hash:
        verify_password(_decoy_hash(), password)
        return None
    return account if verify_password(account.password_hash, password) else None


def generate_password() -> str:
    """A random password of 16 URL-safe characters (96 bits), for the demo accounts."""
    return secrets.token_urlsafe(12)


class LoginThrottle:
    """Counts failed sign-ins per login and refuses more than `max_failures` in `window_seconds`.

    Guessing a password by trying many is then slow whatever the login, known or not (the
    same answer for both). Held in memory by the dashboard process: a restart forgets it.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, login: str) -> deque[float]:
        failures = self._failures.setdefault(normalize_login(login), deque())
        horizon = self._clock() - self.window_seconds
        while failures and failures[0] < horizon:
            failures.popleft()
        return failures

    def blocked(self, login: str) -> bool:
        with self._lock:
            return len(self._recent(login)) >= self.max_failures

    def record_failure(self, login: str) -> None:
        with self._lock:
            self._recent(login).append(self._clock())

    def forget(self, login: str) -> None:
        with self._lock:
            self._failures.pop(normalize_login(login), None)


# OpenID Connect --------------------------------------------------------------------------


def account_for_identity(accounts: Iterable[Account], identity: Mapping[str, Any]) -> Account | None:
    """The account an OpenID Connect identity (`st.user`) is mapped to, or None.

    The subject (`sub`), stable and never reassigned by the provider, is matched first; then
    the e-mail address, unless the provider says it is not verified (anyone could otherwise
    claim a direction's address at a provider that does not check it).
    """
    accounts = list(accounts)
    subject = identity.get("sub")
    if subject:
        for account in accounts:
            if account.oidc_subject and account.oidc_subject == str(subject):
                return account
    email = identity.get("email")
    if email and identity.get("email_verified") not in (False, "false", "False"):
        wanted = str(email).strip().lower()
        for account in accounts:
            if account.email and account.email == wanted:
                return account
    return None


# The accounts file -----------------------------------------------------------------------


def accounts_file_path(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(ACCOUNTS_FILE_ENV) or DEFAULT_ACCOUNTS_FILE)


def normalize_login(login: str) -> str:
    return login.strip().lower()


def new_account(
    login: str,
    profile: str,
    schools: Sequence[str] = (),
    *,
    name: str = "",
    password: str | None = None,
    oidc_subject: str | None = None,
    email: str | None = None,
) -> Account:
    """A checked account; the password, if any, is hashed here and never kept."""
    account = Account(
        login=normalize_login(login),
        profile=profile,
        schools=tuple(school.strip().upper() for school in schools),
        name=name.strip(),
        password_hash=hash_password(password) if password is not None else None,
        oidc_subject=oidc_subject.strip() if oidc_subject else None,
        email=email.strip().lower() if email else None,
    )
    problem = _account_problem(account)
    if problem:
        raise AccountError(problem)
    return account


def _account_problem(account: Account) -> str | None:
    if not LOGIN_PATTERN.match(account.login):
        return (
            f"login {account.login!r} must be 1 to 64 characters among lower-case letters, digits and . _ @ -"
        )
    if account.profile not in PROFILES:
        return f"profile {account.profile!r} is not one of {', '.join(PROFILES)}"
    bad = [school for school in account.schools if not UAI_PATTERN.match(school)]
    if bad:
        return f"{', '.join(map(repr, bad))} is not a school UAI (seven digits and a letter, e.g. 0920001B)"
    if len(set(account.schools)) != len(account.schools):
        return "a school is listed twice"
    if account.profile == DIRECTION and len(account.schools) != 1:
        return "a direction account has exactly one school"
    if account.profile == REFERENT and not account.schools:
        return "a referent account needs at least one school"
    if account.profile == DEPARTEMENT and account.schools:
        return "a departement account sees every school: it takes no school list"
    if not account.sign_in_methods:
        return "the account has no way to sign in: give it a password_hash, an oidc_subject or an email"
    if account.password_hash and not account.password_hash.startswith("$argon2"):
        return "password_hash is not an argon2 hash (write accounts with `reperes accounts add`)"
    return None


def _parse_account(entry: object, position: int) -> Account:
    where = f"accounts[{position}]"
    if not isinstance(entry, dict):
        raise AccountError(f"{where} is not a table")
    if "password" in entry:
        raise AccountError(
            f"{where} has a plain 'password': passwords are stored hashed only, "
            "add the account with `reperes accounts add`"
        )
    unknown = sorted(set(entry) - set(ACCOUNT_FIELDS))
    if unknown:
        raise AccountError(f"{where} has unknown keys {unknown} (known: {', '.join(ACCOUNT_FIELDS)})")
    if "login" not in entry or "profile" not in entry:
        raise AccountError(f"{where} needs a login and a profile")
    for key in ("login", "name", "profile", "password_hash", "oidc_subject", "email"):
        if key in entry and not isinstance(entry[key], str):
            raise AccountError(f"{where}.{key} must be a string")
    schools = entry.get("schools", [])
    if not isinstance(schools, list) or not all(isinstance(school, str) for school in schools):
        raise AccountError(f"{where}.schools must be a list of UAIs")
    account = Account(
        login=entry["login"],
        profile=entry["profile"],
        schools=tuple(schools),
        name=entry.get("name", ""),
        password_hash=entry.get("password_hash") or None,
        oidc_subject=entry.get("oidc_subject") or None,
        email=entry["email"].lower() if entry.get("email") else None,
    )
    problem = _account_problem(account)
    if problem:
        raise AccountError(f"{where} ({account.login!r}): {problem}")
    return account


def parse_accounts(text: str) -> tuple[Account, ...]:
    """Accounts from the file's text; AccountError (or TOMLDecodeError) says what is wrong."""
    document = tomllib.loads(text)
    unknown = sorted(set(document) - {"accounts"})
    if unknown:
        raise AccountError(f"unknown top-level keys {unknown}: the file holds [[accounts]] tables only")
    entries = document.get("accounts", [])
    if not isinstance(entries, list):
        raise AccountError("'accounts' must be an array of tables ([[accounts]])")
    accounts = tuple(_parse_account(entry, position) for position, entry in enumerate(entries))
    for key in ("login", "oidc_subject", "email"):
        values = [getattr(account, key) for account in accounts if getattr(account, key)]
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise AccountError(f"{key} {', '.join(map(repr, repeated))} is given to more than one account")
    return accounts


def read_accounts(path: Path) -> tuple[Account, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccountsFileError(
            f"{path}: no such file; create an account with `reperes accounts add` "
            f"(or point {ACCOUNTS_FILE_ENV} at the accounts file)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise AccountsFileError(f"{path}: cannot be read ({error})") from None
    try:
        return parse_accounts(text)
    except tomllib.TOMLDecodeError as error:
        raise AccountsFileError(f"{path}: not valid TOML ({error})") from None
    except AccountError as error:
        raise AccountsFileError(f"{path}: {error}") from None


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string: same quotes, same escapes (\" \\ \n \uXXXX).
    return json.dumps(value, ensure_ascii=False)


def render_accounts(accounts: Iterable[Account]) -> str:
    blocks = [FILE_HEADER]
    for account in accounts:
        lines = ["[[accounts]]", f"login = {_toml_string(account.login)}"]
        if account.name:
            lines.append(f"name = {_toml_string(account.name)}")
        lines.append(f"profile = {_toml_string(account.profile)}")
        if account.schools:
            lines.append(f"schools = [{', '.join(_toml_string(school) for school in account.schools)}]")
        for key in ("password_hash", "oidc_subject", "email"):
            value = getattr(account, key)
            if value:
                lines.append(f"{key} = {_toml_string(value)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def write_accounts(path: Path, accounts: Iterable[Account]) -> None:
    """Replace the file atomically, readable by its owner only (it holds password hashes)."""
    text = render_accounts(accounts)
    parse_accounts(text)  # never write a file the dashboard would refuse
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".next")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def with_account(accounts: Iterable[Account], account: Account, *, replace_existing: bool) -> list[Account]:
    """`accounts` with `account` added, or put in the place of the one with its login."""
    accounts = list(accounts)
    existing = find_account(accounts, account.login)
    if existing is not None and not replace_existing:
        raise AccountError(f"login {account.login!r} already exists (--replace to change it)")
    if existing is None:
        return [*accounts, account]
    return [account if item.login == account.login else item for item in accounts]


def without_account(accounts: Iterable[Account], login: str) -> list[Account]:
    accounts = list(accounts)
    if find_account(accounts, login) is None:
        raise AccountError(f"no account has the login {normalize_login(login)!r}")
    return [account for account in accounts if account.login != normalize_login(login)]


def demo_accounts(schools: Sequence[str]) -> list[tuple[Account, str]]:
    """One account of each kind on the simulated schools, each with a fresh random password.

    The passwords are returned once, to be printed; only their hashes are written.
    """
    if not schools:
        raise AccountError("the demo publication has no school to give the accounts")
    wanted = [
        ("demo-direction", DIRECTION, schools[:1], f"Direction (démo) — {schools[0]}"),
        ("demo-referent", REFERENT, schools[:2], "Référent ENT (démo)"),
        ("demo-departement", DEPARTEMENT, (), "Département (démo)"),
    ]
    accounts = []
    for login, profile, entitled, name in wanted:
        password = generate_password()
        accounts.append((new_account(login, profile, entitled, name=name, password=password), password))
    return accounts


def describe(account: Account) -> str:
    """One line for `reperes accounts list`: never the hash."""
    schools = ", ".join(account.schools) if account.schools else "toutes (k = 10)"
    return (
        f"{account.login:<24} {account.profile:<12} {schools:<30} "
        f"{'+'.join(account.sign_in_methods):<24} {account.display_name}"
    )
