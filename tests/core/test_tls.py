"""TLS on the operating system's trust store (truststore), an environment's CA bundle and proxy, and the
sandbox never proxied: against a real HTTPS server and a real proxy on 127.0.0.1."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from tests.local_http import serving
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.outcome import Outcome

BODY = b'{"eventTypeKey":"pageViewed","keyValue":"ann@example.com","params":[]}'


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A company CA (ca.pem) and a certificate it signed for 127.0.0.1 (server.pem, server.key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Test Company CA")).issuer_name(_name("Test Company CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class _Accepting(http.server.BaseHTTPRequestHandler):
    """Answers every POST with 202 and notes the request line's target (a proxy sees absolute URLs)."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append(self.path)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def ca(tmp_path: Path) -> tuple[Path, Path, Path]:
    return _certificates(tmp_path)


@pytest.fixture
def https_url(ca: tuple[Path, Path, Path]) -> Iterator[str]:
    _Accepting.seen = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca[1], ca[2])
    with serving(_Accepting, context) as address:
        yield f"https://{address}/api/v2/event"


@pytest.fixture
def proxy() -> Iterator[str]:
    _Accepting.seen = []
    with serving(_Accepting) as address:
        yield f"http://{address}"


async def _send(env: Environment) -> Any:
    async with EventClient(env, secret="tls-test-key-0123456789", rate_limit=None) as client:
        return await client.send(BODY)


@pytest.mark.asyncio
async def test_a_company_ca_is_trusted_once_the_system_trusts_it(
    https_url: str, ca: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = Environment(name="corporate", url=https_url)
    refused = await _send(env)
    assert refused.outcome is Outcome.TLS_ERROR and _Accepting.seen == []
    assert "not trusted by this computer's trust store" in refused.explanation.detail
    assert "install the company's CA certificate in the operating system" in refused.explanation.detail
    # The system's trust store, as OpenSSL reads it on Linux: httpx's own bundle (certifi) would not know this CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    accepted = await _send(env)
    assert accepted.outcome is Outcome.ACCEPTED and _Accepting.seen == ["/api/v2/event"]


@pytest.mark.asyncio
async def test_an_environment_can_name_a_ca_bundle(https_url: str, ca: tuple[Path, Path, Path],
                                                   tmp_path: Path) -> None:
    accepted = await _send(Environment(name="corporate", url=https_url, ca_bundle=str(ca[0])))
    assert accepted.outcome is Outcome.ACCEPTED
    missing = tmp_path / "no-such-bundle.pem"
    failed = await _send(Environment(name="corporate", url=https_url, ca_bundle=str(missing)))
    assert failed.outcome is Outcome.TLS_ERROR and _Accepting.seen == ["/api/v2/event"]  # nothing more sent
    assert f"The CA bundle {str(missing)!r} of environment 'corporate' could not be loaded" in failed.explanation.title
    still = await _send(Environment(name="corporate", url=https_url, ca_bundle=str(ca[2])))
    assert still.outcome is Outcome.TLS_ERROR and "could not be loaded" in still.explanation.title  # not a CA file


@pytest.mark.asyncio
async def test_an_environment_proxy_is_used_but_never_for_the_sandbox(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    far = await _send(Environment(name="via-proxy", url="http://yespo.invalid/api/v2/event", proxy=proxy))
    assert far.outcome is Outcome.ACCEPTED and _Accepting.seen == ["http://yespo.invalid/api/v2/event"]
    # A loopback URL goes straight there, even with a proxy named in the environment and in the variables.
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "")
    local = await _send(Environment(name="local", url=f"{proxy}/api/v2/event", kind="sandbox", proxy=proxy))
    assert local.outcome is Outcome.ACCEPTED and _Accepting.seen[1:] == ["/api/v2/event"]


def test_a_proxy_is_checked_and_never_stores_a_password() -> None:
    with pytest.raises(ValidationError, match="HTTPS_PROXY"):
        Environment(name="p", url="https://yespo.io/api/v2/event", proxy="http://me:secret@proxy:3128")
    with pytest.raises(ValidationError, match="proxy"):
        Environment(name="p", url="https://yespo.io/api/v2/event", proxy="ftp://proxy:21")
    assert Environment(name="p", url="https://yespo.io/api/v2/event", proxy=" ").proxy is None
