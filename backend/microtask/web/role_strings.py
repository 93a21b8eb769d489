"""The script's strings for the requester's, operator's and arbitrator's pages (issue 15),
translated on the server like `strings.script_strings` (which includes them)."""

from __future__ import annotations

from collections.abc import Callable


def role_strings(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "operator.bad_fee": _("Enter a fee from 0 to {max} percent, with at most two decimals."),
        "operator.bad_address": _("That is not an address (0x and 40 hex digits)."),
        "operator.bad_amount": _("Enter an amount, with at most {decimals} decimals."),
        "operator.sending": _("Your wallet asks you to send the change to the escrow."),
        "rule.choose": _("Choose: pay the worker, or uphold the rejection."),
        "rule.say_why": _("Upholding a rejection needs your reasons: both sides read them."),
        "rule.sending": _("Uploading your reasons; your wallet asks you to send the ruling."),
        "rule.paid": _("Ruled: slot {slot} of task {task} pays the worker."),
        "rule.upheld": _("Ruled: the rejection of slot {slot} of task {task} stands."),
        "requester.sending": _("Your wallet asks you to send the transaction."),
        "requester.approving": _("Your wallet asks you first to let the escrow take {amount}."),
        "requester.bad_count": _("Enter a whole number of slots, 1 or more."),
        "requester.bad_date": _("Choose a date and time later than the current deadline."),
        "requester.bad_amount": _("Enter an amount, with at most {decimals} decimals."),
        "requester.bad_address": _("That is not an address (0x and 40 hex digits)."),
        "requester.confirm_cancel": _(
            "Cancel task {task}? No new work is taken; unheld slots are refunded at once."
        ),
        "requester.done": _(
            "Done: the escrow has it. The figures update once the index has the block."
        ),
        "requester.updated": _("Your tasks were updated."),
        "results.signing": _(
            "Your wallet asks you to sign the reading key's message (no gas, nothing is sent)."
        ),
        "results.opened": _("{count} items, opened in your browser."),
        "results.not_this_task": _("The published result set is not this task's."),
        "results.other_key": _(
            "This result set is sealed to another key: the manifest names a key your wallet does not derive."
        ),
        "results.status_answered": _("answered"),
        "results.status_emptied": _("every answer rejected"),
        "results.status_unanswered": _("unanswered"),
        "review.signing": _(
            "Your wallet asks you to sign the reading key's message (no gas, nothing is sent)."
        ),
        "review.opened": _("{count} submissions opened in your browser."),
        "review.other_key": _(
            "A submission is sealed to another key: the manifest names a key your wallet does not derive."
        ),
        "review.select": _("Select at least one slot first."),
        "review.uploading": _("Uploading the reasons; your wallet asks you to send the rejection."),
        "review.approved": _("{count} slots approved: their workers are paid."),
        "review.rejected": _("{count} slots rejected: their workers can read why and dispute."),
        "policy.signing": _("Your wallet asks you to sign the policy (no gas)."),
        "policy.sent": _("The verifier has your policy: it applies from now on."),
        "policy.hash_mismatch": _(
            "The policy the server prepared does not match its hash: nothing was signed."
        ),
    }
