"""Accounts, passwords and entitlements (DESIGN.md §4 rule 9), without Streamlit."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dashboards import access
from pipelines.privacy.catalog import load_catalog
from tests.dashboards.conftest import PASSWORD, SCHOOL_A, SCHOOL_B

CATALOG = load_catalog()
PASSWORD_HASH_PREFIX = "$argon2id$"


def direction_a(**changes) -> access.Account:
    return access.new_account("direction-a", access.DIRECTION, [SCHOOL_A], password=PASSWORD, **changes)


# Passwords ---------------------------------------------------------------------------------


def test_a_password_is_stored_as_a_salted_argon2id_hash():
    first, second = access.hash_password(PASSWORD), access.hash_password(PASSWORD)
    assert first.startswith(PASSWORD_HASH_PREFIX) and PASSWORD not in first
    assert first != second  # a salt of its own: equal passwords do not show as equal hashes
    assert access.verify_password(first, PASSWORD)
    assert not access.verify_password(first, PASSWORD + "!")
    assert not access.verify_password("not a hash", PASSWORD)


def test_a_short_password_is_refused():
    with pytest.raises(access.AccountError, match="at least 12 characters"):
        access.hash_password("short")


def test_authenticate_returns_the_account_only_for_its_own_password():
    accounts = [direction_a(), access.new_account("dane", access.DEPARTEMENT, email="dane@ac.fr")]
    assert access.authenticate(accounts, "direction-a", PASSWORD) == accounts[0]
    assert access.authenticate(accounts, "  Direction-A ", PASSWORD) == accounts[0]
    assert access.authenticate(accounts, "direction-a", "wrong password!") is None
    assert access.authenticate(accounts, "nobody-here", PASSWORD) is None
    # An account that signs in through OpenID Connect has no password to guess.
    assert access.authenticate(accounts, "dane", "") is None


def test_the_throttle_refuses_after_five_failures_until_the_window_has_passed():
    now = [1000.0]
    throttle = access.LoginThrottle(max_failures=5, window_seconds=60, clock=lambda: now[0])
    for _ in range(4):
        throttle.record_failure("Direction-A")
    assert not throttle.blocked("direction-a")
    throttle.record_failure("direction-a")
    assert throttle.blocked("direction-a")
    assert not throttle.blocked("referent-ab")
    now[0] += 61
    assert not throttle.blocked("direction-a")


# The accounts file -------------------------------------------------------------------------


def test_accounts_round_trip_through_the_file_with_hashes_only(tmp_path: Path):
    accounts = [
        direction_a(name='Collège "Les Tilleuls" \\ direction'),
        access.new_account("referent-ab", access.REFERENT, [SCHOOL_A, SCHOOL_B], oidc_subject="sub-42"),
        access.new_account("dane", access.DEPARTEMENT, email="DANE@ac-versailles.fr"),
    ]
    path = tmp_path / "nested" / "accounts.toml"
    access.write_accounts(path, accounts)
    assert access.read_accounts(path) == tuple(accounts)
    assert PASSWORD not in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert accounts[2].email == "dane@ac-versailles.fr"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[accounts]\nlogin = ", "not valid TOML"),
        (
            '[[accounts]]\nlogin = "a"\nprofile = "direction"\nschools = ["0920001B"]\npassword = "secret"',
            "plain 'password'",
        ),
        ('[[accounts]]\nlogin = "a"\nprofile = "proviseur"\nemail = "a@b.fr"', "'proviseur' is not one of"),
        (
            '[[accounts]]\nlogin = "a"\nprofile = "direction"\nschools = ["0920001B", "0921234S"]\nemail = "a@b.fr"',
            "exactly one school",
        ),
        (
            '[[accounts]]\nlogin = "a"\nprofile = "referent"\nschools = ["92001"]\nemail = "a@b.fr"',
            "'92001' is not a school UAI",
        ),
        (
            '[[accounts]]\nlogin = "a"\nprofile = "departement"\nschools = ["0920001B"]\nemail = "a@b.fr"',
            "takes no school list",
        ),
        ('[[accounts]]\nlogin = "a"\nprofile = "direction"\nschools = ["0920001B"]', "no way to sign in"),
        (
            '[[accounts]]\nlogin = "a"\nprofile = "direction"\nschools = ["0920001B"]\npassword_hash = "secret"',
            "not an argon2 hash",
        ),
        (
            '[[accounts]]\nlogin = "a"\nprofile = "direction"\nschool = ["0920001B"]\nemail = "a@b.fr"',
            "unknown keys ['school']",
        ),
        (
            '[[accounts]]\nlogin = "a"\nprofile = "departement"\nemail = "a@b.fr"\n[[accounts]]\nlogin = "b"\nprofile = "departement"\nemail = "a@b.fr"',
            "email 'a@b.fr' is given to more than one account",
        ),
        (
            '[[accounts]]\nlogin = "Jean Dupont"\nprofile = "departement"\nemail = "a@b.fr"',
            "login 'Jean Dupont' must be",
        ),
        ('accounts = "everyone"', "array of tables"),
    ],
)
def test_a_bad_accounts_file_is_refused_naming_the_file_and_the_problem(tmp_path: Path, text, problem):
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(access.AccountsFileError) as refused:
        access.read_accounts(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert problem in str(refused.value)


def test_a_missing_accounts_file_says_how_to_create_one(tmp_path: Path):
    with pytest.raises(access.AccountsFileError, match="no such file.*reperes accounts add"):
        access.read_accounts(tmp_path / "accounts.toml")


def test_the_accounts_file_comes_from_the_environment_or_the_ignored_data_folder(tmp_path: Path):
    assert (
        access.accounts_file_path({access.ACCOUNTS_FILE_ENV: str(tmp_path / "a.toml")}) == tmp_path / "a.toml"
    )
    default = access.accounts_file_path({})
    assert default == access.REPO_ROOT / "data" / "accounts.toml"
    assert "/data/" in (access.REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_an_existing_login_is_replaced_only_when_asked():
    accounts = [direction_a()]
    again = access.new_account("direction-a", access.DIRECTION, [SCHOOL_B], password=PASSWORD)
    with pytest.raises(access.AccountError, match="already exists"):
        access.with_account(accounts, again, replace_existing=False)
    assert access.with_account(accounts, again, replace_existing=True) == [again]


def test_demo_accounts_have_random_passwords_that_are_not_written(tmp_path: Path):
    accounts = access.demo_accounts([SCHOOL_A, SCHOOL_B, "0921111X"])
    assert [(account.profile, account.schools) for account, _ in accounts] == [
        (access.DIRECTION, (SCHOOL_A,)),
        (access.REFERENT, (SCHOOL_A, SCHOOL_B)),
        (access.DEPARTEMENT, ()),
    ]
    passwords = [password for _, password in accounts]
    assert len(set(passwords)) == 3 and all(len(password) >= 16 for password in passwords)
    path = tmp_path / "accounts.toml"
    access.write_accounts(path, [account for account, _ in accounts])
    written = path.read_text(encoding="utf-8")
    assert not any(password in written for password in passwords)
    for account, password in accounts:
        assert access.authenticate(access.read_accounts(path), account.login, password) == account


# Entitlements ------------------------------------------------------------------------------


def test_a_direction_reads_its_school_and_the_departement_tables():
    entitlement = access.entitlement_for(direction_a(), CATALOG)
    assert entitlement.schools == (SCHOOL_A,)
    assert entitlement.may_see(SCHOOL_A) and not entitlement.may_see(SCHOOL_B)
    for table in ("adoption_weekly", "homework_class_weekly", "data_quality_weekly", "adoption_position"):
        assert entitlement.may_read(table)
    assert entitlement.may_read("adoption_department_weekly")
    assert entitlement.may_read(access.RELEASE_INFO)
    assert not entitlement.may_read("staging_events")
    assert entitlement.visible([SCHOOL_B, SCHOOL_A]) == [SCHOOL_A]


def test_a_referent_sees_each_of_its_schools():
    referent = access.new_account("referent-ab", access.REFERENT, [SCHOOL_A, SCHOOL_B], password=PASSWORD)
    entitlement = access.entitlement_for(referent, CATALOG)
    assert entitlement.visible([SCHOOL_A, SCHOOL_B, "0921111X"]) == [SCHOOL_A, SCHOOL_B]


def test_the_departement_reads_only_k10_tables_and_no_school_grain_table():
    departement = access.new_account("dane", access.DEPARTEMENT, password=PASSWORD)
    entitlement = access.entitlement_for(departement, CATALOG)
    department_tables = {name for name, spec in CATALOG.tables.items() if spec.audience == "department"}
    assert entitlement.tables == {*department_tables, access.RELEASE_INFO}
    assert "adoption_department_weekly" in entitlement.tables
    for name, spec in CATALOG.tables.items():
        if spec.audience in ("school", "none"):
            assert not entitlement.may_read(name), name
    # Derived tables are computed from school tables: per-school rows at k = 5.
    for name in CATALOG.derived_tables:
        assert not entitlement.may_read(name), name
    assert entitlement.schools is None


def test_tables_with_school_rows_are_those_whose_grain_has_the_school():
    school_rows = access.tables_with_school_rows(CATALOG)
    assert {"adoption_weekly", "data_quality_weekly", "adoption_position"} <= school_rows
    assert "adoption_department_weekly" not in school_rows


# OpenID Connect ----------------------------------------------------------------------------


def test_an_oidc_identity_is_mapped_by_subject_first_then_by_verified_email():
    by_subject = access.new_account("referent-ab", access.REFERENT, [SCHOOL_A, SCHOOL_B], oidc_subject="f:42")
    by_email = access.new_account(
        "direction-a", access.DIRECTION, [SCHOOL_A], email="Ce.0920001B@ac-versailles.fr"
    )
    accounts = [by_subject, by_email]

    assert (
        access.account_for_identity(accounts, {"sub": "f:42", "email": "ce.0920001b@ac-versailles.fr"})
        == by_subject
    )
    assert (
        access.account_for_identity(accounts, {"sub": "other", "email": "CE.0920001B@ac-versailles.fr "})
        == by_email
    )
    assert (
        access.account_for_identity(
            accounts, {"sub": "other", "email": "ce.0920001b@ac-versailles.fr", "email_verified": True}
        )
        == by_email
    )
    # An address the provider has not verified could be anyone's.
    assert (
        access.account_for_identity(
            accounts, {"sub": "other", "email": "ce.0920001b@ac-versailles.fr", "email_verified": False}
        )
        is None
    )
    assert access.account_for_identity(accounts, {"sub": "stranger", "email": "x@y.fr"}) is None
    assert access.account_for_identity(accounts, {"is_logged_in": True}) is None


# The `reperes accounts` command and the demo's accounts --------------------------------------


def test_reperes_accounts_add_hashes_the_password_read_on_stdin(tmp_path: Path, monkeypatch, capsys):
    import io

    from pipelines.cli import main

    path = tmp_path / "accounts.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    main(
        ["accounts", "add", "Direction-A", "--profile", "direction", "--school", SCHOOL_A]
        + ["--name", "Direction A", "--password-stdin", "--file", str(path)]
    )
    (account,) = access.read_accounts(path)
    assert (account.login, account.profile, account.schools) == ("direction-a", "direction", (SCHOOL_A,))
    assert access.authenticate([account], "direction-a", PASSWORD) == account
    assert PASSWORD not in path.read_text(encoding="utf-8")

    main(["accounts", "list", "--file", str(path)])
    listed = capsys.readouterr().out
    assert "direction-a" in listed and SCHOOL_A in listed and "$argon2" not in listed

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(SystemExit) as refused:
        main(
            ["accounts", "add", "other", "--profile", "direction", "--school", "92001"]
            + ["--password-stdin", "--file", str(path)]
        )
    assert refused.value.code == 2
    assert "is not a school UAI" in capsys.readouterr().err


def test_the_demo_writes_hashed_accounts_and_prints_their_passwords_once(
    published_db_file: Path, tmp_path: Path, capsys
):
    import shutil

    from pipelines.cli import write_demo_accounts

    (tmp_path / "data").mkdir()
    shutil.copy(published_db_file, tmp_path / "data" / "published.duckdb")
    path = write_demo_accounts(tmp_path, tmp_path / "data")
    printed = capsys.readouterr().out
    accounts = access.read_accounts(path)
    assert [(account.login, account.schools) for account in accounts] == [
        ("demo-direction", (SCHOOL_A,)),
        ("demo-referent", (SCHOOL_A, SCHOOL_B)),
        ("demo-departement", ()),
    ]
    written = path.read_text(encoding="utf-8")
    for account in accounts:
        line = next(line for line in printed.splitlines() if f"login {account.login} " in line)
        password = line.split("password ")[1].split()[0]
        assert password not in written
        assert access.authenticate(accounts, account.login, password) == account
