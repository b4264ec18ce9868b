"""The client core against real sockets: the sandbox on a free loopback port, plus tiny raw servers
that hang, drop, answer garbage or speak TLS with a self-signed certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import shutil
import ssl
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from tests.sandbox.helpers import MISSING_PAGE_EVENT, body, free_port, skip_unless_lookups_fail
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import BUILTIN_ENVIRONMENTS, Environment
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.sending import RetryPolicy, Timeouts
from yespo_console.sandbox import Sandbox, SandboxEvent

FAST = Timeouts(connect=2, read=0.5, write=2, pool=2, total=2)


def sandbox_env(sb: Sandbox, path: str = "/api/v2/event") -> Environment:
    return BUILTIN_ENVIRONMENTS[0].with_url(sb.base_url + path)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest_asyncio.fixture
async def raw_server() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Start a raw asyncio TCP server with a handler; returns its base URL."""
    servers: list[asyncio.Server] = []
    writers: list[asyncio.StreamWriter] = []

    async def start(handler: Handler, *, ssl_context: ssl.SSLContext | None = None) -> str:
        async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            await handler(reader, writer)

        server = await asyncio.start_server(wrapped, "127.0.0.1", 0, ssl=ssl_context)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"

    yield start
    for writer in writers:
        writer.transport.abort()
    for server in servers:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


@pytest.mark.asyncio
async def test_accepted_and_recorded_in_both_places(sandbox: Sandbox, tmp_path: Path) -> None:
    history = HistoryStore(tmp_path / "history.sqlite3")
    pending_seen: list[Outcome] = []

    def while_received(event: SandboxEvent) -> None:
        # The sandbox has the request: the history row must already exist, still pending.
        latest = history.get(1)
        pending_seen.append(latest.outcome if latest else Outcome.INTERRUPTED)

    sandbox.add_listener(while_received)
    async with EventClient(sandbox_env(sandbox), secret="key-for-the-sandbox", recorder=history) as client:
        result = await client.send(body())
    assert result.outcome is Outcome.ACCEPTED and result.status == 200 and result.exchange_id == 1
    assert pending_seen == [Outcome.PENDING]
    row = history.get(1)
    assert row is not None and row.outcome is Outcome.ACCEPTED and row.request_body == body()
    assert row.status == 200 and json.loads(row.response_body)["status"] == "accepted"
    [event] = sandbox.events()
    assert event.body == body()  # byte for byte
    assert dict(event.headers)["content-type"] == "application/json; charset=UTF-8"
    assert dict(event.headers)["user-agent"].startswith("yespo-console/")
    history.close()


@pytest.mark.asyncio
async def test_rejected_400_with_the_sandboxs_reason(sandbox: Sandbox) -> None:
    sandbox.account = sandbox.account.changed({"validate": "all"})
    async with EventClient(sandbox_env(sandbox), secret="k") as client:
        result = await client.send(body(MISSING_PAGE_EVENT))
    assert result.outcome is Outcome.REJECTED and result.status == 400
    assert "should have the following params" in result.body_text
    assert "parameter validation" in result.explanation.detail
    assert result.report is not None and not result.report.valid


@pytest.mark.asyncio
async def test_v1_environment_is_judged_by_v1_rules(sandbox: Sandbox) -> None:
    nested = body(
        {
            "eventTypeKey": "pageViewed",
            "keyValue": "a@example.com",
            "params": [{"name": "page", "value": {"location": "https://example.com"}}],
        }
    )
    async with EventClient(sandbox_env(sandbox, "/api/v1/event"), secret="k") as client:
        result = await client.send(nested)
    assert result.status == 400 and result.report is not None
    assert any(f.code == "param.value_not_string" for f in result.report.errors)


@pytest.mark.asyncio
async def test_wrong_key_is_401_and_explained(tmp_path: Path) -> None:
    async with Sandbox(port=0, data_dir=tmp_path, api_key="the-right-key-123") as sb:
        async with EventClient(sandbox_env(sb), secret="the-wrong-key-456") as client:
            wrong = await client.send(body())
        async with EventClient(sandbox_env(sb), secret="the-right-key-123") as client:
            right = await client.send(body())
        async with EventClient(sandbox_env(sb), secret=None) as client:
            none = await client.send(body())
    assert wrong.status == 401 and wrong.outcome is Outcome.REJECTED
    assert "not accepted" in wrong.explanation.title and "the-wrong-key-456" not in wrong.explanation.text
    assert right.ok
    assert none.status == 401 and "No key or token was sent" in none.explanation.detail


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "outcome", "words"),
    [
        (403, Outcome.REJECTED, "rights for events"),
        (429, Outcome.RATE_LIMITED, "retry after 2 s"),
        (500, Outcome.SERVER_ERROR, "server's side"),
        (503, Outcome.SERVER_ERROR, "retry after 2 s"),
    ],
)
async def test_forced_statuses(sandbox: Sandbox, status: int, outcome: Outcome, words: str) -> None:
    sandbox.set_faults(status=status, retry_after=2)
    async with EventClient(sandbox_env(sandbox), secret="k") as client:
        result = await client.send(body())
    assert result.outcome is outcome and result.status == status
    assert words in result.explanation.text
    assert result.retry_after == (2.0 if status in (429, 503) else None)  # the sandbox sends it with these only


@pytest.mark.asyncio
async def test_429_retry_after_then_success(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.set_faults(status=429, retry_after=1)
    sandbox.add_listener(lambda event: sandbox.reset_faults())  # the next request goes through
    history = HistoryStore(tmp_path / "h.sqlite3")
    loop = asyncio.get_running_loop()
    async with EventClient(sandbox_env(sandbox), secret="k", recorder=history, retry=RetryPolicy(attempts=3)) as client:
        started = loop.time()
        result = await client.send(body())
        elapsed = loop.time() - started
    assert result.ok and result.attempts == 2 and elapsed >= 0.95  # waited for Retry-After: 1
    assert [e.status for e in sandbox.events()] == [200, 429]
    assert [history.get(i).outcome for i in (1, 2)] == [Outcome.RATE_LIMITED, Outcome.ACCEPTED]  # type: ignore[union-attr]
    history.close()


@pytest.mark.asyncio
async def test_server_that_hangs_times_out(raw_server: Callable[..., Awaitable[str]]) -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    url = await raw_server(hang)
    async with EventClient(Environment.custom(url + "/api/v2/event"), secret="k", timeouts=FAST) as client:
        result = await client.send(body())
    assert result.outcome is Outcome.TIMEOUT and result.status is None
    assert "did not answer within 0.5 s" in result.explanation.title


@pytest.mark.asyncio
async def test_sandbox_latency_beyond_the_total_timeout(sandbox: Sandbox) -> None:
    sandbox.set_faults(latency_ms=5000)
    timeouts = Timeouts(connect=2, read=10, write=2, pool=2, total=0.3)
    async with EventClient(sandbox_env(sandbox), secret="k", timeouts=timeouts) as client:
        result = await client.send(body())
    assert result.outcome is Outcome.TIMEOUT and "0.3 s" in result.explanation.title


@pytest.mark.asyncio
async def test_dropped_connection(sandbox: Sandbox) -> None:
    sandbox.set_faults(drop_rate=1.0)
    async with EventClient(sandbox_env(sandbox), secret="k", timeouts=FAST) as client:
        result = await client.send(body())
    assert result.outcome is Outcome.CONNECTION_ERROR
    assert "closed the connection without answering" in result.explanation.title
    assert sandbox.events()[0].fault == "dropped (fault injection)"


@pytest.mark.asyncio
async def test_garbage_answers(sandbox: Sandbox, raw_server: Callable[..., Awaitable[str]]) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\nnot http at all\r\n")
        await writer.drain()
        writer.close()

    url = await raw_server(garbage)
    async with EventClient(Environment.custom(url + "/api/v2/event"), secret="k", timeouts=FAST) as client:
        raw = await client.send(body())
    sandbox.set_faults(garbage_rate=1.0)
    async with EventClient(sandbox_env(sandbox), secret="k", timeouts=FAST) as client:
        faulted = await client.send(body())
    for result in (raw, faulted):
        assert result.outcome is Outcome.CONNECTION_ERROR
        assert "not valid HTTP" in result.explanation.title


@pytest.mark.asyncio
async def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}/api/v2/event"
    async with EventClient(Environment.custom(url), secret="k", timeouts=FAST) as client:
        result = await client.send(body())
    assert result.outcome is Outcome.CONNECTION_ERROR and "refused" in result.explanation.title
    assert "yespo-console sandbox" in result.explanation.detail  # a loopback URL counts as a sandbox


@pytest.mark.asyncio
async def test_dns_failure() -> None:
    skip_unless_lookups_fail("no-such-host.invalid")
    env = Environment.custom("https://no-such-host.invalid/api/v2/event")
    async with EventClient(env, secret="k", timeouts=Timeouts(connect=3, total=5)) as client:
        result = await client.send(body())
    assert result.outcome is Outcome.CONNECTION_ERROR and "DNS lookup failed" in result.explanation.title


def _self_signed(tmp_path: Path) -> tuple[Path, Path] | None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            return None
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, key


@pytest.mark.asyncio
async def test_tls_errors(tmp_path: Path, raw_server: Callable[..., Awaitable[str]], sandbox: Sandbox) -> None:
    pair = _self_signed(tmp_path)
    if pair is None:
        pytest.skip("neither the cryptography package nor the openssl command is available")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pair)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await read_request(reader)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    url = await raw_server(answer, ssl_context=context) + "/api/v2/event"
    async with EventClient(Environment.custom(url), secret="k", timeouts=FAST) as client:
        untrusted = await client.send(body())
    assert untrusted.outcome is Outcome.TLS_ERROR
    assert "not trusted" in untrusted.explanation.detail and untrusted.status is None
    # The same server is fine when told not to verify (a per-environment switch, for testing only).
    insecure = Environment.custom(url).model_copy(update={"verify_tls": False})
    async with EventClient(insecure, secret="k", timeouts=FAST) as client:
        assert (await client.send(body())).ok
    # https:// to a plain-HTTP port.
    wrong = Environment.custom(sandbox.event_url.replace("http://", "https://"))
    async with EventClient(wrong, secret="k", timeouts=FAST) as client:
        plain = await client.send(body())
    assert plain.outcome is Outcome.TLS_ERROR and "http://" in plain.explanation.detail


@pytest.mark.asyncio
async def test_cancel_mid_flight(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.set_faults(latency_ms=10_000)
    history = HistoryStore(tmp_path / "h.sqlite3")
    async with EventClient(sandbox_env(sandbox), secret="k", recorder=history) as client:
        task = asyncio.create_task(client.send(body()))
        for _ in range(200):
            await asyncio.sleep(0.01)
            row = history.get(1)
            if row is not None:
                break
        assert row is not None and row.outcome is Outcome.PENDING
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    row = history.get(1)
    assert row is not None and row.outcome is Outcome.CANCELLED and "may already have reached" in row.error
    history.close()


@pytest.mark.asyncio
async def test_many_concurrent_sends_share_one_client(sandbox: Sandbox, tmp_path: Path) -> None:
    history = HistoryStore(tmp_path / "h.sqlite3")
    async with EventClient(sandbox_env(sandbox), secret="k", recorder=history) as client:
        results = await asyncio.gather(*(client.send(body()) for _ in range(60)))
        http_client = client.http
    assert http_client.is_closed
    assert all(r.ok for r in results)
    assert len({r.exchange_id for r in results}) == 60
    assert sandbox.store.count() == 60
    assert history.count() == 60
    history.close()


CURL_BODY = body()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_plain_curl_is_recorded_and_judged(sandbox_thread: Sandbox, tmp_path: Path) -> None:
    sandbox_thread.account = sandbox_thread.account.changed({"validate": "all"})
    good = tmp_path / "good.json"
    good.write_bytes(CURL_BODY)
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-u",
            ":curl-secret-key",
            "-H",
            "Content-Type: application/json; charset=UTF-8",
            "--data-binary",
            f"@{good}",
            "-w",
            "\n%{http_code}",
            sandbox_thread.event_url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answer, status = out.stdout.rsplit("\n", 1)
    assert status == "200" and json.loads(answer)["status"] == "accepted"
    bad = subprocess.run(
        [
            "curl",
            "-sS",
            "-H",
            "Authorization: Bearer tok",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            json.dumps(MISSING_PAGE_EVENT),
            "-w",
            "\n%{http_code}",
            sandbox_thread.event_url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    text, status = bad.stdout.rsplit("\n", 1)
    assert status == "400" and text.startswith("The event should have the following params")
    rejected, accepted = sandbox_thread.events()
    assert accepted.body == CURL_BODY and accepted.valid is True and accepted.event_type == "pageViewed"
    headers = dict(accepted.headers)
    assert headers["user-agent"].startswith("curl/") and headers["authorization"] == "Basic ••••"
    assert (
        rejected.valid is False
        and rejected.auth == "Bearer"
        and dict(rejected.headers)["authorization"] == "Bearer ••••"
    )
    stored = json.dumps([e.as_dict() for e in sandbox_thread.events()])
    assert "curl-secret-key" not in stored


def test_raw_httpx_script_is_recorded_and_judged(sandbox_thread: Sandbox, tmp_path: Path) -> None:
    script = tmp_path / "integration.py"
    script.write_text(
        textwrap.dedent(f"""
        import httpx, json
        events = [
            {{"eventTypeKey": "searchRequest", "keyValue": "380501234567",
              "params": [{{"name": "phone", "value": "380501234567"}}, {{"name": "search", "value": "mug"}}]}},
            {{"eventTypeKey": "productViewed", "params": [{{"name": "product", "value": {{"price": 1}}}}]}},
        ]
        with httpx.Client(auth=("user", "integration-key-42")) as client:
            for event in events:
                r = client.post({sandbox_thread.event_url!r}, json=event)
                print(r.status_code)
    """)
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["200", "400"]
    invalid, valid = sandbox_thread.events()
    assert valid.event_type == "searchRequest" and valid.valid and valid.auth == "Basic (user 'user')"
    assert dict(valid.headers)["user-agent"].startswith("python-httpx/")
    assert invalid.valid is False and {d["code"] for d in invalid.errors} >= {"locator.none"}
    assert "integration-key-42" not in json.dumps(invalid.as_dict())
