"""Why a manifest, an envelope or a review was refused, naming the field at fault."""

from __future__ import annotations

from microtask.errors import UserError


class ManifestError(UserError):
    """Root of the errors about platform documents (manifests, envelopes, reviews)."""


class DocumentInvalid(ManifestError, ValueError):
    """A document does not match its schema; the message names each offending field.

    ``problems`` keeps them apart, as (dotted field path, message) pairs, for callers that
    show them one per line (the CLI) or as a problem+json list (the API).
    """

    def __init__(self, document: str, problems: list[tuple[str, str]]) -> None:
        self.document = document
        self.problems = problems
        listed = "; ".join(
            f"{field}: {message}" if field else message for field, message in problems
        )
        super().__init__(f"invalid {document}: {listed}")


class DocumentTooLarge(ManifestError, ValueError):
    """A document is over its size limit; refused before it is parsed."""


class SignatureInvalid(ManifestError, ValueError):
    """An envelope's signature does not come from the worker it names, or binds other values."""


class NotARecipient(ManifestError, PermissionError):
    """The key offered cannot open this submission: it belongs to neither recipient."""


class DecryptionFailed(ManifestError, ValueError):
    """A recipient's key unwrapped nothing usable, or the payload fails its authentication tag.

    Either the envelope was altered after sealing or it was sealed for other parameters
    (another task, slot or worker): the ciphertext is bound to them.
    """
