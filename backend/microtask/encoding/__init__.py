"""How values become the bytes that are hashed and signed: canonical JSON and EIP-712.

The lowest layer of the package, under `chain`, `content` and `manifests` alike: the
content store adds canonical JSON, the chain client signs receipts and approvals in the
microtask EIP-712 domain, the manifests sign and check submission envelopes in the same
domain. Nothing here imports the rest of the package.
"""

from microtask.encoding.canonical import canonical_json
from microtask.encoding.eip712 import (
    DOMAIN_NAME,
    DOMAIN_VERSION,
    EIP712Domain,
    checksum,
    digest,
    domain,
    recover,
    sign,
    typed_message,
)

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "EIP712Domain",
    "canonical_json",
    "checksum",
    "digest",
    "domain",
    "recover",
    "sign",
    "typed_message",
]
