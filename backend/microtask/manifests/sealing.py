"""Encryption for submissions: one symmetric key per payload, wrapped for each recipient.

A payload is encrypted once with a fresh random 256-bit key under AES-256-GCM (a 96-bit
random nonce, and associated data that binds the ciphertext to its context: chain, escrow,
task, slot, worker). The key is then wrapped for each recipient with ECIES on secp256k1,
the curve of Ethereum keys, so the wallet key that funds a task (and the verifier's) can
read what workers send; nobody else can, workers included.

ECIES is eciespy's, in its default (and eciesjs's default) configuration: an ephemeral
uncompressed secp256k1 key, HKDF-SHA256 over the ephemeral key and the shared point,
AES-256-GCM with a 16-byte nonce. The same bytes open in eciesjs, so a browser wallet app
can read submissions too. libsecp256k1 (through coincurve) does the curve arithmetic,
pycryptodome the AES and the standard library's HMAC the HKDF; nothing cryptographic is
hand-rolled here. Wrapping (`wrap_key`) composes those same calls itself rather than
through ``ecies.encrypt``, whose layers (a key object per step, pycryptodome's Python
HKDF) cost a third more per recipient, and a worker wraps two keys a submission; a test
holds it to ``ecies.encrypt``'s bytes for the same randomness. Unwrapping stays eciespy's.
"""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache
from typing import Final

import coincurve
import coincurve.utils
import ecies
from Crypto.Cipher import AES
from ecies.config import Config

from microtask.manifests.errors import DecryptionFailed
from microtask.manifests.fields import address_of_public_key, public_key_bytes

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
ECIES_CONFIG: Final = Config(
    elliptic_curve="secp256k1",
    is_ephemeral_key_compressed=False,
    is_hkdf_key_compressed=False,
    symmetric_algorithm="aes-256-gcm",
    symmetric_nonce_length=16,
)
"""Spelled out (these are the library defaults) so nobody's change to eciespy's global
``ECIES_CONFIG`` can alter what we write."""
ECIES_NONCE_BYTES: Final = 16
"""`ECIES_CONFIG`'s ``symmetric_nonce_length``: the wrapped key's AES-GCM nonce."""
_HKDF_SALT: Final = bytes(32)
"""RFC 5869's salt when none is given (eciespy gives none): a hash length of zeros."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def public_key_of(private_key: bytes) -> bytes:
    """The 65-byte uncompressed public key of a 32-byte secp256k1 private key."""
    return bytes(coincurve.PrivateKey(private_key).public_key.format(compressed=False))


def address_of_private_key(private_key: bytes) -> str:
    return address_of_public_key(public_key_of(private_key))


def encrypt_payload(key: bytes, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
    """AES-256-GCM: (nonce, ciphertext with its 16-byte tag appended)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
    cipher.update(associated)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return nonce, ciphertext + tag


def decrypt_payload(key: bytes, nonce: bytes, sealed: bytes, associated: bytes) -> bytes:
    if len(sealed) < TAG_BYTES or len(nonce) != NONCE_BYTES:
        raise DecryptionFailed("the payload is too short to be AES-GCM output")
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
    cipher.update(associated)
    try:
        return bytes(cipher.decrypt_and_verify(sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]))
    except ValueError:
        raise DecryptionFailed(
            "the payload fails its authentication tag: it was altered, or sealed for "
            "another task, slot or worker"
        ) from None


def wrap_key(key: bytes, recipient_public_key: str | bytes) -> bytes:
    """``key`` encrypted to one recipient's secp256k1 public key (ECIES, as
    ``ecies.encrypt(public key, key, ECIES_CONFIG)`` writes it: the ephemeral public key,
    the nonce, the tag, the ciphertext)."""
    recipient = _recipient_point(recipient_public_key)
    ephemeral = coincurve.utils.get_valid_secret()
    return _ecies_encrypt(recipient, key, ephemeral, secrets.token_bytes(ECIES_NONCE_BYTES))


@lru_cache(maxsize=256)
def _recipient_point(public_key: str | bytes) -> coincurve.PublicKey:
    """A recipient's key as libsecp256k1 holds it (remembered: a task's two recipients
    receive every wrapped key of the task; a key that is none raises, uncached)."""
    return coincurve.PublicKey(public_key_bytes(public_key))


def _ecies_encrypt(
    recipient: coincurve.PublicKey, data: bytes, ephemeral_secret: bytes, nonce: bytes
) -> bytes:
    """eciespy's ECIES encryption (in `ECIES_CONFIG`) with its randomness given."""
    ephemeral = coincurve.PublicKey.from_valid_secret(ephemeral_secret).format(compressed=False)
    shared = recipient.multiply(ephemeral_secret).format(compressed=False)
    wrapping_key = _hkdf_sha256(ephemeral + shared)
    cipher = AES.new(wrapping_key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
    ciphertext, tag = cipher.encrypt_and_digest(data)
    return ephemeral + nonce + tag + ciphertext


def _hkdf_sha256(master: bytes) -> bytes:
    """RFC 5869 HKDF-SHA256 to one 32-byte key, no salt and no info (as eciespy derives
    it through pycryptodome's ``HKDF(master, 32, b"", SHA256)``): extract, then the first
    block of expand, which is the whole key."""
    pseudorandom = hmac.digest(_HKDF_SALT, master, "sha256")
    return hmac.digest(pseudorandom, b"\x01", "sha256")


def unwrap_key(wrapped: bytes, private_key: bytes) -> bytes:
    try:
        key = bytes(ecies.decrypt(private_key, wrapped, ECIES_CONFIG))
    except (ValueError, TypeError):
        raise DecryptionFailed("this key does not unwrap the payload key") from None
    if len(key) != KEY_BYTES:
        raise DecryptionFailed("the unwrapped payload key has the wrong length")
    return key
