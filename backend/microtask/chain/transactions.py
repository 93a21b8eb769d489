"""Send transactions signed in this process, and report reverts in words.

Keys never leave the wallet process: transactions are signed locally with eth-account and
sent raw, so the same code works against anvil, the embedded chain and any public node.
Fees follow EIP-1559. Gas is estimated first, so a call that would revert is refused
before anything is spent, with the contract's custom error decoded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from eth_typing import HexStr
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import TxParams, TxReceipt, Wei

from microtask.chain.reverts import TransactionReverted, decode_revert, revert_data

RECEIPT_TIMEOUT_SECONDS = 120.0


class TransactionSender:
    """Signs and sends transactions for one account on one chain."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        error_abis: Sequence[Sequence[Mapping[str, Any]]] = (),
    ) -> None:
        self.w3 = w3
        self.account = account
        self.error_abis = list(error_abis)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def _fees(self) -> dict[str, Wei]:
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        priority = int(self.w3.eth.max_priority_fee)
        return {
            "maxPriorityFeePerGas": Wei(priority),
            "maxFeePerGas": Wei(2 * base_fee + priority),
        }

    def _base_params(self, value: int) -> TxParams:
        params: TxParams = {
            "from": self.account.address,
            "value": Wei(value),
            "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
            "chainId": self.w3.eth.chain_id,
        }
        params.update(self._fees())  # type: ignore[typeddict-item]
        return params

    def build(self, call: ContractFunction | ContractConstructor, *, value: int = 0) -> TxParams:
        """A complete, unsigned transaction; raises `TransactionReverted` if it would fail.

        Reverts are decoded with the called contract's ABI and the sender's ``error_abis``
        (errors raised by contracts the call reaches, such as a token).
        """
        try:
            return call.build_transaction(self._base_params(value))
        except (ContractLogicError, TransactionFailed) as error:
            abis = [_contract_abi(call), *self.error_abis]
            raise decode_revert(revert_data(error), abis) from None

    def build_call(
        self,
        to: str,
        data: bytes,
        abi: Sequence[Mapping[str, Any]],
        *,
        value: int = 0,
    ) -> TxParams:
        """`build` for calldata encoded already (`calldata.FunctionEncoder`): the same
        transaction web3 builds, its gas estimated the same way, so a call that would revert
        is refused here too, decoded with the called contract's ``abi``."""
        transaction = self._base_params(value)
        transaction["to"] = Web3.to_checksum_address(to)
        transaction["data"] = HexStr("0x" + data.hex())
        try:
            transaction["gas"] = self.w3.eth.estimate_gas(transaction)
        except (ContractLogicError, TransactionFailed) as error:
            raise decode_revert(revert_data(error), [abi, *self.error_abis]) from None
        return transaction

    def send(self, transaction: TxParams) -> TxReceipt:
        """Sign, send and await one transaction."""
        signed = self.account.sign_transaction(dict(transaction))  # type: ignore[arg-type]
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_SECONDS)
        if receipt["status"] != 1:
            raise TransactionReverted(
                f"transaction {tx_hash.to_0x_hex()} reverted on chain", args={}
            )
        return receipt

    def transact(
        self, call: ContractFunction | ContractConstructor, *, value: int = 0
    ) -> TxReceipt:
        """Build, sign, send and await ``call``."""
        return self.send(self.build(call, value=value))


def _contract_abi(call: ContractFunction | ContractConstructor) -> Sequence[Mapping[str, Any]]:
    """The whole ABI of the called contract (a function's ``abi`` is only its own entry)."""
    if isinstance(call, ContractFunction):
        return call.contract_abi
    return call.abi
