"""Login, the viewer, users and tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.auth import InvalidToken, Principal, Role, issue_token, read_token, verify_password
from app.core.config import Settings
from tests.support import GraphQLClient, error_codes

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    token user { id email role lastLoginAt } userErrors { field code message }
  }
}
"""
CREATE_USER = """
mutation($input: CreateUserInput!) {
  createUser(input: $input) { user { id email role } userErrors { field code } }
}
"""
CREATE_PARTNER = """
mutation($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } } }
"""
ARCHIVE_USER = """
mutation($input: ArchiveInput!) { archiveUser(input: $input) { userErrors { field code } } }
"""
ME = "{ me { id role name partner { code } } }"
USERS = "{ users { totalCount edges { node { email } } } }"


async def make_partner_user(gql: GraphQLClient) -> dict:
    partner = (await gql.mutate(CREATE_PARTNER, {"name": "Cool Fix", "code": "CF"}))["partner"]
    payload = await gql.mutate(
        CREATE_USER,
        {
            "email": "Ops@CoolFix.example",
            "name": "Ops",
            "role": "PARTNER",
            "password": "s3cret-pass",
            "partnerId": partner["id"],
        },
    )
    assert payload["userErrors"] == []
    return payload["user"]


async def test_a_stored_user_logs_in_and_the_token_identifies_them(gql: GraphQLClient) -> None:
    user = await make_partner_user(gql)
    login = await gql.as_role(None).mutate(
        LOGIN, {"email": "ops@coolfix.example", "password": "s3cret-pass"}
    )

    assert login["userErrors"] == [] and login["user"]["id"] == user["id"]
    assert login["user"]["lastLoginAt"] is not None
    response = await gql.http.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {login['token']}"}
    )
    assert response.json()["data"]["me"] == {
        "id": user["id"],
        "role": "PARTNER",
        "name": "Ops",
        "partner": {"code": "CF"},
    }


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    gql: GraphQLClient,
) -> None:
    await make_partner_user(gql)
    anonymous = gql.as_role(None)
    wrong = await anonymous.mutate(LOGIN, {"email": "ops@coolfix.example", "password": "nope-nope"})
    unknown = await anonymous.mutate(LOGIN, {"email": "who@example.com", "password": "nope-nope"})

    assert wrong["token"] is None
    assert wrong["userErrors"] == unknown["userErrors"]
    assert error_codes(wrong) == ["UNAUTHENTICATED"]


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash login verifies against, in order."""
    from app.users import service

    seen: list[str] = []

    def counting(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return verify_password(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)
    return seen


async def test_an_unknown_email_costs_a_password_verification_like_a_wrong_password(
    gql: GraphQLClient, verifications: list[str]
) -> None:
    await make_partner_user(gql)
    anonymous = gql.as_role(None)

    await anonymous.mutate(LOGIN, {"email": "ops@coolfix.example", "password": "nope-nope"})
    await anonymous.mutate(LOGIN, {"email": "who@example.com", "password": "nope-nope"})
    await anonymous.mutate(LOGIN, {"email": "who-else@example.com", "password": "nope-nope"})

    (stored, dummy, same_dummy) = verifications
    assert dummy.startswith("$argon2") and dummy != stored
    assert same_dummy == dummy  # the dummy hash is made once per process


async def test_an_archived_account_gets_the_same_answer_after_the_same_work(
    gql: GraphQLClient, verifications: list[str]
) -> None:
    user = await make_partner_user(gql)
    archived = await gql.mutate(ARCHIVE_USER, {"id": user["id"]})
    assert archived["userErrors"] == []
    anonymous = gql.as_role(None)

    right = await anonymous.mutate(
        LOGIN, {"email": "ops@coolfix.example", "password": "s3cret-pass"}
    )
    unknown = await anonymous.mutate(LOGIN, {"email": "who@example.com", "password": "s3cret-pass"})

    assert right["token"] is None and right["userErrors"] == unknown["userErrors"]
    assert len(verifications) == 2


async def test_a_technician_user_needs_a_technician_link(gql: GraphQLClient) -> None:
    payload = await gql.mutate(
        CREATE_USER,
        {"email": "t@example.com", "name": "T", "role": "TECHNICIAN", "password": "long-enough"},
    )
    assert payload["userErrors"] == [{"field": ["technician_id"], "code": "INVALID"}]


async def test_duplicate_emails_are_refused_whatever_their_case(gql: GraphQLClient) -> None:
    await make_partner_user(gql)
    again = await gql.mutate(
        CREATE_USER,
        {"email": "OPS@coolfix.example", "name": "X", "role": "ADMIN", "password": "long-enough"},
    )
    assert error_codes(again) == ["DUPLICATE"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (None, False),
        (Role.CUSTOMER, False),
        (Role.TECHNICIAN, False),
        (Role.PARTNER, False),
        (Role.DISPATCHER, False),
        (Role.MANAGER, True),
        (Role.ADMIN, True),
    ],
)
async def test_who_may_list_users(gql: GraphQLClient, role: Role | None, allowed: bool) -> None:
    body = await gql.as_role(role).raw(USERS)
    if allowed:
        assert body["data"]["users"]["totalCount"] == 0
    else:
        expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
        assert body["errors"][0]["extensions"]["code"] == expected


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER, Role.DISPATCHER, Role.MANAGER]
)
async def test_only_admins_create_users(gql: GraphQLClient, role: Role) -> None:
    payload = await gql.as_role(role).mutate(
        CREATE_USER,
        {"email": "x@example.com", "name": "X", "role": "ADMIN", "password": "long-enough"},
    )
    assert error_codes(payload) == ["FORBIDDEN"] and payload["user"] is None


async def test_me_needs_a_token(gql: GraphQLClient) -> None:
    body = await gql.as_role(None).raw(ME)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_tokens_round_trip_and_expire(settings: Settings) -> None:
    principal = Principal(
        subject="user:7", role=Role.TECHNICIAN, name="Asha", user_id=7, technician_id=3
    )
    assert read_token(settings, issue_token(settings, principal)) == principal
    with pytest.raises(InvalidToken):
        read_token(settings, issue_token(settings, principal, ttl=timedelta(seconds=-1)))


def test_tokens_for_another_audience_are_refused(settings: Settings) -> None:
    other = Settings(**{**settings.model_dump(), "jwt_audience": "someone-else"})
    with pytest.raises(InvalidToken):
        read_token(settings, issue_token(other, Principal(subject="x", role=Role.ADMIN)))


async def test_the_viewer_shows_the_technician_or_customer_a_user_stands_for(
    gql: GraphQLClient, session: object
) -> None:
    from app.core.geo import point_value
    from app.customers.models import Customer
    from app.technicians.models import Technician

    technician = Technician(name="Asha Rao", home_base=point_value(12.97, 77.59))
    customer = Customer(name="Ravi Kumar")
    session.add_all([technician, customer])  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    query = "{ me { role technician { name } customer { name } partner { name } } }"

    as_technician = await gql.as_role(Role.TECHNICIAN, technician_id=technician.id)(query)
    as_customer = await gql.as_role(Role.CUSTOMER, customer_id=customer.id)(query)

    assert as_technician["me"] == {
        "role": "TECHNICIAN",
        "technician": {"name": "Asha Rao"},
        "customer": None,
        "partner": None,
    }
    assert as_customer["me"]["customer"] == {"name": "Ravi Kumar"}
