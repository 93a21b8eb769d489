"""The strings the script shows, translated on the server (the script has no catalogs).

Each is a gettext call here, so Babel extracts them with the templates' strings; the page
puts the translated set in its JSON configuration block. ``{name}`` placeholders are
filled by the script.
"""

from __future__ import annotations

from collections.abc import Callable

from microtask.web.role_strings import role_strings


def script_strings(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "wallet.connect": _("Connect wallet"),
        "wallet.connected_as": _("Wallet connected as {address}; open the wallet menu"),
        "wallet.wrong_chain_short": _("Wrong network"),
        "wallet.unlock_short": _("Unlock wallet"),
        "wallet.state_connected": _("{name} is connected as {address}."),
        "wallet.state_wrong_chain": _(
            "Your wallet is on another network. Switch it to {chain} to work here."
        ),
        "wallet.state_locked": _(
            "{name} shares no account with this page: unlock it, then connect again."
        ),
        "wallet.state_none": _(
            "No wallet was found in this browser. Install a wallet extension, or on a development chain use a development account."
        ),
        "wallet.state_disconnected": _("Choose a wallet to connect."),
        "wallet.rejected": _(
            "You declined the request in your wallet. Nothing was sent; the page is as it was."
        ),
        "wallet.locked": _("Your wallet is locked or has not shared an account with this page."),
        "wallet.pending": _("Your wallet is already asking you something: answer it first."),
        "wallet.needed": _("Connect a wallet first: the wallet menu is open."),
        "wallet.browser_wallet": _("Browser wallet"),
        "wallet.dev_label": _("Development account"),
        "wallet.dev_account": _("Development account {number} ({address})"),
        "wallet.disconnected": _("Wallet disconnected."),
        "tasks.updated": _("The task list was updated."),
        "accept.signing": _("Your wallet asks you to sign a slot request (no gas)."),
        "accept.reserved": _("Item {item} is yours until {end}."),
        "accept.none_left": _("There is no item left for you on this task. Thank you!"),
        "claim.sending": _(
            "Your wallet asks you to send a transaction claiming slot {slot} (it costs gas)."
        ),
        "claim.claimed": _("Slot {slot} (item {item}) is yours on chain until {end}."),
        "claim.taken": _("Someone else claimed slot {slot} first: claim again."),
        "claim.none_left": _("There is no slot left to claim on this task. Thank you!"),
        "submit.sending": _("Your wallet asks you to send the answer's CID to the escrow."),
        "submit.onchain_done": _(
            "Slot {slot} (item {item}) handed in on chain; the requester reviews it."
        ),
        "lease.left": _("Time left: {time} (until {end})"),
        "lease.over": _("Your time for this item is over. Ask again for a new item."),
        "lease.warning": _("Hurry: {time} left for this item."),
        "work.slot_heading": _("Slot {slot}: item {item}"),
        "work.other_account": _(
            "This slot belongs to {address}: connect that account to hand it in."
        ),
        "work.resumed": _("You still hold item {item}: go on where you left off."),
        "work.task_number": _("Task {task}"),
        "work.kept_count": _("Slots kept in this browser: {count}"),
        "submit.sealing": _("Sealing your answer; your wallet asks you to sign it (no gas)."),
        "submit.uploading": _("Handing in your sealed answer…"),
        "receipt.kept": _("Receipt kept for slot {slot} (item {item}), handed in {time}."),
        "receipt.bad_signature": _("The receipt's signature is malformed."),
        "receipt.wrong_signer": _(
            "The receipt is signed by {signer}, neither the task's verifier nor its requester: the escrow would refuse it."
        ),
        "receipt.wrong_slot": _("The receipt is for another task or slot."),
        "receipt.wrong_worker": _("The receipt names another worker."),
        "receipt.wrong_envelope": _("The receipt is not for the answer you handed in."),
        "receipt.wrong_cid": _(
            "The platform stored your answer as {cid}, not {expected}: it was changed on the way."
        ),
        "answer.choose_one": _("Choose one answer."),
        "answer.choose_between": _("Choose between {min} and {max} labels."),
        "answer.text_length": _("Write between {min} and {max} characters."),
        "answer.write_something": _("Write what you hear or read."),
        "answer.boxes_between": _("Draw between {min} and {max} boxes."),
        "answer.number": _("“{question}” takes a number."),
        "answer.number_range": _("“{question}” takes a number from {min} to {max}."),
        "answer.required": _("Answer “{question}”."),
        "boxes.box": _(
            "Box {number}: {label}, at {x}% across and {y}% down, {width}% wide and {height}% high"
        ),
        "boxes.remove": _("Remove"),
        "boxes.remove_box": _("Remove box {number}"),
        "boxes.removed": _("Box {number} removed."),
        "boxes.first_corner": _("First corner at {x}%, {y}%: now mark the opposite corner."),
        "boxes.too_small": _("That box has no area: mark two different corners."),
        "boxes.added": _("Box {number} added: {label}."),
        "boxes.position": _("Cross at {x}% across, {y}% down"),
        "boxes.cancelled": _("Box cancelled."),
        "enforce.button": _("Enforce"),
        "enforce.button_for": _("Enforce the receipt of task {task}, slot {slot}"),
        "enforce.working": _(
            "Presenting your receipt on chain; your wallet asks you to send a transaction."
        ),
        "enforce.presented": _(
            "Your receipt is on chain. If nobody rejects it, it pays after {date}: come back then."
        ),
        "enforce.paid": _(
            "Paid: the slot is approved by silence and the reward is in your balance."
        ),
        "enforce.state": _("Nothing to do: the slot is {state} on chain."),
        "slot.reserved": _("reserved"),
        "slot.lapsed": _("lapsed"),
        "slot.receipted": _("receipted"),
        "slot.submitted": _("submitted on chain"),
        "slot.approved": _("approved"),
        "slot.rejected": _("rejected"),
        "slot.disputed": _("disputed"),
        "slot.closed": _("closed"),
        "receipts.downloaded": _("Downloaded {count} receipt files."),
        "receipts.imported": _("Imported {count} receipt files."),
        "receipts.not_yours": _(
            "{file} belongs to another worker: connect that account to import it."
        ),
        "receipts.not_this_escrow": _("{file} is not a receipt of this platform's escrow."),
        "receipts.not_json": _("That file is not a receipt file (JSON) nor a ZIP of them."),
        "dispute.say_why": _("Say why the rejection is wrong."),
        "dispute.uploading": _("Uploading your reason; your wallet asks you to send the dispute."),
        "dispute.sent": _("Slot {slot} of task {task} is disputed: the arbitrator will rule."),
        "withdraw.bad_amount": _("Enter an amount, with at most {decimals} decimals."),
        "withdraw.too_much": _("That is more than your balance."),
        "withdraw.bad_address": _("That is not an address (0x and 40 hex digits)."),
        "withdraw.working": _("Your wallet asks you to send the withdrawal."),
        "withdraw.done": _("Withdrawn."),
        "tx.refused": _("The escrow would refuse this: {error}."),
        "tx.reverted": _("The transaction {hash} failed on chain."),
        "create.items_read": _("{name}: {count} items read."),
        "create.uploading": _("Uploading {name}…"),
        "create.fix_fields": _("The form has {count} mistakes: each is written beside its field."),
        "create.key_signing": _(
            "Your wallet asks you to sign the reading key's message (no gas, nothing is sent)."
        ),
        "create.permit_signing": _(
            "Your wallet asks you to sign a permit for the escrow to take the task's funds."
        ),
        "create.approving": _("Your wallet asks you to approve the escrow to take the funds."),
        "create.sending": _("Your wallet asks you to send the transaction that posts the task."),
        "create.created": _("Task {task} is posted."),
        "create.key_exported": _("The reading key's file is saved: keep it secret."),
        # MTurk HITs (pages/mturk.py, ts/mturk.ts)
        "mturk.received": _("The requester's page sent its answers."),
        "mturk.use_form": _("Answer in the requester's page and press its own submit button."),
        "mturk.choose_between": _("Choose between {min} and {max} answers to “{question}”."),
        **role_strings(_),
    }
