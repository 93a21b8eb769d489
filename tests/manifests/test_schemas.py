"""The published JSON Schemas are the models' own, and say what the wire looks like."""

from __future__ import annotations

import json

import pytest

from microtask.manifests import DOCUMENTS, json_schema
from microtask.manifests.documents import PUBLISHED_SCHEMAS, schema_text


@pytest.mark.parametrize("name", DOCUMENTS)
def test_published_schemas_are_up_to_date(name: str) -> None:
    published = PUBLISHED_SCHEMAS / f"{name}.schema.json"
    regenerate = f"microtask manifest schema --out {PUBLISHED_SCHEMAS}"
    assert published.read_text(encoding="utf-8") == schema_text(name), (
        f"{published} is stale: regenerate with `{regenerate}`"
    )


def test_schemas_identify_themselves_and_their_limits() -> None:
    schema = json_schema("task-manifest")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:microtask:schema:task-manifest:1"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["title"]["maxLength"] == 200
    items = schema["$defs"]["InlineInputs"]["properties"]["items"]
    assert items["maxItems"] == 1000
    envelope = json_schema("submission-envelope")
    assert envelope["properties"]["signature"]["pattern"] == "^0x([0-9a-fA-F]{2})*$"
    sealed = envelope["$defs"]["SealedPayload"]["properties"]
    assert sealed["ciphertext"]["contentEncoding"] == "base64"
    json.dumps(schema)  # plain JSON, nothing Python-specific
