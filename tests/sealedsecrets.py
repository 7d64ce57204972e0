"""The sealed-secrets controller's side, for tests: open what fn.sealing sealed.

``controller_unseal(key, value, label)`` is the controller's HybridDecrypt, written from its
description (RSA-OAEP SHA-256 with the label over the session key, then AES-256-GCM with a
zero nonce), not from fn.sealing; ``unseal_manifest(key, sealed)`` is its Unseal: the label
from the SealedSecret's own metadata and scope annotations, every encryptedData value opened.
``TEST_CERT``/``TEST_KEY``: a fixed controller key pair (tests/data/gitops/, made once with
cryptography, valid until 2124) for golden cases and end-to-end renders; ``controller_key()``
loads its private key.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA = Path(__file__).parent / "data" / "gitops"
TEST_CERT = DATA / "controller.crt"
TEST_KEY = DATA / "controller.key"


def controller_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(TEST_KEY.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key



def controller_unseal(key: rsa.RSAPrivateKey, value: str, label: bytes) -> bytes:
    """The controller's HybridDecrypt, from its description (not from fn.sealing)."""
    data = base64.b64decode(value, validate=True)
    (n,) = struct.unpack(">H", data[:2])
    assert len(data) >= 2 + n, "too short"
    session = key.decrypt(data[2:2 + n], padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label))
    return AESGCM(session).decrypt(bytes(12), data[2 + n:], None)


def unseal_manifest(key: rsa.RSAPrivateKey, sealed: dict) -> dict[str, bytes]:
    """What the controller's Unseal does with a SealedSecret: the label from the object's
    own metadata and scope annotations, each encryptedData value opened with it."""
    meta = sealed["metadata"]
    annotations = meta.get("annotations") or {}
    if annotations.get("sealedsecrets.bitnami.com/cluster-wide") == "true":
        label = b""
    elif annotations.get("sealedsecrets.bitnami.com/namespace-wide") == "true":
        label = meta["namespace"].encode()
    else:
        label = f"{meta['namespace']}/{meta['name']}".encode()
    return {k: controller_unseal(key, v, label) for k, v in sealed["spec"]["encryptedData"].items()}
