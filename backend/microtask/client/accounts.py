"""An account's balances, in its wallet and in the escrow's ledger, per token.

Unlike the parties, this needs no escrow: on a network where none is deployed the ledger
balances are None.

Example::

    for balance in account_balances(settings, "local", "0x70997970...79C8", ["dUSD"]):
        print(balance.token.symbol, balance.wallet, balance.ledger)
"""

from __future__ import annotations

from web3 import Web3

from microtask.chain.deployments import DeploymentStore
from microtask.chain.erc20 import erc20
from microtask.chain.networks import connect
from microtask.chain.rpc import Web3Caller
from microtask.client.results import Balance
from microtask.client.token_lookup import deployed_tokens, listed_tokens
from microtask.config import Settings


def account_balances(
    settings: Settings, network: str, address: str, tokens: list[str] | None = None
) -> list[Balance]:
    """ETH and ``tokens`` (addresses or deployed symbols; None: every deployed token)."""
    connection = connect(settings, network)
    w3 = connection.w3
    store = DeploymentStore(settings.deployments_dir, network)
    store.guard_chain_id(connection.chain_id)
    record = store.find_escrow()
    owner = Web3.to_checksum_address(address)
    escrow = None
    if record is not None:
        escrow = w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=record.abi)
    balances = []
    chain = Web3Caller(w3)
    for token in listed_tokens(chain, deployed_tokens(chain, store.records()), tokens):
        if token.is_eth:
            wallet = int(w3.eth.get_balance(owner))
        else:
            wallet = int(erc20(w3, token.address).functions.balanceOf(owner).call())
        ledger = None
        if escrow is not None:
            ledger = int(escrow.functions.balanceOf(token.address, owner).call())
        balances.append(Balance(token, wallet, ledger))
    return balances
