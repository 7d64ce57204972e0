"""fn.sealing against the sealed-secrets controller's format.

Three readers check every sealed value: ``controller_unseal`` (tests/sealedsecrets.py, written
from the controller's description: RSA-OAEP SHA-256 with the label, then AES-256-GCM with a zero
nonce), Go's standard crypto through tests/go/hybrid (the primitives the controller itself
calls), and the framing of a value published from the real kubeseal
(tests/data/sealed-secrets/kubeseal-output.yaml). Controller keys are made by
tests/go/hybrid the way the controller makes them (Go x509, encipher-only CA, empty CN).
"""

from __future__ import annotations

import base64
import datetime
import json
import struct
import subprocess
import sys
from pathlib import Path

import crdschema
import goharness
import helpers
import jsonschema
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sealedsecrets import controller_unseal, unseal_manifest

from fn import sealing
from fn.license import Proxy
from fn.problems import Problem
from fn.redacted import Redacted
from fn.secret import DOCKERCONFIGJSON
from fn.targets import ProxyTarget

DATA = Path(__file__).parent / "data" / "sealed-secrets"
LICENSE_ID = helpers.TEST_LICENSE_IDS[0]


def _payload(license_id: str = LICENSE_ID) -> bytes:
    """What ``generate`` puts in ``.dockerconfigjson``, decoded: the plaintext to seal."""
    proxy = Proxy(license_id=Redacted(license_id), app_slug="acme",
                  proxy_domain="proxy.replicated.com", registry_domain="registry.replicated.com",
                  replicated_registry="registry.replicated.com", pull_secret_name="acme-registry")
    return base64.b64decode(ProxyTarget(proxy).pull_secret.payload)  # what generate writes


class Controller:
    """A controller key pair made by tests/go/hybrid like the controller's own."""

    def __init__(self, bits: int) -> None:
        pem = goharness.run("hybrid", {"op": "keygen", "bits": bits}).decode()
        at = pem.index("-----BEGIN CERTIFICATE-----")
        self.key_pem, self.cert_pem = pem[:at], pem[at:]
        self.key = serialization.load_pem_private_key(self.key_pem.encode(), None)


@pytest.fixture(scope="module")
def controller() -> Controller:
    return Controller(2048)


@pytest.fixture(scope="module")
def other_controller() -> Controller:
    return Controller(2048)


def go_unseal(controller: Controller, value: str, label: str) -> bytes:
    out = goharness.run("hybrid", {"op": "unseal", "key": controller.key_pem,
                                   "label": label, "value": value})
    return base64.b64decode(out)


# ------------------------------------------------------------------------ the format


def test_controller_algorithm_opens_a_sealed_value(controller):
    value = sealing.seal(_payload(), controller.cert_pem, "apps", "acme-registry")
    assert controller_unseal(controller.key, value, b"apps/acme-registry") == _payload()


def test_go_standard_crypto_opens_a_sealed_value(controller):
    value = sealing.seal(_payload(), controller.cert_pem, "apps", "acme-registry")
    assert go_unseal(controller, value, "apps/acme-registry") == _payload()


def test_the_reference_reader_opens_what_go_seals(controller):
    """Keeps controller_unseal honest: it reads values made by Go's crypto/rsa + GCM too."""
    value = goharness.run("hybrid", {
        "op": "seal", "cert": controller.cert_pem, "label": "apps/acme-registry",
        "plaintext": base64.b64encode(_payload()).decode()}).decode()
    assert controller_unseal(controller.key, value, b"apps/acme-registry") == _payload()


def test_framing_is_kubeseals(controller):
    value = sealing.seal(b"x" * 100, controller.cert_pem, "apps", "s")
    data = base64.b64decode(value)
    assert struct.unpack(">H", data[:2]) == (256,)          # RSA-2048 block
    assert len(data) == 2 + 256 + 100 + 16                  # GCM ciphertext + tag
    real = yaml.safe_load((DATA / "kubeseal-output.yaml").read_text())
    kubesealed = base64.b64decode(real["spec"]["encryptedData"]["APP_KEY"], validate=True)
    assert struct.unpack(">H", kubesealed[:2]) == (512,)     # RSA-4096, the controller default
    assert len(kubesealed) - 2 - 512 >= 16


def test_a_4096_bit_key_gives_kubeseals_prefix():
    """Every value kubeseal makes for a default (4096-bit) controller starts with ``Ag``."""
    big = Controller(4096)
    value = sealing.seal(_payload(), big.cert_pem, "apps", "acme-registry")
    assert value.startswith("Ag")
    assert go_unseal(big, value, "apps/acme-registry") == _payload()


@pytest.mark.parametrize("label", [b"apps/other", b"other/acme-registry", b"apps", b"",
                                   b"apps/acme-registry/"])
def test_another_label_does_not_open_it(controller, label):
    """Strict scope: another name, another namespace, namespace-wide or cluster-wide fail."""
    value = sealing.seal(_payload(), controller.cert_pem, "apps", "acme-registry")
    with pytest.raises(ValueError):
        controller_unseal(controller.key, value, label)


def test_go_refuses_the_wrong_namespace(controller):
    value = sealing.seal(_payload(), controller.cert_pem, "apps", "acme-registry")
    with pytest.raises(goharness.GoFailed, match="decryption error"):
        go_unseal(controller, value, "default/acme-registry")


def test_another_controller_cannot_open_it(controller, other_controller):
    value = sealing.seal(_payload(), controller.cert_pem, "apps", "acme-registry")
    with pytest.raises(ValueError):
        controller_unseal(other_controller.key, value, b"apps/acme-registry")


def test_two_seals_differ_and_both_open(controller):
    one, two = (sealing.seal(_payload(), controller.cert_pem, "apps", "r") for _ in range(2))
    assert one != two
    assert base64.b64decode(one)[2 + 256:] != base64.b64decode(two)[2 + 256:]  # new session key
    for value in (one, two):
        assert controller_unseal(controller.key, value, b"apps/r") == _payload()


def test_empty_plaintext_round_trips(controller):
    value = sealing.seal(b"", controller.cert_pem, "apps", "r")
    assert controller_unseal(controller.key, value, b"apps/r") == b""


# ----------------------------------------------------------------- the certificate


def _python_cert(key, *, days: int = 1, expired: bool = False) -> bytes:
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(days=10) if expired else now - datetime.timedelta(hours=1)
    end = now - datetime.timedelta(days=1) if expired else now + datetime.timedelta(days=days)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_a_python_made_certificate_works_too():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = sealing.seal(b"v", _python_cert(key), "ns", "n")
    assert controller_unseal(key, value, b"ns/n") == b"v"


def test_parse_certificate_reads_the_controller_cert(controller):
    key = sealing.parse_certificate(controller.cert_pem)
    assert key.public_numbers() == controller.key.public_key().public_numbers()
    assert sealing.parse_certificate(controller.cert_pem.encode()).key_size == 2048


@pytest.mark.parametrize("case", ["garbage", "empty", "private-key", "ec", "expired"])
def test_bad_certificates_are_one_line_errors(controller, case):
    if case == "garbage":
        pem: bytes | str = "not a certificate " + LICENSE_ID
    elif case == "empty":
        pem = b""
    elif case == "private-key":
        pem = controller.key_pem
    elif case == "ec":
        pem = _python_cert(ec.generate_private_key(ec.SECP256R1()))
    else:
        pem = _python_cert(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                           expired=True)
    with pytest.raises(sealing.SealingError) as err:
        sealing.seal(b"secret", pem, "ns", "n")
    message = str(err.value)
    assert isinstance(err.value, Problem)
    assert "\n" not in message and message
    assert not helpers.leaks(message) and "BEGIN" not in message
    expected = {"ec": "RSA", "expired": "expired"}.get(case, "not a PEM X.509 certificate")
    assert expected in message


def test_strict_scope_needs_a_namespace(controller):
    with pytest.raises(sealing.SealingError, match="needs a namespace"):
        sealing.seal(b"v", controller.cert_pem, "", "n")
    with pytest.raises(sealing.SealingError, match="needs a name"):
        sealing.seal(b"v", controller.cert_pem, "ns", "")


# ----------------------------------------------------------------- fingerprint, no churn


def test_fingerprint_is_stable_and_bound_to_everything(controller, other_controller):
    base = sealing.fingerprint(_payload(), controller.cert_pem, "apps", "r")
    assert base == sealing.fingerprint(_payload(), controller.cert_pem.encode(), "apps", "r")
    assert base.startswith("v1:") and len(base) == 3 + 64
    others = {
        sealing.fingerprint(_payload("unitTestLicense0000000001"), controller.cert_pem,
                            "apps", "r"),
        sealing.fingerprint(_payload(), other_controller.cert_pem, "apps", "r"),
        sealing.fingerprint(_payload(), controller.cert_pem, "other", "r"),
        sealing.fingerprint(_payload(), controller.cert_pem, "apps", "s"),
        # the length prefix keeps the fields apart: ("ap", "ps/r") is not ("apps", "r")
        sealing.fingerprint(_payload(), controller.cert_pem, "ap", "ps/r"),
    }
    assert base not in others and len(others) == 5


def test_fingerprint_holds_no_secret(controller):
    mark = sealing.fingerprint(_payload(), controller.cert_pem, "apps", "r")
    assert not helpers.leaks(mark)
    assert _payload().decode() not in mark


def _previous(controller, plaintext: bytes, namespace: str = "apps", name: str = "r") -> dict:
    value, mark = sealing.seal_once(None, DOCKERCONFIGJSON_KEY, plaintext, controller.cert_pem,
                                    namespace, name)
    return sealing.manifest(name, namespace, {DOCKERCONFIGJSON_KEY: value}, DOCKERCONFIGJSON,
                            annotations={sealing.FINGERPRINT_ANNOTATION: mark})


DOCKERCONFIGJSON_KEY = ".dockerconfigjson"


def test_seal_once_keeps_the_previous_value_for_the_same_plaintext(controller):
    previous = _previous(controller, _payload())
    # through YAML, as the previous run's output comes back from the package
    previous = yaml.safe_load(yaml.safe_dump(previous))
    value, mark = sealing.seal_once(previous, DOCKERCONFIGJSON_KEY, _payload(),
                                    controller.cert_pem, "apps", "r")
    assert value == previous["spec"]["encryptedData"][DOCKERCONFIGJSON_KEY]
    assert mark == previous["metadata"]["annotations"][sealing.FINGERPRINT_ANNOTATION]


@pytest.mark.parametrize("change", ["plaintext", "namespace", "certificate", "mark", "value"])
def test_seal_once_reseals_when_anything_changed(controller, other_controller, change):
    previous = _previous(controller, _payload())
    old = previous["spec"]["encryptedData"][DOCKERCONFIGJSON_KEY]
    plaintext, namespace, ctl = _payload(), "apps", controller
    if change == "plaintext":
        plaintext = _payload("unitTestLicense0000000002")
    elif change == "namespace":
        namespace = "other"
    elif change == "certificate":
        ctl = other_controller
    elif change == "mark":
        previous["metadata"]["annotations"][sealing.FINGERPRINT_ANNOTATION] = "v1:" + "0" * 64
    else:
        del previous["spec"]["encryptedData"][DOCKERCONFIGJSON_KEY]
    value, _ = sealing.seal_once(previous, DOCKERCONFIGJSON_KEY, plaintext, ctl.cert_pem,
                                 namespace, "r")
    assert value != old
    assert controller_unseal(ctl.key, value, f"{namespace}/r".encode()) == plaintext


@pytest.mark.parametrize("previous", [None, {}, [], "x", {"metadata": None, "spec": 3},
                                      {"metadata": {"annotations": None},
                                       "spec": {"encryptedData": []}}])
def test_seal_once_tolerates_malformed_previous_objects(controller, previous):
    value, _ = sealing.seal_once(previous, "k", b"v", controller.cert_pem, "ns", "n")
    assert controller_unseal(controller.key, value, b"ns/n") == b"v"


# ----------------------------------------------------------------- the SealedSecret


def _validator() -> jsonschema.Draft4Validator:
    api_version, validator = crdschema.validator(DATA / "bitnami.com_sealedsecrets.yaml")
    assert api_version == sealing.API_VERSION == "bitnami.com/v1alpha1"
    return validator


def test_manifest_matches_the_crd_and_the_controller_opens_it(controller):
    value, mark = sealing.seal_once(None, DOCKERCONFIGJSON_KEY, _payload(), controller.cert_pem,
                                    "apps", "acme-registry")
    obj = sealing.manifest("acme-registry", "apps", {DOCKERCONFIGJSON_KEY: value},
                           DOCKERCONFIGJSON, annotations={sealing.FINGERPRINT_ANNOTATION: mark},
                           labels={"kots.io/app-slug": "acme"})
    _validator().validate(json.loads(json.dumps(obj)))
    assert (obj["apiVersion"], obj["kind"]) == ("bitnami.com/v1alpha1", "SealedSecret")
    assert obj["spec"]["template"]["type"] == "kubernetes.io/dockerconfigjson"
    assert obj["spec"]["template"]["metadata"]["labels"] == {"kots.io/app-slug": "acme"}
    assert not set(obj["metadata"].get("annotations", {})) & set(sealing.SCOPE_ANNOTATIONS)
    assert unseal_manifest(controller.key, obj) == {DOCKERCONFIGJSON_KEY: _payload()}
    assert not helpers.leaks(yaml.safe_dump(obj))


def test_the_crd_check_catches_a_misplaced_field():
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(
            {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": {},
             "spec": {"encryptedData": {}, "type": DOCKERCONFIGJSON}})


def test_manifest_refuses_scope_annotations_and_a_missing_namespace():
    with pytest.raises(sealing.SealingError, match="strict scope"):
        sealing.manifest("r", "ns", {}, DOCKERCONFIGJSON,
                         annotations={"sealedsecrets.bitnami.com/cluster-wide": "true"})
    with pytest.raises(sealing.SealingError, match="needs a namespace"):
        sealing.manifest("r", "", {}, DOCKERCONFIGJSON)


def test_the_controller_would_refuse_it_under_another_name(controller):
    """Renaming the SealedSecret in Git (e.g. a kustomize namePrefix) breaks it, as it must."""
    value = sealing.seal(_payload(), controller.cert_pem, "apps", "acme-registry")
    obj = sealing.manifest("prefix-acme-registry", "apps", {DOCKERCONFIGJSON_KEY: value},
                           DOCKERCONFIGJSON)
    with pytest.raises(ValueError):
        unseal_manifest(controller.key, obj)


def test_only_sealed_mode_loads_cryptography():
    """cryptography is an optional extra: the rest of the function must not import it."""
    code = ("import sys, fn.cli, fn.pipeline, fn.stream, fn.externalsecret; "
            "print('cryptography' in sys.modules, 'fn.sealing' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=helpers.REPO, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ["False", "False"]
