"""Core log records reach Python logging under `officernd_auth`; none carries a secret or token."""

import logging

import pytest

from officernd_auth import OfficeRnDAuthError, TokenClient

from conftest import DEMO_SECRET


def test_log_records_reach_python_logging_without_secrets(mock, caplog):
    caplog.set_level(logging.DEBUG, logger="officernd_auth")
    client = TokenClient(**mock.client_kwargs())
    token = client.token()
    client.invalidate(token)
    second = client.token()
    mock.faults({"kind": "status", "status": 503}, {"kind": "status", "status": 503}, {"kind": "status", "status": 503})
    bad = TokenClient(**mock.client_kwargs(client_secret=DEMO_SECRET + "-wrong"))
    with pytest.raises(OfficeRnDAuthError):
        bad.token()
    ours = [r for r in caplog.records if r.name.startswith("officernd_auth")]
    assert ours, "no log record from the core"
    for r in caplog.records:
        text = r.getMessage()
        assert DEMO_SECRET not in text
        assert token.access_token not in text and second.access_token not in text
