"""GraphQL factories for customers, sites, product models, assets and contracts."""

from __future__ import annotations

from typing import Any

from schema.ids import split_id
from tests.support import GraphQLClient

CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id name type email phone externalRef language preferredChannels version }
    userErrors { field message code }
  }
}
"""
CREATE_SITE = """
mutation($input: CreateSiteInput!) {
  createSite(input: $input) {
    site { id name city country accessNotes location { lat lng } customer { id } version }
    userErrors { field message code }
  }
}
"""
CREATE_PRODUCT_MODEL = """
mutation($input: CreateProductModelInput!) {
  createProductModel(input: $input) {
    productModel { id code name category warrantyMonths version }
    userErrors { field message code }
  }
}
"""
REGISTER_ASSET = """
mutation($input: RegisterAssetInput!) {
  registerAsset(input: $input) {
    asset {
      id serialNumber soldOn installedOn warrantyExpiresOn ewarrantyCertificate
      ewarrantyRegisteredOn version site { id } customer { id } productModel { code }
    }
    userErrors { field message code }
  }
}
"""
CREATE_CONTRACT = """
mutation($input: CreateContractInput!) {
  createContract(input: $input) {
    contract {
      id number kind startsOn endsOn coversLabour coversParts slaResponseHours
      slaResolutionHours version coveredAssets { id } coveredSites { id } customer { id }
    }
    userErrors { field message code }
  }
}
"""

BANGALORE = {"lat": 12.9716, "lng": 77.5946}


def db_id(global_id: str) -> int:
    parts = split_id(global_id)
    assert parts is not None
    return parts[1]


async def ok(gql: GraphQLClient, document: str, input: dict[str, Any], key: str) -> dict[str, Any]:
    payload = await gql.mutate(document, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    result: dict[str, Any] = payload[key]
    return result


async def customer(gql: GraphQLClient, name: str = "Asha Rao", **extra: Any) -> dict[str, Any]:
    return await ok(gql, CREATE_CUSTOMER, {"name": name, **extra}, "customer")


async def site(
    gql: GraphQLClient, customer_id: str, name: str = "Home", **extra: Any
) -> dict[str, Any]:
    values = {
        "customerId": customer_id,
        "name": name,
        "addressLine": "12 MG Road",
        "city": "Bengaluru",
        "point": BANGALORE,
        **extra,
    }
    return await ok(gql, CREATE_SITE, values, "site")


async def product_model(
    gql: GraphQLClient, code: str = "AC-1500", warranty_months: int = 12, **extra: Any
) -> dict[str, Any]:
    values = {
        "code": code,
        "name": f"Model {code}",
        "category": "HVAC",
        "warrantyMonths": warranty_months,
        **extra,
    }
    return await ok(gql, CREATE_PRODUCT_MODEL, values, "productModel")


async def asset(
    gql: GraphQLClient, site_id: str, product_model_id: str, serial: str = "SN-1", **extra: Any
) -> dict[str, Any]:
    values = {
        "siteId": site_id,
        "productModelId": product_model_id,
        "serialNumber": serial,
        **extra,
    }
    return await ok(gql, REGISTER_ASSET, values, "asset")


async def contract(gql: GraphQLClient, customer_id: str, **extra: Any) -> dict[str, Any]:
    values = {
        "customerId": customer_id,
        "kind": "AMC",
        "startsOn": "2026-01-01",
        "endsOn": "2026-12-31",
        **extra,
    }
    return await ok(gql, CREATE_CONTRACT, values, "contract")


async def household(
    gql: GraphQLClient, name: str = "Asha Rao", serial: str = "SN-1"
) -> dict[str, Any]:
    """A customer with one site and one asset of a fresh product model."""
    owner = await customer(gql, name)
    home = await site(gql, owner["id"])
    model = await product_model(gql, code=f"M-{serial}")
    unit = await asset(gql, home["id"], model["id"], serial, soldOn="2026-01-15")
    return {"customer": owner, "site": home, "model": model, "asset": unit}
