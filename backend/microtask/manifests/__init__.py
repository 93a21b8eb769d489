"""The platform's documents: task manifests, submission envelopes, reviews.

Pydantic v2 models with size and item limits and published JSON Schemas
(``manifests/schemas/``), plus what the documents need to be trusted: ECIES and AES-GCM
sealing of submissions to the requester and verifier (`sealing`), and the EIP-712 struct a
worker signs for an envelope (`typed_data`; the domain and canonical JSON are
`microtask.encoding`'s). Nothing here talks to a chain or a content store; `indexer`,
`quality`, `verifier` and the front ends build on it, while `chain` and `content` never
import it (dependencies point one way).
"""

from microtask.manifests.answers import Answer, AnswerSchema, TaskKind, check_answer
from microtask.manifests.documents import (
    DOCUMENTS,
    json_schema,
    parse_as,
    parse_document,
    write_schemas,
)
from microtask.manifests.envelope import (
    ItemAnswer,
    SubmissionAnswers,
    SubmissionContext,
    SubmissionEnvelope,
    check_submission,
    open_submission,
    seal_submission,
    verify_envelope,
)
from microtask.manifests.errors import (
    DecryptionFailed,
    DocumentInvalid,
    DocumentTooLarge,
    ManifestError,
    NotARecipient,
    SignatureInvalid,
)
from microtask.manifests.review import RejectionReason, Review, ReviewBatch
from microtask.manifests.task import InlineInputs, InputItem, JsonLinesInputs, TaskManifest

__all__ = [
    "DOCUMENTS",
    "Answer",
    "AnswerSchema",
    "DecryptionFailed",
    "DocumentInvalid",
    "DocumentTooLarge",
    "InlineInputs",
    "InputItem",
    "ItemAnswer",
    "JsonLinesInputs",
    "ManifestError",
    "NotARecipient",
    "RejectionReason",
    "Review",
    "ReviewBatch",
    "SignatureInvalid",
    "SubmissionAnswers",
    "SubmissionContext",
    "SubmissionEnvelope",
    "TaskKind",
    "TaskManifest",
    "check_answer",
    "check_submission",
    "json_schema",
    "open_submission",
    "parse_as",
    "parse_document",
    "seal_submission",
    "verify_envelope",
    "write_schemas",
]
