"""Who the connected address is to the escrow: its owner, an arbitrator.

The header links to the operator's and the arbitrator's pages only for those addresses, and
those pages answer 403 to anyone else. That is a view rule, not the security: the address
comes from a cookie the script sets, and what the pages offer are transactions the wallet
signs, which the escrow refuses from anyone but the owner (``onlyOwner``) or the task's
arbitrator (``NotArbitrator``). The header reads the index (one cheap query per page); the
operator's page asks the chain itself who owns the escrow (`escrow_owner`), since the index
may lag a transfer of ownership.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from microtask.api.state import ApiState
from microtask.db.models import EscrowState, Task
from microtask.web.site import Site


@dataclass(frozen=True)
class Roles:
    """What the connected address may see besides the worker's and requester's pages."""

    owner: bool = False
    arbitrator: bool = False


def roles_of(state: ApiState, address: str | None) -> Roles:
    """``address``'s roles as the index knows them (none without a connected wallet)."""
    if address is None:
        return Roles()
    with state.sessions() as session:
        escrow = session.scalars(select(EscrowState)).first()
        named = session.scalar(
            select(exists(select(Task.task_id).where(Task.arbitrator == address)))
        )
    return Roles(
        owner=escrow is not None and escrow.owner == address,
        arbitrator=bool(named) or (escrow is not None and escrow.default_arbitrator == address),
    )


def escrow_owner(site: Site, state: ApiState) -> str | None:
    """The escrow's owner, from the chain when the site has one, else from the index."""
    if site.platform is not None:
        return site.platform.reader.owner()
    with state.sessions() as session:
        escrow = session.scalars(select(EscrowState)).first()
        return escrow.owner if escrow else None
