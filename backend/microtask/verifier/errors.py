"""Why the verifier refuses something: one exception per kind of refusal.

The HTTP layer (`microtask.api.routes.verifier`) maps each to its status code; the CLI
reports them as one line. Every message says what to do next where there is something
to do.
"""

from __future__ import annotations

from microtask.errors import MicrotaskError, UserError


class VerifierError(UserError):
    """Root of the verifier's refusals."""


class UnknownTask(VerifierError, LookupError):
    """The task is not in the index (yet), or has no receipt slots for this verifier."""


class NotThisVerifier(VerifierError):
    """The task names another verifier."""


class BadSignature(VerifierError):
    """A request's signature is malformed or not the signer's it should be."""


class RequestInvalid(VerifierError, ValueError):
    """A request is malformed, expired, or otherwise unusable as sent."""


class Replayed(VerifierError):
    """A signed request or command was already used, or is older than one already used."""


class NotEligible(VerifierError):
    """The worker may not work on this task (party, list, qualification, record)."""


class NoSlot(VerifierError):
    """No slot can be handed to this worker now."""


class TaskClosed(VerifierError):
    """The task takes no more work (cancelled, past its deadline)."""


class SubmissionRefused(VerifierError):
    """An envelope cannot be receipted: it does not check out for the slot it names."""


class SettlementError(MicrotaskError):
    """A settlement transaction could not be sent or confirmed (the chain is at fault)."""
