"""Encryption for submissions: one symmetric key per payload, wrapped for each recipient.

A payload is encrypted once with a fresh random 256-bit key under AES-256-GCM (a 96-bit
random nonce, and associated data that binds the ciphertext to its context: chain, escrow,
task, slot, worker). The key is then wrapped for each recipient with ECIES on secp256k1,
the curve of Ethereum keys, so the wallet key that funds a task (and the verifier's) can
read what workers send; nobody else can, workers included.

ECIES is eciespy's, in its default (and eciesjs's default) configuration: an ephemeral
uncompressed secp256k1 key, HKDF-SHA256 over the ephemeral key and the shared point,
AES-256-GCM with a 16-byte nonce. The same bytes open in eciesjs, so a browser wallet app
can read submissions too. libsecp256k1 (through coincurve) does the curve arithmetic and
pycryptodome the AES; nothing cryptographic is hand-rolled here.
"""

from __future__ import annotations

import secrets
from typing import Final

import coincurve
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
    """``key`` encrypted to one recipient's secp256k1 public key (ECIES)."""
    return bytes(ecies.encrypt(public_key_bytes(recipient_public_key), key, ECIES_CONFIG))


def unwrap_key(wrapped: bytes, private_key: bytes) -> bytes:
    try:
        key = bytes(ecies.decrypt(private_key, wrapped, ECIES_CONFIG))
    except (ValueError, TypeError):
        raise DecryptionFailed("this key does not unwrap the payload key") from None
    if len(key) != KEY_BYTES:
        raise DecryptionFailed("the unwrapped payload key has the wrong length")
    return key
