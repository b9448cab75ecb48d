"""Identifiers and bearer tokens."""

from __future__ import annotations

import pytest

from smartgrid.ids import (
    HOUSE_PREFIX,
    PRODUCER_PREFIX,
    new_id,
    new_token,
    principal_of,
    token_matches,
    token_sha256,
)


def test_new_id_has_its_prefix_and_is_unique() -> None:
    ids = {new_id(HOUSE_PREFIX) for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith(HOUSE_PREFIX) and len(i) == len(HOUSE_PREFIX) + 12 for i in ids)


def test_token_carries_its_principal_id() -> None:
    # Given a producer id / When a token is made for it / Then the token names that producer
    producer_id = new_id(PRODUCER_PREFIX)
    token = new_token(producer_id)
    assert token.startswith(producer_id + ".")
    assert principal_of(token) == producer_id


def test_tokens_are_unique_per_call() -> None:
    assert new_token("h-1") != new_token("h-1")


def test_token_matches_its_own_hash_only() -> None:
    token = new_token("h-1")
    other = new_token("h-1")
    assert token_matches(token, token_sha256(token))
    assert not token_matches(other, token_sha256(token))
    assert not token_matches(token, "")


def test_token_sha256_is_hex_sha256() -> None:
    assert token_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("token", ["", "h-1", "h-1.", "no-dot-at-all", ".", ".secret"])
def test_principal_of_malformed_tokens_has_no_principal(token: str) -> None:
    # Given a token without an id, a dot and a secret / Then no principal is named
    assert not principal_of(token)


def test_principal_of_keeps_dots_in_the_secret() -> None:
    assert principal_of("h-1.sec.ret") == "h-1"
