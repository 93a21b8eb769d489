"""Seed a local chain with a stablecoin, funded accounts and a few tasks.

The tasks name the platform's verifier (dev account 2, which `microtask up` runs) with its
public key, so submissions are sealed to it too and it judges them. The shapes and
sentiment tasks are done entirely through signed receipts (workers need no gas) and carry
gold items sealed to the verifier; the transcription task is claimed on chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from microtask.chain.accounts import dev_accounts, dev_verifier
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_contract
from microtask.chain.deployments import DeploymentStore
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.transactions import TransactionSender
from microtask.content import ContentStore
from microtask.escrow import TaskParams
from microtask.manifests import TaskManifest
from microtask.manifests.answers import ClassificationAnswer
from microtask.manifests.gold import seal_gold_answer
from microtask.manifests.sealing import public_key_of
from microtask.quality import QualityRule, TimingRule
from microtask.verifier import Policy, Replayed, VerifierService
from microtask.verifier.typed_data import VerifierCommand, payload_hash

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
SENTIMENT_TRUTH = ("positive", "negative", "neutral", "negative", "positive", "neutral")
"""What each review says; the first two are the task's gold items."""
SHAPE_TRUTH = {"circle-red": "circle", "square-blue": "square"}
"""The shape task's gold items."""
RECEIPT_TASKS = 2
"""The first two demo tasks are done through receipts only; the third is claimed on chain."""


@dataclass
class DemoMarketplace:
    """What the demo put on chain, for `microtask up` to print."""

    token: str
    requester: str
    task_ids: list[int] = field(default_factory=list)
    seeded: bool = False


def _image_bytes(name: str) -> bytes:
    return resources.files("microtask.demo").joinpath("images", f"{name}.png").read_bytes()


def _public_key(account: LocalAccount) -> str:
    return "0x" + public_key_of(bytes(account.key)).hex()


def _base(requester: LocalAccount, title: str, instructions: str) -> dict[str, Any]:
    verifier = dev_verifier()
    return {
        "type": "microtask/task-manifest",
        "title": title,
        "instructions": instructions,
        "language": "en",
        "requester": requester.address,
        "requester_public_key": _public_key(requester),
        "verifier": verifier.address,
        "verifier_public_key": _public_key(verifier),
    }


def _gold(labels: dict[str, str]) -> dict[str, Any]:
    """Gold items whose answers only the verifier can read."""
    key = _public_key(dev_verifier())
    return {
        "scheme": "encrypted",
        "items": [
            {
                "item_id": item,
                "sealed_answer": seal_gold_answer(ClassificationAnswer(label=label), key),
            }
            for item, label in labels.items()
        ],
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
        "gold": _gold(SHAPE_TRUTH),
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
        "gold": _gold({"review-0": SENTIMENT_TRUTH[0], "review-1": SENTIMENT_TRUTH[1]}),
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
    manifests = demo_manifests(content, requester)
    for index, (manifest, reward) in enumerate(zip(manifests, rewards, strict=True)):
        cid = content.add_json(manifest.model_dump(mode="json"))
        params = TaskParams(
            manifest_cid=bytes(cid),
            reward=reward,
            slots=manifest.slot_count,
            receipt_slots=manifest.slot_count if index < RECEIPT_TASKS else 0,
            deadline=deadline,
            review_period=24 * 3600,
            lease=30 * 60,
            token=token.address,
            verifier=dev_verifier().address,
        )
        task_id, _ = posting.create_task(params)
        market.task_ids.append(task_id)
    market.seeded = True
    return market


DEMO_POLICY = Policy(rule=QualityRule(timing=TimingRule(action="ignore")))
"""The demo requester's policy for all their tasks: the platform's default rule, except
that answers are not rejected for coming fast (the README's walkthrough answers by
script, in a loop; real requesters keep the too-fast check)."""


def apply_demo_policy(verifier: VerifierService, issued_at: int) -> bool:
    """Have the demo requester sign `DEMO_POLICY` and hand it to ``verifier`` (once)."""
    requester = dev_accounts()[REQUESTER_INDEX]
    command = VerifierCommand(0, "policy", payload_hash(DEMO_POLICY.canonical()), issued_at)
    signature = command.sign(requester, verifier.chain_id, verifier.escrow)
    try:
        verifier.set_policy(requester.address, 0, DEMO_POLICY, issued_at, signature)
    except Replayed:
        return False  # in force since an earlier `microtask up`
    return True
