"""`Platform`'s reads on the embedded chain: time, tokens, and the escrow for a signer."""

from __future__ import annotations

import pytest

from microtask.chain.devchain import latest_timestamp
from microtask.chain.rpc import Web3Caller
from microtask.client import Requester, SignerRequired, Worker
from tests.client.conftest import ALICE, REQUESTER, Chain
from tests.client.test_requester import post


def test_time_tokens_and_who_sends(chain: Chain) -> None:
    platform = chain.platform
    assert platform.now() == latest_timestamp(chain.w3)
    assert platform.connection.chain_id == platform.chain_id == chain.w3.eth.chain_id
    assert isinstance(platform.caller, Web3Caller)  # the embedded chain has no URL
    assert platform.deployed_tokens() == {"TUSD": chain.token.address}
    assert [t.symbol for t in platform.listed_tokens()] == ["ETH", "TUSD"]
    assert [t.symbol for t in platform.listed_tokens([])] == ["ETH"]
    assert [t.symbol for t in platform.listed_tokens(["tusd", chain.token.address])] == [
        "ETH",
        "TUSD",
        "TUSD",  # asked twice by two names: the listing shows what was asked
    ]
    token = platform.token_at(chain.token.address)
    assert platform.token_at(chain.token.address) is token  # read once
    task_id = post(chain, 1).task_id
    assert Requester(platform, REQUESTER).task_token(task_id) == token
    assert platform.escrow_for(ALICE).account.address == ALICE.address
    assert Worker(platform, ALICE).account("claiming") is ALICE
    with pytest.raises(SignerRequired, match="claiming needs"):
        Worker(platform, address=ALICE.address).account("claiming")
    profile_reader = Worker(platform, address=ALICE.address)
    assert profile_reader.receipts.directory.name == ALICE.address.lower()
