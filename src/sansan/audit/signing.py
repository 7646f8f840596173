"""Ed25519 signatures over canonical JSON, so a digest file can be checked by anyone
holding the public key, with no access to the service or its database."""

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningError(Exception):
    pass


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def generate_key(path: Path) -> str:
    """Write a new private key (PEM, owner-only) and return its public key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    return public_key_text(key.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise SigningError(f"cannot read the audit signing key {path}: {error}") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key as base64 of its 32 raw bytes (what files and `keygen` print)."""
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as error:
        raise SigningError(f"not an Ed25519 public key: {error}") from error


def sign(key: Ed25519PrivateKey, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with ``public_key`` and ``signature`` added."""
    signed = {**payload, "public_key": public_key_text(key.public_key())}
    return {**signed, "signature": base64.b64encode(key.sign(canonical(signed))).decode()}


def check_signature(document: dict[str, Any], pinned: str | None) -> str:
    """Raise unless the document's signature is valid (and by ``pinned``, if given)."""
    signature, key_text = document.get("signature"), document.get("public_key")
    if not isinstance(signature, str) or not isinstance(key_text, str):
        raise SigningError("the document is not signed")
    if pinned is not None and pinned.strip() != key_text:
        raise SigningError("signed by another key than the one given")
    payload = {k: v for k, v in document.items() if k != "signature"}
    try:
        parse_public_key(key_text).verify(base64.b64decode(signature), canonical(payload))
    except (InvalidSignature, ValueError) as error:
        raise SigningError("the signature does not match the content") from error
    return key_text
