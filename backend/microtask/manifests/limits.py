"""Size and count limits for platform documents, in one place.

They bound what an indexer fetches and parses for any task on chain (anyone can create
one), what a verifier decrypts, and what a worker's browser renders. Generous for real
tasks, small enough that a hostile manifest cannot exhaust a process.
"""

from __future__ import annotations

from typing import Final

MAX_MANIFEST_BYTES: Final = 1 << 20
MAX_ENVELOPE_BYTES: Final = 2 << 20
MAX_ANSWERS_BYTES: Final = 1 << 20
MAX_REVIEW_BYTES: Final = 256 << 10
MAX_REVIEW_BATCH_BYTES: Final = 4 << 20

MAX_TITLE_CHARS: Final = 200
MAX_INSTRUCTIONS_CHARS: Final = 50_000
MAX_FEEDBACK_CHARS: Final = 10_000
MAX_TEXT_ANSWER_CHARS: Final = 20_000

MAX_INLINE_ITEMS: Final = 1_000
"""Items carried in the manifest itself; larger sets go in a JSON Lines file by CID."""
MAX_ITEMS_BY_CID: Final = 1_000_000
MAX_ITEM_DATA_BYTES: Final = 16 << 10
MAX_MEDIA_PER_ITEM: Final = 16
MAX_GOLD_ITEMS: Final = 1_000
MAX_LABELS: Final = 200
MAX_BOXES: Final = 500
MAX_SURVEY_QUESTIONS: Final = 100
MAX_OPTIONS: Final = 100
MAX_TAGS: Final = 20
MAX_QUALIFICATIONS: Final = 20
MAX_REDUNDANCY: Final = 100
MAX_TIME_ESTIMATE_SECONDS: Final = 24 * 3600
MAX_REJECTION_REASONS: Final = 100
MAX_REVIEWS_PER_BATCH: Final = 1_000
MAX_ANSWERS: Final = 1_000
MAX_FORM_FIELDS: Final = 500
