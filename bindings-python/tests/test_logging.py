"""Core log records reach Python logging under `officernd_auth`; none carries a secret or token."""

import logging

import pytest

from conftest import DEMO_SECRET
from officernd_auth import HttpError, OAuthError, OfficeRnDAuthError, TokenClient


def test_log_records_reach_python_logging_without_secrets(mock, mock_factory, caplog):
    caplog.set_level(logging.DEBUG, logger="officernd_auth")
    client = TokenClient(**mock.client_kwargs())
    token = client.token()
    client.invalidate(token)
    second = client.token()
    # Server errors, retried: the retry path logs.
    mock.faults({"kind": "status", "status": 503}, {"kind": "status", "status": 503}, {"kind": "status", "status": 503})
    flaky = TokenClient(**mock.client_kwargs(client_secret=DEMO_SECRET + "-other"))
    with pytest.raises(HttpError):
        flaky.token()
    assert mock.stats()["faults_queued"] == 0

    # invalid_client from a server that echoes the secret it was sent back in its description
    # (a fresh mock: the first one's rate limit is spent).
    echo = mock_factory()
    wrong = DEMO_SECRET + "-wrong"
    echo.faults(
        {
            "kind": "oauth_error",
            "status": 401,
            "error": "invalid_client",
            "description": f"client secret {wrong} is not valid for client demo-client-id",
        }
    )
    before = len(caplog.records)
    bad = TokenClient(**echo.client_kwargs(client_secret=wrong))
    for _ in range(2):  # the request, then the remembered answer
        with pytest.raises(OAuthError) as e:
            bad.token()
        assert e.value.error == "invalid_client"
    assert echo.token_requests == 1 and echo.stats()["faults_queued"] == 0
    path = [r.getMessage() for r in caplog.records[before:]]
    assert any("invalid_client" in m for m in path), "the invalid_client answer was not logged"

    ours = [r for r in caplog.records if r.name.startswith("officernd_auth")]
    assert ours, "no log record from the core"
    for r in caplog.records:
        text = r.getMessage() + " " + " ".join(map(str, r.args or ()))
        leaked = DEMO_SECRET in text  # a boolean, so a failure never prints the secret
        assert not leaked, f"log record {r.name}:{r.lineno} carries the client secret"
        tokens = token.access_token in text or second.access_token in text
        assert not tokens, f"log record {r.name}:{r.lineno} carries a token"


def test_errors_from_an_echoing_server_do_not_carry_the_secret(mock):
    wrong = DEMO_SECRET + "-wrong"
    mock.faults({"kind": "oauth_error", "status": 401, "error": "invalid_client", "description": f"bad secret {wrong}"})
    with pytest.raises(OfficeRnDAuthError) as e:
        TokenClient(**mock.client_kwargs(client_secret=wrong)).token()
    for text in (str(e.value), repr(e.value), str(e.value.error_description)):
        leaked = DEMO_SECRET in text
        assert not leaked, "the error carries the client secret"


def test_http_and_tls_library_records_are_never_forwarded(mock, caplog):
    # Everything, every logger: what a user with `logging.basicConfig(level=1)` would see.
    caplog.set_level(1)
    client = TokenClient(**mock.client_kwargs(share_cache=False))
    token = client.token()
    assert client.invalidate(token)
    second = client.token()
    assert mock.token_requests == 2

    rust = [r for r in caplog.records if r.pathname.endswith(".rs")]  # forwarded by pyo3-log
    assert any(r.name.startswith("officernd_auth") for r in rust), "no log record from the core"
    # ureq, ureq_proto and rustls log connection details and request/response bytes at DEBUG and
    # TRACE (ureq_proto hex-dumps bodies): only their warnings and errors may come through.
    chatty = sorted(
        {
            f"{r.name} {r.levelname}"
            for r in rust
            if not r.name.startswith("officernd_auth") and r.levelno < logging.WARNING
        }
    )
    assert chatty == [], "records below WARNING forwarded from other crates"
    for r in caplog.records:
        text = r.getMessage() + " " + " ".join(map(str, r.args or ()))
        for access in (token.access_token, second.access_token):
            whole = access in text  # booleans, so that a failure never prints a token
            assert not whole, f"log record {r.name}:{r.lineno} carries a whole access token"
            # Nor a piece of one (a hex dump cuts a body into 16-byte rows).
            piece = any(access[i : i + 12] in text for i in range(len(access) - 11))
            assert not piece, f"log record {r.name}:{r.lineno} carries part of an access token"
        assert DEMO_SECRET not in text, f"log record {r.name}:{r.lineno} carries the client secret"
