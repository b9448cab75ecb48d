"""Who is calling, and whether a route lets them in (with a fake credential store)."""

from __future__ import annotations

import base64
import itertools

import pytest

from smartgrid.access import (
    ANYONE,
    HEAD_END,
    HOUSE_SELF,
    PARTNER_SELF,
    PRODUCER_SELF,
    STAFF,
    AnyOf,
    Authenticator,
    OwnerLookup,
    Principal,
    Role,
    describe,
)
from smartgrid.errors import Forbidden, Unauthorized
from smartgrid.ids import token_sha256

_SECRETS = itertools.count()


def new_token(principal_id: str) -> str:
    """A token as `ids.new_token` makes them, its secret distinct but fixed: every test worker
    (pytest-xdist) must name the same parametrized tests."""
    secret = base64.urlsafe_b64encode(f"secret-{next(_SECRETS):026d}".encode()).decode().rstrip("=")
    return f"{principal_id}.{secret}"


HOUSE = "h-aaaaaaaaaaaa"
OTHER_HOUSE = "h-bbbbbbbbbbbb"
HOUSE_PRODUCER = "p-aaaaaaaaaaaa"  # the solar panels of HOUSE
UTILITY = "p-uuuuuuuuuuuu"
TOKENLESS_PRODUCER = "p-nnnnnnnnnnnn"

STAFF_TOKEN = "staff-secret-token"
HOUSE_TOKEN = new_token(HOUSE)
OTHER_HOUSE_TOKEN = new_token(OTHER_HOUSE)
HOUSE_PRODUCER_TOKEN = new_token(HOUSE_PRODUCER)
UTILITY_TOKEN = new_token(UTILITY)

HOUSE_HASHES = {HOUSE: token_sha256(HOUSE_TOKEN), OTHER_HOUSE: token_sha256(OTHER_HOUSE_TOKEN)}
PRODUCERS: dict[str, tuple[str | None, str | None]] = {
    HOUSE_PRODUCER: (token_sha256(HOUSE_PRODUCER_TOKEN), HOUSE),
    UTILITY: (token_sha256(UTILITY_TOKEN), None),
    TOKENLESS_PRODUCER: (None, OTHER_HOUSE),
}


def bearer(token: str) -> str:
    return f"Bearer {token}"


@pytest.fixture
def auth() -> Authenticator:
    owners = OwnerLookup(HOUSE_HASHES.get, PRODUCERS.get)
    return Authenticator(token_sha256(STAFF_TOKEN), owners)


# --- principal -------------------------------------------------------------------------------


def test_staff_token(auth: Authenticator) -> None:
    assert auth.principal(bearer(STAFF_TOKEN)) == Principal(Role.STAFF)


def test_house_token(auth: Authenticator) -> None:
    assert auth.principal(bearer(HOUSE_TOKEN)) == Principal(Role.HOUSE, HOUSE, HOUSE)


def test_house_producer_token_knows_its_house(auth: Authenticator) -> None:
    assert auth.principal(bearer(HOUSE_PRODUCER_TOKEN)) == Principal(Role.PRODUCER, HOUSE_PRODUCER, HOUSE)


def test_utility_producer_token(auth: Authenticator) -> None:
    assert auth.principal(bearer(UTILITY_TOKEN)) == Principal(Role.PRODUCER, UTILITY, None)


def test_scheme_is_case_insensitive_and_spaces_are_trimmed(auth: Authenticator) -> None:
    assert auth.principal(f"  bearer   {HOUSE_TOKEN}  ") == Principal(Role.HOUSE, HOUSE, HOUSE)


def test_no_header_is_no_principal(auth: Authenticator) -> None:
    assert auth.principal(None) is None
    assert auth.principal("") is None


@pytest.mark.parametrize(
    "token",
    [
        new_token(HOUSE),  # right id, wrong secret
        HOUSE_TOKEN + "x",
        new_token("h-unknown00000"),
        new_token(UTILITY),
        new_token(TOKENLESS_PRODUCER),  # a producer without a token of its own
        f"{OTHER_HOUSE}.{HOUSE_TOKEN.partition('.')[2]}",  # another house's id, this secret
        "x-zzzz.secret",  # an unknown kind of principal
        "no-dot",
        token_sha256(STAFF_TOKEN),  # the hash is not the token
    ],
    ids=[  # fixed names: the tokens are random, and every test worker must collect the same tests
        "wrong-secret",
        "secret-plus-one",
        "unknown-house",
        "utility-without-its-token",
        "tokenless-producer",
        "other-house-id",
        "unknown-kind",
        "no-dot",
        "staff-hash",
    ],
)
def test_wrong_token_is_unauthorized(auth: Authenticator, token: str) -> None:
    with pytest.raises(Unauthorized):
        auth.principal(bearer(token))


@pytest.mark.parametrize("header", ["Basic x", "Bearer", "Bearer   ", "Token abc", HOUSE_TOKEN])
def test_malformed_header_is_unauthorized(auth: Authenticator, header: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        auth.principal(header)
    assert caught.value.status == 401


def test_empty_staff_hash_admits_no_staff() -> None:
    # Given no staff token configured / Then no token (not even an empty one) is staff
    auth = Authenticator("", OwnerLookup(HOUSE_HASHES.get, PRODUCERS.get))
    with pytest.raises(Unauthorized):
        auth.principal(bearer(STAFF_TOKEN))


# --- check -----------------------------------------------------------------------------------


def test_house_on_its_own_route(auth: Authenticator) -> None:
    principal = auth.check((HOUSE_SELF, STAFF), bearer(HOUSE_TOKEN), {"houseId": HOUSE})
    assert principal == Principal(Role.HOUSE, HOUSE, HOUSE)


def test_staff_on_a_house_route(auth: Authenticator) -> None:
    assert auth.check((HOUSE_SELF, STAFF), bearer(STAFF_TOKEN), {"houseId": HOUSE}) == Principal(Role.STAFF)


def test_another_house_is_forbidden(auth: Authenticator) -> None:
    # Given a house's valid token / When it asks for another house / Then 403, not 401
    with pytest.raises(Forbidden) as caught:
        auth.check((HOUSE_SELF, STAFF), bearer(OTHER_HOUSE_TOKEN), {"houseId": HOUSE})
    assert caught.value.status == 403


def test_house_uses_its_own_producers_route(auth: Authenticator) -> None:
    # Given the house that owns a producer / Then ProducerSelf admits it
    principal = auth.check((PRODUCER_SELF,), bearer(HOUSE_TOKEN), {"producerId": HOUSE_PRODUCER})
    assert principal == Principal(Role.HOUSE, HOUSE, HOUSE)


def test_producer_uses_its_own_route(auth: Authenticator) -> None:
    principal = auth.check((PRODUCER_SELF,), bearer(HOUSE_PRODUCER_TOKEN), {"producerId": HOUSE_PRODUCER})
    assert principal is not None
    assert principal.id == HOUSE_PRODUCER


@pytest.mark.parametrize(
    ("token", "producer_id"),
    [
        (OTHER_HOUSE_TOKEN, HOUSE_PRODUCER),  # a house that does not own it
        (HOUSE_TOKEN, UTILITY),  # a utility has no house
        (HOUSE_TOKEN, "p-unknown00000"),
        (UTILITY_TOKEN, HOUSE_PRODUCER),  # another producer
        (STAFF_TOKEN, HOUSE_PRODUCER),  # staff is not the producer
    ],
)
def test_others_on_a_producer_route_are_forbidden(auth: Authenticator, token: str, producer_id: str) -> None:
    with pytest.raises(Forbidden):
        auth.check((PRODUCER_SELF,), bearer(token), {"producerId": producer_id})


def test_producer_is_not_its_house(auth: Authenticator) -> None:
    # Given a house's producer token / When it asks for its house's route / Then 403
    with pytest.raises(Forbidden):
        auth.check((HOUSE_SELF,), bearer(HOUSE_PRODUCER_TOKEN), {"houseId": HOUSE})


def test_missing_header_on_a_protected_route_is_unauthorized(auth: Authenticator) -> None:
    with pytest.raises(Unauthorized):
        auth.check((HOUSE_SELF, STAFF), None, {"houseId": HOUSE})


def test_malformed_header_on_a_protected_route_is_unauthorized(auth: Authenticator) -> None:
    with pytest.raises(Unauthorized):
        auth.check((STAFF,), "Basic x", {})


def test_anyone_route_accepts_no_header(auth: Authenticator) -> None:
    assert auth.check((ANYONE,), None, {}) is None
    assert auth.check((ANYONE, STAFF), "", {}) is None


def test_anyone_route_still_identifies_a_caller(auth: Authenticator) -> None:
    assert auth.check((ANYONE,), bearer(HOUSE_TOKEN), {}) == Principal(Role.HOUSE, HOUSE, HOUSE)


def test_anyone_route_lets_an_unverifiable_token_in_anonymously(auth: Authenticator) -> None:
    # Given a public route, When a token it cannot verify comes, Then the caller is anonymous
    assert auth.check((ANYONE,), bearer("pa-123.a-partner-token-unknown-here"), {}) is None
    assert auth.check((ANYONE,), bearer(HOUSE_TOKEN + "x"), {}) is None


def test_any_of_roles(auth: Authenticator) -> None:
    rules = (AnyOf((Role.HOUSE, Role.STAFF)),)
    assert auth.check(rules, bearer(OTHER_HOUSE_TOKEN), {}) == Principal(Role.HOUSE, OTHER_HOUSE, OTHER_HOUSE)
    with pytest.raises(Forbidden):
        auth.check(rules, bearer(UTILITY_TOKEN), {})


def test_describe_names_every_rule() -> None:
    text = describe((HOUSE_SELF, STAFF, AnyOf((Role.PRODUCER,))))
    assert text == "Who may call: the house {houseId} itself; staff; any producer."


# --- the meter head-end's token is staff too ----------------------------------------------------

HEAD_END_TOKEN = "head-end.a-long-enough-secret-of-the-head-end"


@pytest.fixture
def auth_with_head_end() -> Authenticator:
    owners = OwnerLookup(HOUSE_HASHES.get, PRODUCERS.get)
    return Authenticator(
        token_sha256(STAFF_TOKEN), owners, head_end_token_sha256=token_sha256(HEAD_END_TOKEN)
    )


def test_head_end_token_is_staff(auth_with_head_end: Authenticator) -> None:
    # Given an API that knows the head-end's token hash
    # When the head-end calls a staff route
    principal = auth_with_head_end.check((STAFF,), bearer(HEAD_END_TOKEN), {})
    # Then it is staff, and known as the head-end
    assert principal == Principal(Role.STAFF, HEAD_END)


def test_staff_token_still_works_beside_the_head_end(auth_with_head_end: Authenticator) -> None:
    assert auth_with_head_end.principal(bearer(STAFF_TOKEN)) == Principal(Role.STAFF)


def test_head_end_token_unknown_without_its_hash(auth: Authenticator) -> None:
    # Given an API without a head-end hash / Then the head-end's token is refused
    with pytest.raises(Unauthorized):
        auth.principal(bearer(HEAD_END_TOKEN))


@pytest.mark.parametrize("token", [HEAD_END_TOKEN + "x", token_sha256(HEAD_END_TOKEN), ""])
def test_wrong_head_end_token_is_unauthorized(auth_with_head_end: Authenticator, token: str) -> None:
    with pytest.raises(Unauthorized):
        auth_with_head_end.principal(bearer(token))


def test_empty_head_end_hash_admits_nobody() -> None:
    auth = Authenticator("", OwnerLookup(HOUSE_HASHES.get, PRODUCERS.get), head_end_token_sha256="")
    with pytest.raises(Unauthorized):
        auth.principal(bearer(HEAD_END_TOKEN))


# --- partners: known only where a partner store is given ----------------------------------------

PARTNER = "pa-aaaaaaaaaaaa"
OTHER_PARTNER = "pa-bbbbbbbbbbbb"
PARTNER_TOKEN = new_token(PARTNER)
OTHER_PARTNER_TOKEN = new_token(OTHER_PARTNER)
PARTNER_HASHES = {PARTNER: token_sha256(PARTNER_TOKEN), OTHER_PARTNER: token_sha256(OTHER_PARTNER_TOKEN)}


@pytest.fixture
def auth_with_partners() -> Authenticator:
    owners = OwnerLookup(HOUSE_HASHES.get, PRODUCERS.get, PARTNER_HASHES.get)
    return Authenticator(token_sha256(STAFF_TOKEN), owners)


def test_partner_token(auth_with_partners: Authenticator) -> None:
    assert auth_with_partners.principal(bearer(PARTNER_TOKEN)) == Principal(Role.PARTNER, PARTNER)


def test_partner_token_is_unknown_without_a_partner_store(auth: Authenticator) -> None:
    # Given an API that serves no partner (no partner lookup) / Then a partner's token is refused
    with pytest.raises(Unauthorized):
        auth.principal(bearer(PARTNER_TOKEN))


@pytest.mark.parametrize(
    "token",
    [
        new_token(PARTNER),  # right id, wrong secret
        new_token("pa-unknown000000"),
        f"{OTHER_PARTNER}.{PARTNER_TOKEN.partition('.')[2]}",  # another partner's id, this secret
        token_sha256(PARTNER_TOKEN),
    ],
)
def test_wrong_partner_token_is_unauthorized(auth_with_partners: Authenticator, token: str) -> None:
    with pytest.raises(Unauthorized):
        auth_with_partners.principal(bearer(token))


def test_partner_on_its_own_route(auth_with_partners: Authenticator) -> None:
    principal = auth_with_partners.check((PARTNER_SELF, STAFF), bearer(PARTNER_TOKEN), {"partnerId": PARTNER})
    assert principal == Principal(Role.PARTNER, PARTNER)


@pytest.mark.parametrize(
    "token",
    [OTHER_PARTNER_TOKEN, HOUSE_TOKEN, UTILITY_TOKEN, STAFF_TOKEN],
    ids=["another-partner", "a-house", "a-producer", "staff-is-not-the-partner"],
)
def test_others_on_a_partner_only_route_are_forbidden(auth_with_partners: Authenticator, token: str) -> None:
    with pytest.raises(Forbidden):
        auth_with_partners.check((PARTNER_SELF,), bearer(token), {"partnerId": PARTNER})


def test_a_partner_is_not_staff_nor_a_house(auth_with_partners: Authenticator) -> None:
    with pytest.raises(Forbidden):
        auth_with_partners.check((STAFF,), bearer(PARTNER_TOKEN), {})
    with pytest.raises(Forbidden):
        auth_with_partners.check((HOUSE_SELF,), bearer(PARTNER_TOKEN), {"houseId": PARTNER})


def test_describe_names_the_partner_rule() -> None:
    assert describe((PARTNER_SELF, STAFF)) == "Who may call: the partner {partnerId} itself; staff."
