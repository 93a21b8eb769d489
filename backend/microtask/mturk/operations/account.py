"""``GetAccountBalance``: what the requester can spend on new HITs.

``AvailableBalance`` is the requester's wallet balance in the HITs' stablecoin, in
dollars with two decimals (rounded down): what creating a HIT takes its rewards and fee
from. Money held for HITs is in the escrow, not in the balance, as on MTurk; refunds come
back to the wallet as the gateway reclaims them.
"""

from __future__ import annotations

from typing import Any

from microtask.mturk.gateway import Gateway, operation
from microtask.mturk.wire import Params


@operation("GetAccountBalance")
def get_account_balance(gateway: Gateway, params: Params) -> dict[str, Any]:
    balance = gateway.requester.wallet_balance(gateway.token)
    return {"AvailableBalance": gateway.dollars(balance)}
