"""Bitnami sealed-secrets: seal a value to the controller's certificate, as kubeseal does.

Import this module only in ``sealed`` mode: it needs the optional ``cryptography`` package
(``pip install 'replicated-proxy-fn[sealed]'``).

The format is the one the controller decrypts (bitnami-labs/sealed-secrets,
``pkg/crypto/crypto.go`` HybridEncrypt/HybridDecrypt and
``pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go`` EncryptionLabel/Unseal)::

    value  = base64( uint16_be(len(rsa)) || rsa || gcm )
    rsa    = RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session key, 32 random bytes)
    gcm    = AES-256-GCM(session key, nonce = 12 zero bytes, no AAD)(plaintext) || tag
    label  = "<namespace>/<name>"  strict scope (the default, no scope annotation)
             "<namespace>"         namespace-wide  (sealedsecrets.bitnami.com/namespace-wide)
             ""                    cluster-wide    (sealedsecrets.bitnami.com/cluster-wide)

The controller rebuilds the label from the SealedSecret's own ``metadata`` (namespace, name
and scope annotations), so a value sealed here only opens as ``<name>`` in ``<namespace>``.
Only strict scope is produced.

A sealed value changes on every seal (random session key and OAEP seed). To keep re-runs
from churning Git, the SealedSecret carries :func:`fingerprint` of what was sealed, and
:func:`seal_once` reuses the previous value while the fingerprint still matches.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import os
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fn.fieldspecs import SEALED_FROM
from fn.problems import Problem

API_VERSION = "bitnami.com/v1alpha1"
KIND = "SealedSecret"
# on the SealedSecret's metadata: the fingerprint of the plaintext its encryptedData holds
FINGERPRINT_ANNOTATION = SEALED_FROM  # fn.replicated-proxy/sealed-from, read with the items
FINGERPRINT_VERSION = "v1"

# either one on the SealedSecret changes the label the controller decrypts with
SCOPE_ANNOTATIONS = ("sealedsecrets.bitnami.com/namespace-wide",
                     "sealedsecrets.bitnami.com/cluster-wide")

_SESSION_KEY_BYTES = 32
_GCM_NONCE = bytes(12)


class SealingError(Problem):
    """The certificate or the target cannot be sealed to; the message is one line."""


def parse_certificate(pem: bytes | str) -> rsa.RSAPublicKey:
    """The RSA public key of the first certificate in ``pem`` (what ``kubeseal --cert``
    accepts: the controller's ``--fetch-cert`` output). Like kubeseal, refuses a
    certificate that is not RSA or has expired."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise SealingError("the sealed-secrets certificate is not a PEM X.509 certificate "
                           "(expected the output of 'kubeseal --fetch-cert')") from None
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SealingError("the sealed-secrets certificate does not hold an RSA public key")
    expiry = cert.not_valid_after_utc
    if datetime.datetime.now(datetime.UTC) > expiry:
        raise SealingError("the sealed-secrets certificate expired on "
                           f"{expiry:%Y-%m-%d}; fetch the controller's current one")
    return key


def label(namespace: str, name: str) -> bytes:
    """The RSA-OAEP label of strict scope: ``<namespace>/<name>``."""
    if not namespace:
        raise SealingError(f"SealedSecret {name!r} needs a namespace (strict scope)")
    if not name:
        raise SealingError("a SealedSecret needs a name")
    return f"{namespace}/{name}".encode()


def seal(plaintext: bytes, cert_pem: bytes | str, namespace: str, name: str) -> str:
    """One ``spec.encryptedData`` value: ``plaintext`` sealed for ``name`` in ``namespace``."""
    return seal_with_key(plaintext, parse_certificate(cert_pem), label(namespace, name))


def seal_with_key(plaintext: bytes, key: rsa.RSAPublicKey, oaep_label: bytes) -> str:
    """:func:`seal` with a parsed key and any scope's label (for callers sealing many
    values to one certificate)."""
    session_key = os.urandom(_SESSION_KEY_BYTES)
    wrapped = key.encrypt(session_key, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=oaep_label))
    # one session key per value, so the fixed zero nonce is never reused with a key
    body = AESGCM(session_key).encrypt(_GCM_NONCE, plaintext, None)
    return base64.b64encode(struct.pack(">H", len(wrapped)) + wrapped + body).decode()


def fingerprint(plaintext: bytes, cert_pem: bytes | str, namespace: str, name: str) -> str:
    """``v1:<hex>``: HMAC-SHA256 keyed by SHA-256 of the certificate's public key over the
    length-prefixed (namespace, name, plaintext). Stored beside the sealed value so a re-run
    can tell whether the plaintext, the target or the controller key changed.

    What it protects and what not: the key is public (the certificate is in the repository
    or next to it), so this is a one-way digest bound to one controller key, not a secret
    MAC. Whoever reads the repository can test a guessed plaintext against it. The plaintext
    here is a ``.dockerconfigjson`` whose only unknown is the license ID, and Replicated
    license IDs are long random identifiers, not words, so guessing one offline is not
    feasible; a weak, guessable value would not be safe behind this digest. Binding to the
    key means equal plaintexts sealed for different clusters give unrelated digests (no
    table across clusters), and a new controller certificate forces a re-seal. It never
    holds the plaintext or the license ID. A slow KDF would add nothing against a random
    identifier and cost every run; a key nobody in the repository has does not exist at
    render time (the license ID itself is the only secret there).
    """
    spki = parse_certificate(cert_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    message = b"".join(struct.pack(">I", len(part)) + part for part in (
        b"replicated-proxy-fn sealed v1", namespace.encode(), name.encode(), plaintext))
    digest = hmac.new(hashlib.sha256(spki).digest(), message, hashlib.sha256).hexdigest()
    return f"{FINGERPRINT_VERSION}:{digest}"


def seal_once(previous: dict | None, key: str, plaintext: bytes, cert_pem: bytes | str,
              namespace: str, name: str) -> tuple[str, str]:
    """(value, fingerprint) for ``encryptedData[key]``: the value of ``previous`` (the
    SealedSecret from the last run) when it was sealed from the same plaintext, target and
    certificate, else a fresh seal. ``previous`` may be None or anything malformed."""
    mark = fingerprint(plaintext, cert_pem, namespace, name)
    if isinstance(previous, dict):
        meta, spec = previous.get("metadata"), previous.get("spec")
        old_mark = (meta.get("annotations") or {}).get(FINGERPRINT_ANNOTATION) \
            if isinstance(meta, dict) else None
        data = spec.get("encryptedData") if isinstance(spec, dict) else None
        old = data.get(key) if isinstance(data, dict) else None
        if isinstance(old_mark, str) and isinstance(old, str) and old \
                and hmac.compare_digest(old_mark, mark):
            return old, mark
    return seal(plaintext, cert_pem, namespace, name), mark


def manifest(name: str, namespace: str, encrypted: dict[str, str], template_type: str,
             annotations: dict[str, str] | None = None,
             labels: dict[str, str] | None = None) -> dict:
    """The ``bitnami.com/v1alpha1`` SealedSecret in strict scope (no scope annotation).
    ``annotations`` go on the SealedSecret (e.g. :data:`FINGERPRINT_ANNOTATION`, kpt's path);
    ``labels`` on both it and the Secret the controller makes (``spec.template.metadata``)."""
    if not namespace:
        raise SealingError(f"SealedSecret {name!r} needs a namespace (strict scope)")
    metadata: dict = {"name": name, "namespace": namespace}
    template_meta: dict = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
        template_meta["labels"] = dict(labels)
    if annotations:
        scoped = [a for a in SCOPE_ANNOTATIONS if a in annotations]
        if scoped:
            raise SealingError(f"SealedSecret {name!r}: {scoped[0]} would change the scope; "
                               "values are sealed in strict scope")
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "encryptedData": dict(sorted(encrypted.items())),
            "template": {"metadata": template_meta, "type": template_type},
        },
    }
