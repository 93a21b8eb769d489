"""The demo marketplace: a stablecoin, funded accounts and three valid tasks, once."""

from __future__ import annotations

from pathlib import Path

from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_platform
from microtask.chain.deployments import DeploymentStore
from microtask.chain.erc20 import erc20
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.transactions import TransactionSender
from microtask.content import LocalStore, parse_cid
from microtask.demo import seed_demo
from microtask.demo.seed import GRANT, IMAGES
from microtask.manifests import TaskManifest, parse_as


def test_seeding_posts_three_valid_tasks_once(
    anvil_w3: Web3, compiled: CompiledProject, tmp_path: Path
) -> None:
    store = DeploymentStore(tmp_path / "deployments", "local")
    deploy_platform(TransactionSender(anvil_w3, dev_accounts()[0]), store, compiled)
    escrow = TaskEscrowClient.from_deployment(anvil_w3, store, dev_accounts()[0])
    content = LocalStore(tmp_path / "content")

    market = seed_demo(anvil_w3, escrow, compiled, store, content)
    assert market.seeded
    assert market.task_ids == [1, 2, 3]
    assert store.load("MockERC20").address == market.token
    token = erc20(anvil_w3, market.token)
    assert token.functions.symbol().call() == "dUSD"
    for account in dev_accounts()[2:10]:
        assert token.functions.balanceOf(account.address).call() == GRANT

    slot_counts = []
    for task_id in market.task_ids:
        task = escrow.task(task_id)
        [created] = escrow.logs("TaskCreated", from_block=0, task_id=task_id)
        manifest = parse_as(TaskManifest, content.cat(parse_cid(bytes(created["manifestCid"]))))
        assert manifest.slot_count == task.slot_count
        assert manifest.requester == market.requester
        slot_counts.append(task.slot_count)
    assert slot_counts == [len(IMAGES) * 2, 6 * 3, 4]
    # the shape task's images are in the store, as PNGs
    [created] = escrow.logs("TaskCreated", from_block=0, task_id=1)
    shapes = parse_as(TaskManifest, content.cat(parse_cid(bytes(created["manifestCid"]))))
    first_image = shapes.inputs.items[0].media[0]  # type: ignore[union-attr]
    assert content.cat(first_image).startswith(b"\x89PNG")

    again = seed_demo(anvil_w3, escrow, compiled, store, content)
    assert not again.seeded
    assert again.task_ids == [1, 2, 3]
    assert escrow.task_count() == 3
