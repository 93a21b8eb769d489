"""microtask: a blockchain-backed micro-task platform.

Requesters escrow pay in a contract, workers claim and submit work, content lives on IPFS
and an indexer serves what happened on chain through an API.
"""

__version__ = "0.1.0"
