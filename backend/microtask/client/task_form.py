"""A task from a form: what a requester fills in on the web app's "new task" page, made
into a manifest and a draft with the library's own builders.

Why here and not in the web app: the web server stays thin and holds no key; this turns
the form's fields (items from a CSV, JSON Lines or uploaded images, gold answers in a
``gold`` column, labels one per line, amounts in the token's units) into a
`Requester.draft_task` call. Every problem is reported at once, each naming its form
field (`TaskFormInvalid`), so the page shows each beside its field.

Gold answers are sealed to the platform's verifier (``manifests.gold``: nobody else, the
workers included, can read them), so gold needs the platform's verifier. A set larger
than a manifest holds inline (`MAX_INLINE_ITEMS`) is stored as a JSON Lines file and the
manifest names its CID, as a large manifest written by hand would.

Example::

    form = TaskForm.model_validate(fields)
    draft, warnings = draft_from_form(Requester(platform, address=form.requester), form)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from microtask.client.errors import Refused
from microtask.client.requester import Requester, TaskDraft, TaskTerms
from microtask.errors import UserError
from microtask.escrow import ZERO_ADDRESS
from microtask.manifests import DocumentInvalid
from microtask.manifests.answers import ClassificationAnswer
from microtask.manifests.gold import seal_gold_answer
from microtask.manifests.limits import MAX_INLINE_ITEMS

Kind = Literal["classification", "multi_label", "free_text"]
LABEL_KINDS: Final = ("classification", "multi_label")
MAX_FORM_ITEMS: Final = 100_000
_NOT_ID = re.compile(r"[^A-Za-z0-9_.:-]+")


class MediaFile(BaseModel):
    """An image the browser stored already (``POST /content``): its file name and CID."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    cid: str = Field(min_length=1, max_length=128)


class TaskForm(BaseModel):
    """The new-task form's fields, as the page sends them (amounts as typed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    requester: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    requester_public_key: str = Field(pattern=r"^0x04[0-9a-fA-F]{128}$")
    title: str = Field(min_length=1, max_length=200)
    instructions: str = Field(min_length=1, max_length=20_000)
    kind: Kind = "classification"
    labels: list[str] = Field(default_factory=list, max_length=50)
    items_format: Literal["csv", "jsonl", "images"] = "csv"
    items_text: str = Field(default="", max_length=32 << 20)
    images: list[MediaFile] = Field(default_factory=list, max_length=10_000)
    redundancy: int = Field(default=3, ge=1, le=100)
    reward: str = Field(default="", max_length=40)
    token: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    deadline_days: int = Field(default=7, ge=1, le=365)
    review_days: int = Field(default=3, ge=1, le=60)
    lease_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    time_estimate_seconds: int = Field(default=60, ge=1, le=86_400)
    qualifications: list[str] = Field(default_factory=list, max_length=20)
    verifier: Literal["platform", "none"] = "platform"
    arbitrator: str = Field(default="", pattern=r"^(0x[0-9a-fA-F]{40})?$")
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")


class TaskFormInvalid(Refused):
    """The form has mistakes; ``problems`` are (field, words) pairs, every one found."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        listed = "; ".join(f"{name}: {words}" for name, words in problems)
        super().__init__(f"the task form has mistakes: {listed}")
        self.problems = problems


@dataclass
class FormItem:
    """One input item read from the form, with its gold answer if it has one."""

    id: str
    data: dict[str, Any] = field(default_factory=dict)
    media: list[str] = field(default_factory=list)
    gold: str | None = None

    def manifest_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id}
        if self.data:
            item["data"] = self.data
        if self.media:
            item["media"] = self.media
        return item


def parse_form(fields: dict[str, Any]) -> TaskForm:
    """The form's fields checked one by one (`TaskFormInvalid` naming each bad field)."""
    try:
        return TaskForm.model_validate(fields)
    except ValidationError as error:
        problems = [
            (".".join(str(part) for part in e["loc"][:1]) or "form", _words(e["msg"]))
            for e in error.errors()
        ]
        raise TaskFormInvalid(problems) from None


def _words(message: str) -> str:
    return message.removeprefix("Value error, ")


def _item_id(text: str, index: int) -> str:
    cleaned = _NOT_ID.sub("-", text.strip()).strip("-._:")[:128]
    return cleaned or f"item-{index + 1}"


def items_from_csv(text: str) -> list[FormItem]:
    """One item per row: ``id`` (optional), ``gold`` (optional), the rest its data."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise UserError("the CSV file is empty: its first row names the columns")
    items = []
    for index, row in enumerate(reader):
        if None in row:
            raise UserError(f"row {index + 2} of the CSV has more cells than columns")
        values = {str(k).strip(): (v or "").strip() for k, v in row.items()}
        gold = values.pop("gold", "") or None
        raw_id = values.pop("id", "")
        items.append(FormItem(_item_id(raw_id, index), {k: v for k, v in values.items()}, [], gold))
    return items


def items_from_jsonl(text: str) -> list[FormItem]:
    """One JSON object per line: ``id`` and ``gold`` (optional), ``data`` or the rest."""
    items: list[FormItem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise UserError(f"line {number} of the JSON Lines is not JSON") from None
        if not isinstance(value, dict):
            raise UserError(f"line {number} of the JSON Lines is not a JSON object")
        gold = value.pop("gold", None)
        raw_id = str(value.pop("id", ""))
        media = value.pop("media", [])
        data = value.pop("data", None)
        data = data if isinstance(data, dict) else value
        items.append(
            FormItem(
                _item_id(raw_id, len(items)),
                data,
                [str(cid) for cid in media] if isinstance(media, list) else [],
                None if gold is None else str(gold),
            )
        )
    return items


def items_from_images(images: Iterable[MediaFile]) -> list[FormItem]:
    """One item per image, named after its file (without the extension)."""
    return [
        FormItem(_item_id(image.name.rsplit(".", 1)[0], index), {}, [image.cid])
        for index, image in enumerate(images)
    ]


def _labels(form: TaskForm) -> list[dict[str, str]]:
    labels: list[dict[str, str]] = []
    for index, text in enumerate(label for label in form.labels if label.strip()):
        ident = _item_id(text.lower(), index)
        if any(label["id"] == ident for label in labels):
            ident = f"{ident}-{index + 1}"
        labels.append({"id": ident, "text": text.strip()})
    return labels


def _qualifications(lines: list[str]) -> list[dict[str, Any]]:
    found = []
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        entry: dict[str, Any] = {"name": parts[0].lower()}
        if len(parts) > 1:
            try:
                entry["min_score"] = float(parts[1])
            except ValueError:
                raise UserError(
                    f"{line!r}: a qualification is a name and a minimum score from 0 to 1"
                ) from None
        found.append(entry)
    return found


def _items(form: TaskForm) -> list[FormItem]:
    if form.items_format == "images":
        items = items_from_images(form.images)
    elif form.items_format == "jsonl":
        items = items_from_jsonl(form.items_text)
    else:
        items = items_from_csv(form.items_text) if form.items_text.strip() else []
    if not items:
        raise UserError("there are no items: upload a CSV, a JSON Lines file or images")
    if len(items) > MAX_FORM_ITEMS:
        raise UserError(f"{len(items)} items; at most {MAX_FORM_ITEMS} per task")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise UserError(f"the item id {item.id!r} appears twice")
        seen.add(item.id)
    return items


def _gold(items: list[FormItem], labels: list[dict[str, str]], kind: str) -> dict[str, str]:
    """item id -> gold label id, each gold answer matched to a label by id or text."""
    golden = [item for item in items if item.gold]
    if golden and kind != "classification":
        raise UserError("gold answers are taken for classification tasks only")
    by_name = {label["id"].lower(): label["id"] for label in labels}
    by_name |= {label["text"].lower(): label["id"] for label in labels}
    found = {}
    for item in golden:
        label = by_name.get(str(item.gold).strip().lower())
        if label is None:
            raise UserError(f"the gold answer {item.gold!r} of item {item.id} is not a label")
        found[item.id] = label
    return found


def manifest_document(
    requester: Requester, form: TaskForm
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The manifest the form describes (gold sealed to the platform's verifier, a large
    set stored as JSON Lines), and the problems found, each naming its field."""
    problems: list[tuple[str, str]] = []
    labels = _labels(form)
    if form.kind in LABEL_KINDS and len(labels) < 2:
        problems.append(("labels", "give at least two labels, one per line"))
    items: list[FormItem] = []
    gold: dict[str, str] = {}
    try:
        items = _items(form)
        gold = _gold(items, labels, form.kind)
    except UserError as error:
        problems.append(("items", str(error)))
    try:
        qualifications = _qualifications(form.qualifications)
    except UserError as error:
        problems.append(("qualifications", str(error)))
        qualifications = []
    if gold and form.verifier != "platform":
        problems.append(("verifier", "gold answers are sealed to the platform's verifier"))
    if problems:
        return {}, problems
    schema: dict[str, Any] = {"kind": form.kind}
    if form.kind in LABEL_KINDS:
        schema["labels"] = labels
    document: dict[str, Any] = {
        "type": "microtask/task-manifest",
        "title": form.title,
        "instructions": form.instructions,
        "kind": form.kind,
        "answer_schema": schema,
        "redundancy": form.redundancy,
        "language": form.language,
        "qualifications": qualifications,
        "time_estimate_seconds": form.time_estimate_seconds,
        "requester": form.requester,
        "requester_public_key": form.requester_public_key,
    }
    content = requester.platform.content
    if len(items) > MAX_INLINE_ITEMS:
        lines = "".join(json.dumps(item.manifest_item()) + "\n" for item in items)
        cid = content.add_bytes(lines.encode("utf-8"))
        document["inputs"] = {"source": "jsonl", "cid": str(cid), "count": len(items)}
    else:
        document["inputs"] = {"source": "inline", "items": [i.manifest_item() for i in items]}
    if form.verifier == "platform":
        found = requester.platform.verifier_info()
        document["verifier"] = found.verifier
        document["verifier_public_key"] = found.public_key
        if gold:
            document["gold"] = {
                "scheme": "encrypted",
                "items": [
                    {
                        "item_id": item_id,
                        "sealed_answer": _base64(
                            seal_gold_answer(ClassificationAnswer(label=label), found.public_key)
                        ),
                    }
                    for item_id, label in gold.items()
                ],
            }
    return document, []


def _base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def draft_from_form(requester: Requester, form: TaskForm) -> tuple[TaskDraft, list[str]]:
    """The draft (manifest validated, cost worked out, the wallet's funds checked) and
    warnings for the requester (an arbitrator other than the deployment's default)."""
    document, problems = manifest_document(requester, form)
    token = requester.platform.token_at(form.token)
    terms: TaskTerms | None = None
    try:
        reward = token.parse(form.reward)
        if reward <= 0:
            raise UserError("the reward is more than zero")
        terms = TaskTerms(
            reward,
            token,
            deadline_in=form.deadline_days * 86_400,
            review_period=form.review_days * 86_400,
            lease=form.lease_minutes * 60,
            arbitrator=form.arbitrator or None,
            gasless=form.verifier == "platform",
        )
    except UserError as error:
        problems.append(("reward", str(error)))
    if problems or terms is None:
        raise TaskFormInvalid(problems)
    try:
        draft = requester.draft_task(document, terms)
    except DocumentInvalid as error:
        problems = [(_form_field(name), words) for name, words in error.problems]
        raise TaskFormInvalid(problems) from None
    except Refused as error:
        raise TaskFormInvalid([("reward", str(error))]) from None
    warnings = []
    if draft.params.arbitrator not in (ZERO_ADDRESS, draft.default_arbitrator):
        warnings.append(draft.params.arbitrator)
    return draft, warnings


def _form_field(manifest_field: str) -> str:
    """The form field behind a manifest field a validation problem names."""
    head = manifest_field.split(".", 1)[0]
    return {
        "answer_schema": "labels",
        "inputs": "items",
        "gold": "items",
        "title": "title",
        "instructions": "instructions",
        "redundancy": "redundancy",
        "qualifications": "qualifications",
        "time_estimate_seconds": "time_estimate_seconds",
    }.get(head, "form")
