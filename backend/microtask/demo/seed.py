"""Seed a local chain with a stablecoin, funded accounts and a few tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_contract
from microtask.chain.deployments import DeploymentStore
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskEscrowClient, TaskParams
from microtask.chain.transactions import TransactionSender
from microtask.content import ContentStore
from microtask.manifests import TaskManifest
from microtask.manifests.sealing import public_key_of

COIN_NAME = "Demo Dollar"
COIN_SYMBOL = "dUSD"
COIN_DECIMALS = 6
UNIT = 10**COIN_DECIMALS
GRANT = 10_000 * UNIT  # minted to each funded dev account
FUNDED_ACCOUNTS = range(1, 10)
REQUESTER_INDEX = 1
IMAGES = ("circle-red", "square-blue", "triangle-green", "circle-blue", "square-red")
REVIEWS = (
    "Arrived early and works exactly as described.",
    "The strap broke after two days. Would not buy again.",
    "Decent value for the price, nothing special.",
    "Customer support never answered my emails.",
    "Best headphones I have owned; the battery lasts forever.",
    "It is fine.",
)
PHRASES = (
    "the quick brown fox jumps over the lazy dog",
    "please call me back after five",
    "turn left at the second traffic light",
    "the meeting moved to thursday morning",
)


@dataclass
class DemoMarketplace:
    """What the demo put on chain, for `microtask up` to print."""

    token: str
    requester: str
    task_ids: list[int] = field(default_factory=list)
    seeded: bool = False


def _image_bytes(name: str) -> bytes:
    return resources.files("microtask.demo").joinpath("images", f"{name}.png").read_bytes()


def _base(requester: LocalAccount, title: str, instructions: str) -> dict[str, Any]:
    return {
        "type": "microtask/task-manifest",
        "title": title,
        "instructions": instructions,
        "language": "en",
        "requester": requester.address,
        "requester_public_key": "0x" + public_key_of(bytes(requester.key)).hex(),
    }


def demo_manifests(store: ContentStore, requester: LocalAccount) -> list[TaskManifest]:
    """Three realistic tasks; the shape images are uploaded to ``store`` first."""
    images = [(name, str(store.add_bytes(_image_bytes(name)))) for name in IMAGES]
    shapes = {
        **_base(
            requester,
            "Which shape is in the picture?",
            "Each image shows **one** shape. Pick circle, square or triangle; ignore the colour.",
        ),
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [
                {"id": "circle", "text": "Circle"},
                {"id": "square", "text": "Square"},
                {"id": "triangle", "text": "Triangle"},
            ],
        },
        "inputs": {
            "source": "inline",
            "items": [{"id": name, "media": [cid]} for name, cid in images],
        },
        "redundancy": 2,
        "tags": ["images", "shapes"],
        "time_estimate_seconds": 10,
    }
    sentiment = {
        **_base(
            requester,
            "Is this product review positive or negative?",
            "Read the review and pick its overall sentiment. Pick *neutral* only if it is neither.",
        ),
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [
                {"id": "positive", "text": "Positive"},
                {"id": "neutral", "text": "Neutral"},
                {"id": "negative", "text": "Negative"},
            ],
        },
        "inputs": {
            "source": "inline",
            "items": [{"id": f"review-{i}", "data": {"text": t}} for i, t in enumerate(REVIEWS)],
        },
        "redundancy": 3,
        "tags": ["text", "sentiment"],
        "time_estimate_seconds": 20,
    }
    transcription = {
        **_base(
            requester,
            "Check and correct a machine transcription",
            "Each item has a speech recogniser's guess. Write the sentence as it should read, "
            "lower case, no punctuation.",
        ),
        "kind": "transcription",
        "answer_schema": {"kind": "transcription", "max_length": 200},
        "inputs": {
            "source": "inline",
            "items": [
                {"id": f"clip-{i}", "data": {"machine_guess": p.replace("the ", "a ", 1)}}
                for i, p in enumerate(PHRASES)
            ],
        },
        "redundancy": 1,
        "tags": ["text", "transcription"],
        "time_estimate_seconds": 45,
    }
    return [TaskManifest.model_validate(m) for m in (shapes, sentiment, transcription)]


def seed_demo(
    w3: Web3,
    escrow: TaskEscrowClient,
    project: CompiledProject,
    store: DeploymentStore,
    content: ContentStore,
) -> DemoMarketplace:
    """Deploy the stablecoin, fund the dev accounts and post the tasks, unless done already."""
    owner = dev_accounts()[0]
    requester = dev_accounts()[REQUESTER_INDEX]
    sender = TransactionSender(w3, owner)
    token_artifact = project.get("MockERC20")
    outcome = deploy_contract(
        sender, store, token_artifact, [COIN_NAME, COIN_SYMBOL, COIN_DECIMALS]
    )
    token = w3.eth.contract(
        address=Web3.to_checksum_address(outcome.record.address), abi=token_artifact.abi
    )
    market = DemoMarketplace(token=token.address, requester=requester.address)
    existing = escrow.task_count()
    if existing:
        market.task_ids = list(range(1, existing + 1))
        return market

    for index in FUNDED_ACCOUNTS:
        sender.transact(token.functions.mint(dev_accounts()[index].address, GRANT))
    posting = escrow.as_signer(requester)
    deadline = latest_timestamp(w3) + 14 * 24 * 3600
    rewards = (50_000, 80_000, 250_000)  # 0.05, 0.08 and 0.25 dUSD per slot
    for manifest, reward in zip(demo_manifests(content, requester), rewards, strict=True):
        cid = content.add_json(manifest.model_dump(mode="json"))
        params = TaskParams(
            manifest_cid=bytes(cid),
            reward=reward,
            slots=manifest.slot_count,
            deadline=deadline,
            review_period=24 * 3600,
            lease=30 * 60,
            token=token.address,
        )
        task_id, _ = posting.create_task(params)
        market.task_ids.append(task_id)
    market.seeded = True
    return market
