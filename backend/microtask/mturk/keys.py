"""Access keys: what boto3 signs with, issued to a requester's keystore account.

An access key is an id (``MTRK`` and 16 characters, shown anywhere) and a secret (40
characters, shown once, when it is made). SigV4 proves knowledge of the secret with an
HMAC over the request, so the gateway needs the secret itself, not a hash of it: each
secret is stored encrypted (AES-256-GCM) under a key derived (HKDF-SHA256) from the
requester's private key, bound to its access key id. Only whoever can unlock the
requester's keystore (the gateway that signs for them) can read the secrets; the file
alone gives nothing away, and listing or revoking keys needs no password.

The keys of an account live in ``DATA_DIR/mturk/keys/<address>.json``, written atomically.
A revoked key stays listed, with when it was revoked, and stops working at once: the
gateway reads the file again whenever it changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from eth_utils.address import to_checksum_address

from microtask.errors import UserError
from microtask.files import write_atomically

KEY_ID_PREFIX: Final = "MTRK"
DEMO_KEY_ID_PREFIX: Final = "MTRKDEMO"
_INFO: Final = b"microtask/mturk-access-keys/v1"
_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class AccessKeyError(UserError):
    """An access key that does not exist, or a key file that cannot be read."""


@dataclass(frozen=True)
class AccessKey:
    """An access key as listed (never its secret)."""

    access_key_id: str
    created_at: int
    revoked_at: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def keys_file(data_dir: Path, address: str) -> Path:
    return data_dir / "mturk" / "keys" / f"{to_checksum_address(address)}.json"


def _cipher_key(private_key: bytes) -> bytes:
    key = HKDF(private_key, 32, b"", SHA256, context=_INFO)
    assert isinstance(key, bytes)
    return key


def _new_key_id() -> str:
    return KEY_ID_PREFIX + "".join(random.choice(_ALPHABET) for _ in range(16))


def _new_secret() -> str:
    return base64.b64encode(random.token_bytes(30)).decode()


class AccessKeyStore:
    """The access keys of one account (see the module's note)."""

    def __init__(self, data_dir: Path, address: str) -> None:
        self.address = to_checksum_address(address)
        self.path = keys_file(data_dir, self.address)

    # ------------------------------------------------------------ the file

    def _read(self) -> list[dict[str, Any]]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            raise AccessKeyError(f"{self.path} is not a readable access key file") from None
        if document.get("address") != self.address:
            raise AccessKeyError(f"{self.path} holds another account's keys")
        keys: list[dict[str, Any]] = document.get("keys", [])
        return keys

    def _write(self, keys: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"version": 1, "address": self.address, "keys": keys}
        write_atomically(self.path, json.dumps(document, indent=2) + "\n", mode=0o600)

    def modified(self) -> float:
        """When the file last changed (0 when there is none): when to read it again."""
        try:
            return self.path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    # ------------------------------------------------------------ keys

    def list(self) -> list[AccessKey]:
        return [
            AccessKey(entry["access_key_id"], entry["created_at"], entry.get("revoked_at"))
            for entry in self._read()
        ]

    def create(
        self,
        private_key: bytes,
        *,
        access_key_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[AccessKey, str]:
        """A new access key and its secret (to show once). ``private_key`` must be the
        account's; the id and secret are random unless given (the demo's are derived)."""
        self._check_owner(private_key)
        keys = self._read()
        key_id = access_key_id or _new_key_id()
        if any(entry["access_key_id"] == key_id for entry in keys):
            raise AccessKeyError(f"access key {key_id} exists already")
        secret = secret or _new_secret()
        nonce = random.token_bytes(12)
        cipher = AES.new(_cipher_key(private_key), AES.MODE_GCM, nonce=nonce)
        cipher.update(key_id.encode())
        sealed, tag = cipher.encrypt_and_digest(secret.encode())
        created = AccessKey(key_id, int(time.time()))
        keys.append(
            {
                "access_key_id": key_id,
                "created_at": created.created_at,
                "revoked_at": None,
                "nonce": nonce.hex(),
                "secret": (sealed + tag).hex(),
            }
        )
        self._write(keys)
        return created, secret

    def revoke(self, access_key_id: str) -> AccessKey:
        keys = self._read()
        for entry in keys:
            if entry["access_key_id"] == access_key_id:
                if entry.get("revoked_at") is None:
                    entry["revoked_at"] = int(time.time())
                    self._write(keys)
                return AccessKey(access_key_id, entry["created_at"], entry["revoked_at"])
        raise AccessKeyError(f"{self.address} has no access key {access_key_id}")

    def secrets(self, private_key: bytes) -> dict[str, str]:
        """Each active key's secret, decrypted with the account's key."""
        self._check_owner(private_key)
        key = _cipher_key(private_key)
        found: dict[str, str] = {}
        for entry in self._read():
            if entry.get("revoked_at") is not None:
                continue
            cipher = AES.new(key, AES.MODE_GCM, nonce=bytes.fromhex(entry["nonce"]))
            cipher.update(entry["access_key_id"].encode())
            sealed = bytes.fromhex(entry["secret"])
            try:
                found[entry["access_key_id"]] = cipher.decrypt_and_verify(
                    sealed[:-16], sealed[-16:]
                ).decode()
            except ValueError:
                raise AccessKeyError(
                    f"access key {entry['access_key_id']} in {self.path} does not open with "
                    "this account's key"
                ) from None
        return found

    def _check_owner(self, private_key: bytes) -> None:
        from eth_account import Account

        if Account.from_key(private_key).address != self.address:
            raise AccessKeyError(f"that key is not {self.address}'s")


def demo_key(private_key: bytes) -> tuple[str, str]:
    """The demo requester's access key id and secret, derived from its (public, development)
    key, so every ``microtask up --demo`` prints the same ones."""
    digest = hmac.new(private_key, b"microtask mturk demo key", hashlib.sha256).digest()
    key_id = DEMO_KEY_ID_PREFIX + base64.b32encode(digest[:10]).decode()[:12]
    return key_id, base64.b64encode(digest[10:]).decode()[:40]


def ensure_demo_key(store: AccessKeyStore, private_key: bytes) -> tuple[str, str]:
    """The demo key, created in ``store`` if it is not there (or was revoked: made anew)."""
    key_id, secret = demo_key(private_key)
    listed = {key.access_key_id: key for key in store.list()}
    if key_id not in listed:
        store.create(private_key, access_key_id=key_id, secret=secret)
    elif not listed[key_id].active:
        raise AccessKeyError(
            f"the demo access key {key_id} was revoked; remove {store.path} to get it back"
        )
    return key_id, secret
