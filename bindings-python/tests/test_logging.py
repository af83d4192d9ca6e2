"""Core log records reach Python logging under `officernd_auth`; none carries a secret or token."""

import logging

import pytest

from officernd_auth import HttpError, OAuthError, OfficeRnDAuthError, TokenClient

from conftest import DEMO_SECRET


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
