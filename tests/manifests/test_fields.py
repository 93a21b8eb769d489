"""The memoised normalisations of document fields (and the API's addresses) answer as
the uncached ones did, and never remember a refusal."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from microtask.api.params import checksummed
from microtask.manifests.fields import Address, CidText, PublicKey
from tests.manifests.conftest import MANIFEST_CID, MEDIA_CID, REQUESTER, public_key

CHECKSUMMED = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
BAD_CHECKSUM = "0x5fbDB2315678afecb367f032d93F642f64180aa3"  # one letter's case flipped


class Fields(BaseModel):
    address: Address
    cid: CidText
    key: PublicKey


def test_every_spelling_normalises_the_same_however_often() -> None:
    key = public_key(REQUESTER)
    compressed = "0x" + ("03" if int(key[-2:], 16) % 2 else "02") + key[4:68]
    v1 = "bafybeiaysi4s6lnjev27ln5icwm6tueaw2vdykrtjkwiphwekaywqhcjze"
    for _ in range(3):
        for address in (CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper()):
            fields = Fields(address=address, cid=f" /ipfs/{MEDIA_CID}", key=compressed)
            assert fields.address == CHECKSUMMED
            assert fields.cid == MEDIA_CID
            assert fields.key == key
        assert Fields(address=CHECKSUMMED, cid=MANIFEST_CID, key=key).cid == MANIFEST_CID
        assert Fields(address=CHECKSUMMED, cid=v1.upper(), key=key).cid == v1


@pytest.mark.parametrize(
    ("field", "bad"),
    [("address", "0x1234"), ("cid", "QmNotACid"), ("key", "0x04" + "00" * 64)],
)
def test_a_refusal_is_not_remembered_as_an_answer(field: str, bad: str) -> None:
    good = {"address": CHECKSUMMED, "cid": MEDIA_CID, "key": public_key(REQUESTER)}
    for _ in range(3):
        with pytest.raises(ValidationError):
            Fields(**{**good, field: bad})
        assert Fields(**good).address == CHECKSUMMED


def test_the_api_refuses_a_bad_checksum_every_time() -> None:
    for _ in range(3):
        with pytest.raises(ValueError, match="invalid EIP-55 checksum"):
            checksummed(BAD_CHECKSUM)
        assert checksummed(CHECKSUMMED.lower()) == CHECKSUMMED
