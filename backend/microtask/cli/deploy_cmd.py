"""`microtask deploy`: compile, deploy and record the platform's contracts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from microtask.cli import console
from microtask.cli.context import settings_of, signer_for

if TYPE_CHECKING:
    from microtask.chain.deployer import DeployOutcome
    from microtask.chain.deployments import DeploymentStore


def report(ctx: typer.Context, outcomes: list[DeployOutcome], store: DeploymentStore) -> None:
    data = [
        {
            "contract": o.record.contract_name,
            "address": o.record.address,
            "action": o.action,
            "reason": o.reason,
            "record": str(store.path_of(o.record.contract_name)),
        }
        for o in outcomes
    ]
    console.emit(ctx, data, lambda: _print(outcomes, store))


def _print(outcomes: list[DeployOutcome], store: DeploymentStore) -> None:
    for outcome in outcomes:
        record = outcome.record
        if outcome.action == "deployed":
            console.success(
                f"{record.contract_name} deployed at {record.address} "
                f"(block {record.block_number}, {outcome.reason})"
            )
        else:
            console.success(f"{record.contract_name} unchanged: {outcome.reason}")
    console.info(f"records: {store.directory}")


def deploy_command(
    ctx: typer.Context,
    network: str = typer.Option("local", "--network", "-n", help="Network name to deploy to."),
    account: str | None = typer.Option(
        None, "--account", "-a", help="Keystore account that signs (default: dev account 0)."
    ),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="Override the network's RPC URL."),
    force: bool = typer.Option(False, "--force", help="Redeploy even if the code is unchanged."),
) -> None:
    """Compile and deploy the contracts, recording them under deployments/NETWORK/.

    Example: microtask deploy --network local
    """
    from microtask.chain.compiler import compile_project
    from microtask.chain.deployer import deploy_platform, platform_plan
    from microtask.chain.deployments import DeploymentStore
    from microtask.chain.networks import connect
    from microtask.chain.transactions import TransactionSender

    settings = settings_of(ctx)
    signer = signer_for(settings, network, account)
    project = compile_project(settings)
    connection = connect(settings, network, url=rpc_url)
    store = DeploymentStore(settings.deployments_dir, network)
    store.guard_chain_id(connection.chain_id)
    sender = TransactionSender(connection.w3, signer)
    outcomes = deploy_platform(
        sender, store, project, plan=platform_plan(settings.escrow), force=force
    )
    report(ctx, outcomes, store)
