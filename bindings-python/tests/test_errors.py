"""Every core error code maps to its exception class, with its attributes, and no secret leaks."""

import pytest

import officernd_auth as oa
from conftest import DEMO_SECRET
from officernd_auth import TokenClient, _native

CLASSES = {
    "config": oa.ConfigError,
    "oauth": oa.OAuthError,
    "rate_limited": oa.RateLimitedError,
    "http": oa.HttpError,
    "transport": oa.TransportError,
    "timeout": oa.RequestTimeoutError,
    "invalid_response": oa.InvalidResponseError,
}


def check_safe(err: BaseException) -> None:
    for text in (str(err), repr(err)):
        assert DEMO_SECRET not in text


def fetch_error(client: TokenClient) -> oa.OfficeRnDAuthError:
    with pytest.raises(oa.OfficeRnDAuthError) as e:
        client.token()
    check_safe(e.value)
    assert CLASSES[e.value.code] is type(e.value)
    return e.value


def test_hierarchy_and_class_defaults():
    for code, cls in CLASSES.items():
        assert issubclass(cls, oa.OfficeRnDAuthError) and issubclass(cls, Exception)
        assert cls.code == code
        assert cls.__module__ == "officernd_auth"
    # The timeout class does not shadow (nor subclass) the builtin TimeoutError.
    assert oa.RequestTimeoutError is not TimeoutError and not issubclass(oa.RequestTimeoutError, TimeoutError)
    user = oa.HttpError("raised by user code")
    assert user.status is None and user.retry_after is None and user.error is None and user.code == "http"
    # Class level: what the code says by default (an HttpError is most often a 5xx: retryable).
    assert user.retryable is True and oa.HttpError.retryable is True


def test_one_class_per_core_code_with_core_default_retryable():
    # `_native._ERROR_CODES` is core's ErrorCode table as it is: (code, retryable_by_default).
    table = dict(_native._ERROR_CODES)
    assert list(table) == list(CLASSES)  # every core code has its class, in core's order
    for code, retryable in table.items():
        cls = CLASSES[code]
        assert cls.code == code
        assert cls.retryable is retryable, f"{cls.__name__}.retryable is not core's default for {code!r}"
        assert f"(code '{code}')" in (cls.__doc__ or ""), cls.__name__
    exported = {v for v in vars(oa).values() if isinstance(v, type) and issubclass(v, oa.OfficeRnDAuthError)} - {
        oa.OfficeRnDAuthError
    }
    assert exported == set(CLASSES.values())


def test_oauth_error_invalid_client(mock):
    client = TokenClient(**mock.client_kwargs(client_secret="wrong-secret-value"))
    err = fetch_error(client)
    assert isinstance(err, oa.OAuthError)
    assert (err.code, err.status, err.error, err.retryable) == ("oauth", 401, "invalid_client", False)
    assert err.retry_after is None and err.last_error is None
    assert "wrong-secret-value" not in str(err)
    assert mock.token_requests == 1
    assert client.stats().refused_locally == 0
    # A terminal answer is remembered and replayed as the same error, at once: no second request
    # burns the budget (the mock would answer a second request, and count it).
    again = fetch_error(client)
    assert type(again) is oa.OAuthError
    assert (again.code, again.status, again.error, again.retryable) == ("oauth", 401, "invalid_client", False)
    assert again.error_description == err.error_description
    assert mock.token_requests == 1
    assert client.stats().refused_locally == 1


def test_oauth_error_fields_from_server(mock):
    mock.faults({"kind": "oauth_error", "status": 400, "error": "invalid_scope", "description": "scope too wide"})
    err = fetch_error(TokenClient(**mock.client_kwargs()))
    assert isinstance(err, oa.OAuthError)
    assert (err.status, err.error, err.error_description) == (400, "invalid_scope", "scope too wide")
    assert err.error_uri is None


def test_rate_limited_by_server(mock):
    mock.faults({"kind": "too_many_requests", "retry_after": "7"})
    err = fetch_error(TokenClient(**mock.client_kwargs()))
    assert isinstance(err, oa.RateLimitedError)
    assert (err.code, err.status, err.retry_after, err.retryable) == ("rate_limited", 429, 7.0, True)


def test_rate_limited_locally_carries_last_error(mock):
    mock.faults({"kind": "status", "status": 503})
    client = TokenClient(**mock.client_kwargs(max_requests=1, max_retries=0))
    first = fetch_error(client)
    assert isinstance(first, oa.HttpError)
    assert (first.code, first.status, first.retryable) == ("http", 503, True)
    second = fetch_error(client)
    assert isinstance(second, oa.RateLimitedError)
    assert second.status is None and second.retry_after is not None and second.retry_after > 0
    assert isinstance(second.last_error, oa.HttpError) and second.last_error.status == 503
    assert mock.token_requests == 1
    assert client.stats().refused_locally >= 1


def test_http_error_on_redirect_is_not_followed(mock):
    mock.faults({"kind": "redirect", "location": "http://127.0.0.1:1/x"})
    err = fetch_error(TokenClient(**mock.client_kwargs(max_retries=0)))
    assert isinstance(err, oa.HttpError) and 300 <= err.status < 400 and err.retryable is False


def test_transport_error():
    client = TokenClient(
        "some-client", DEMO_SECRET, token_url="http://127.0.0.1:1/oauth/token", max_retries=0, share_cache=False
    )
    err = fetch_error(client)
    assert isinstance(err, oa.TransportError)
    assert (err.code, err.status, err.retryable) == ("transport", None, True)


def test_timeout_error(mock):
    mock.faults({"kind": "delay", "ms": 1500})
    err = fetch_error(TokenClient(**mock.client_kwargs(timeout=0.3, max_retries=0)))
    assert isinstance(err, oa.RequestTimeoutError)
    assert (err.code, err.retryable) == ("timeout", True)


@pytest.mark.parametrize(
    "fault",
    [
        "malformed_json",
        "html_page",
        "wrong_token_type",
        "missing_access_token",
        "empty_access_token",
        "token_with_newline",
    ],
)
def test_invalid_response(mock, fault):
    mock.faults({"kind": fault})
    err = fetch_error(TokenClient(**mock.client_kwargs()))
    assert isinstance(err, oa.InvalidResponseError)
    assert (err.code, err.status, err.retryable) == ("invalid_response", 200, False)


def test_oversized_body_is_invalid_response(mock):
    mock.faults({"kind": "oversized_body", "bytes": 100000})
    err = fetch_error(TokenClient(**mock.client_kwargs()))
    assert isinstance(err, oa.InvalidResponseError)
