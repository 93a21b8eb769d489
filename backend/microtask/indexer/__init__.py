"""The indexer: the single writer of the database, following the escrow's events.

- `follower.Indexer`: catch up and follow the chain (adaptive log ranges, confirmations,
  reorganisations, outages); `sync` once or `run` until stopped; `wait_for_block`.
- `store.IndexStore`: one transaction per batch with its checkpoint; rollbacks and
  rebuilds from stored events (why: see its docstring).
- `handlers`: what each event does to the rows; `decoding`: logs to events.
- `manifests.ManifestWorker`: fetch and validate manifests off the ingest path.
- `service.IndexerService`: both in threads, as `microtask index` and `microtask up` run them.
"""

from microtask.indexer.follower import Indexer, initial_escrow_state
from microtask.indexer.manifests import ManifestWorker

__all__ = ["Indexer", "ManifestWorker", "initial_escrow_state"]
