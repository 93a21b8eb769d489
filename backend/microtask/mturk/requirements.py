"""A HIT's ``QualificationRequirements``, honoured where microtask can honour them.

- MTurk's approval rate (``000000000000000000L0``, percent of assignments approved) and
  approved count (``00000000000000000040``, number of HITs approved) become the task's
  thresholds on the escrow (``minApprovalBps``, ``minApproved``), checked against the
  worker's record in the task's token: only ``GreaterThan`` and ``GreaterThanOrEqualTo``
  mean a threshold, and a worker without history passes the rate (as the escrow has it).
- A qualification type of the requester's own becomes a `RequesterQualification` in the
  task's manifest, with MTurk's comparator and values; the verifier checks it against the
  values the requester granted (`policies`).
- Anything else (locale, Masters, adult content, the other system qualifications, another
  requester's types) cannot be honoured, and the request is refused saying so rather than
  creating a HIT that lets everyone in.

Requirements guard accepting: a HIT's task is public on chain, so previews and search are
open to anyone (``ActionsGuarded`` is accepted and noted, not enforced beyond accepting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, get_args

from microtask.manifests.task import Comparator
from microtask.mturk.errors import INVALID_VALUE, MTurkError

APPROVAL_RATE: Final = "000000000000000000L0"
APPROVED_COUNT: Final = "00000000000000000040"
BUILT_IN: Final = {
    APPROVAL_RATE: "Worker_PercentAssignmentsApproved",
    APPROVED_COUNT: "Worker_NumberHITsApproved",
}
KNOWN_SYSTEM: Final = {
    "00000000000000000071": "Worker_Locale",
    "00000000000000000060": "Worker_Adult",
    "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH": "Masters",
    "2NDP2L92HECWY8NS8H3CK0CP5L9GHO": "Masters (sandbox)",
    "00000000000000000000": "Worker_PercentAssignmentsSubmitted",
    "00000000000000000070": "Worker_PercentAssignmentsAbandoned",
    "000000000000000000E0": "Worker_PercentAssignmentsReturned",
    "000000000000000000S0": "Worker_PercentAssignmentsRejected",
}
COMPARATORS: Final[tuple[str, ...]] = get_args(Comparator)  # the manifest's, as MTurk names them
GUARDS: Final = ("Accept", "PreviewAndAccept", "DiscoverPreviewAndAccept")
MAX_REQUIREMENTS: Final = 10


@dataclass
class Honoured:
    """Where each requirement goes: the escrow's thresholds, the manifest's entries."""

    min_approved: int = 0
    min_approval_bps: int = 0
    manifest: list[dict[str, Any]] = field(default_factory=list)

    @property
    def requester_types(self) -> list[str]:
        return [entry["type_id"] for entry in self.manifest]


def normalize(requirements: list[Any]) -> list[dict[str, Any]]:
    """The requirements as MTurk echoes them: checked, in a canonical shape."""
    if len(requirements) > MAX_REQUIREMENTS:
        raise MTurkError(
            f"a HIT has at most {MAX_REQUIREMENTS} QualificationRequirements", INVALID_VALUE
        )
    found = []
    for index, requirement in enumerate(requirements):
        where = f"QualificationRequirements[{index}]"
        if not isinstance(requirement, dict):
            raise MTurkError(f"{where} must be a structure", INVALID_VALUE)
        type_id = requirement.get("QualificationTypeId")
        comparator = requirement.get("Comparator")
        if not isinstance(type_id, str) or not type_id:
            raise MTurkError(f"{where}: QualificationTypeId is required", INVALID_VALUE)
        if comparator not in COMPARATORS:
            raise MTurkError(
                f"{where}: Comparator must be one of {', '.join(COMPARATORS)}", INVALID_VALUE
            )
        values = requirement.get("IntegerValues") or []
        if not isinstance(values, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            raise MTurkError(f"{where}: IntegerValues must be whole numbers", INVALID_VALUE)
        if requirement.get("LocaleValues"):
            raise MTurkError(
                f"{where}: LocaleValues cannot be honoured: workers here have no locale on "
                "record", INVALID_VALUE,
            )  # fmt: skip
        normalized: dict[str, Any] = {"QualificationTypeId": type_id, "Comparator": comparator}
        if values:
            normalized["IntegerValues"] = list(values)
        guard = requirement.get("ActionsGuarded")
        if guard is not None:
            if guard not in GUARDS:
                raise MTurkError(
                    f"{where}: ActionsGuarded must be one of {', '.join(GUARDS)}", INVALID_VALUE
                )
            normalized["ActionsGuarded"] = guard
        elif requirement.get("RequiredToPreview"):
            normalized["RequiredToPreview"] = True
        found.append(normalized)
    return found


def honour(requirements: list[dict[str, Any]], own_types: Mapping[str, str]) -> Honoured:
    """Where each (normalized) requirement goes, or `MTurkError` for one that cannot be
    honoured. ``own_types`` maps the requester's active qualification types to their names."""
    honoured = Honoured()
    for index, requirement in enumerate(requirements):
        where = f"QualificationRequirements[{index}]"
        type_id, comparator = requirement["QualificationTypeId"], requirement["Comparator"]
        values: list[int] = requirement.get("IntegerValues", [])
        if type_id in BUILT_IN:
            _threshold(honoured, type_id, comparator, values, where)
        elif type_id in own_types:
            entry = {
                "type_id": type_id,
                "name": own_types[type_id],
                "comparator": comparator,
                "values": values,
            }
            try:
                from microtask.manifests.task import RequesterQualification

                RequesterQualification.model_validate(entry)
            except ValueError as error:
                message = str(error).splitlines()[-1].strip()
                raise MTurkError(f"{where}: {message}", INVALID_VALUE) from None
            honoured.manifest.append(entry)
        else:
            name = KNOWN_SYSTEM.get(type_id)
            why = (
                f"MTurk's {name} qualification has no equivalent here"
                if name
                else "it is not one of your active qualification types"
            )
            raise MTurkError(
                f"{where}: qualification type {type_id} cannot be honoured: {why}",
                "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
            )
    return honoured


def _threshold(
    honoured: Honoured, type_id: str, comparator: str, values: list[int], where: str
) -> None:
    if comparator not in ("GreaterThan", "GreaterThanOrEqualTo") or len(values) != 1:
        raise MTurkError(
            f"{where}: {BUILT_IN[type_id]} is honoured as a minimum on the escrow: use "
            "GreaterThanOrEqualTo (or GreaterThan) with one value",
            INVALID_VALUE,
        )
    value = values[0]
    if type_id == APPROVAL_RATE:
        if not 0 <= value <= 100 or (comparator == "GreaterThan" and value == 100):
            raise MTurkError(f"{where}: an approval rate is 0 to 100 percent", INVALID_VALUE)
        bps = value * 100 + (1 if comparator == "GreaterThan" else 0)
        honoured.min_approval_bps = max(honoured.min_approval_bps, bps)
    else:
        count = value + (1 if comparator == "GreaterThan" else 0)
        if not 0 <= count < 2**32:
            raise MTurkError(f"{where}: an approved count is a whole number from 0", INVALID_VALUE)
        honoured.min_approved = max(honoured.min_approved, count)


def requester_types(requirements: list[dict[str, Any]]) -> set[str]:
    """The requester's own qualification types among a HIT type's requirements."""
    return {
        requirement["QualificationTypeId"]
        for requirement in requirements
        if requirement["QualificationTypeId"] not in BUILT_IN
    }
