"""TokenClient and Token: construction, caching, attributes, immutability, redaction."""

import datetime
import math
import os
import sys

import pytest

import officernd_auth
from conftest import DEMO_ID, DEMO_SCOPES, DEMO_SECRET
from officernd_auth import ConfigError, OfficeRnDAuthError, RequestTimeoutError, Stats, Token, TokenClient, _native

# A token answer this late (the mock's `delay` fault) outlasts a 0.3 s timeout, never a 5 s one.
SLOW_ANSWER = {"kind": "delay", "ms": 1000}


def fetch_slow_answer(mock, client: TokenClient) -> "Token | RequestTimeoutError":
    """One token request answered late: the token, or the timeout error it raised."""
    mock.faults(SLOW_ANSWER)
    try:
        got: "Token | RequestTimeoutError" = client.token()
    except RequestTimeoutError as e:
        got = e
    assert mock.stats()["faults_queued"] == 0, "the slow answer was not requested"
    return got


def test_token_is_fetched_once_then_cached(mock):
    client = TokenClient(**mock.client_kwargs())
    token = client.token()
    assert isinstance(token, Token)
    assert token.token_type == "Bearer"
    assert token.scopes == ("officernd.api.read", "officernd.api.write")
    assert 3500 < token.expires_in <= 3599
    assert token.expires_at.tzinfo is not None
    left = token.expires_at - datetime.datetime.now(datetime.timezone.utc)
    assert abs(left.total_seconds() - token.expires_in) < 5
    assert client.access_token() == token.access_token
    header = client.authorization_header()
    assert header == "Bearer " + token.access_token == token.authorization_header()
    assert client.token() == token
    assert client.cached() == token
    assert mock.token_requests == 1
    assert mock.me(header) == 200


def test_stats_is_typed_snapshot(mock):
    client = TokenClient(**mock.client_kwargs())
    empty = client.stats()
    assert isinstance(empty, Stats)
    assert empty.requests_sent == 0 and empty.expires_in is None and empty.last_error_code is None
    client.token()
    client.token()
    s = client.stats()
    assert s.requests_sent == s.requests_ok == 1
    assert s.cache_hits >= 1
    assert s.budget_capacity == 5 and s.budget_remaining == 4
    assert isinstance(s.expires_in, float) and s.expires_in > 3500
    d = s.to_dict()
    assert d["requests_ok"] == 1 and set(d) >= {"requests_sent", "budget_remaining", "last_error_code"}
    assert "Stats(" in repr(s)
    with pytest.raises(AttributeError):
        s.requests_ok = 5  # type: ignore[misc]


def test_scopes_as_list_or_string_share_one_cache(mock):
    a = TokenClient(**mock.client_kwargs(scopes=DEMO_SCOPES))
    b = TokenClient(**mock.client_kwargs(scopes=["officernd.api.write", "officernd.api.read"]))
    c = TokenClient(**mock.client_kwargs(scopes=("officernd.api.read officernd.api.write",)))
    assert a.token() == b.token() == c.token()
    assert b.scopes == ("officernd.api.read", "officernd.api.write")
    assert mock.token_requests == 1


def test_token_is_immutable_and_hashable(mock):
    client = TokenClient(**mock.client_kwargs())
    token = client.token()
    with pytest.raises(AttributeError):
        token.access_token = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        token.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        Token()  # type: ignore[call-arg]
    assert {token, client.token()} == {token}
    assert hash(token) == hash(client.token())
    assert token != "not a token"


def test_reprs_never_show_secret_or_token(mock):
    client = TokenClient(**mock.client_kwargs())
    token = client.token()
    for text in (repr(token), str(token), repr(client), str(client), repr(client.stats())):
        assert DEMO_SECRET not in text
        assert token.access_token not in text
    assert "[redacted]" in repr(token) and "[redacted]" in str(token)
    assert DEMO_ID in repr(client)


def test_from_env(mock, monkeypatch):
    monkeypatch.setenv("OFFICERND_CLIENT_ID", DEMO_ID)
    monkeypatch.setenv("OFFICERND_CLIENT_SECRET", DEMO_SECRET)
    monkeypatch.setenv("OFFICERND_SCOPES", "officernd.api.read")
    monkeypatch.setenv("OFFICERND_TOKEN_URL", mock.token_url)
    client = TokenClient.from_env()
    assert client.token_url == mock.token_url and client.client_id == DEMO_ID
    assert client.token().scopes == ("officernd.api.read",)
    # Keyword arguments override the environment, and reach the core: a 0.3 s timeout (not the
    # default 10 s) gives up on a slow answer.
    other = TokenClient.from_env(scopes=["officernd.api.write"], timeout=0.3, max_retries=0)
    assert other.scopes == ("officernd.api.write",)
    assert isinstance(fetch_slow_answer(mock, other), RequestTimeoutError)
    assert mock.token_requests == 2


def test_from_env_names_the_missing_variable(monkeypatch):
    for name in ("OFFICERND_CLIENT_ID", "OFFICERND_CLIENT_SECRET", "OFFICERND_SCOPES", "OFFICERND_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as e:
        TokenClient.from_env()
    assert e.value.setting == "OFFICERND_CLIENT_ID"
    assert e.value.code == "config" and e.value.retryable is False


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scopes": 5},
        {"scopes": [1]},
        {"scopes": b"officernd.api.read"},
        {"timeout": "10"},
        {"timeout": True},
        {"max_requests": 1.5},
        {"max_retries": "2"},
        {"token_url": 5},
        {"share_cache": "yes"},
        {"share_cache": 1},
        {"store": 5},
    ],
)
def test_wrong_argument_types_raise_type_error(kwargs):
    with pytest.raises(TypeError):
        TokenClient(DEMO_ID, DEMO_SECRET, **kwargs)


@pytest.mark.parametrize("name", ["bogus", "scope", "quotaWindow", "cache_dir", "budget_window"])
def test_unknown_keywords_raise_type_error(name):
    # Python takes core's setting names only: not its older aliases nor camelCase spellings.
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
        TokenClient(DEMO_ID, DEMO_SECRET, **{name: "1"})
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
        TokenClient.from_env(client_id=DEMO_ID, client_secret=DEMO_SECRET, **{name: "1"})


def test_every_core_setting_is_a_keyword_taking_its_kind(mock, tmp_path):
    # Generic: one value per kind of core's settings table, so a new setting of a known kind is
    # covered without a change here. Each setting alone builds a client (core accepted it), in
    # both constructors; all of them together build one that fetches a token.
    example = {
        "text": "some-text",
        "secret": DEMO_SECRET,
        "scopes": ["officernd.api.read", "officernd.api.write"],
        "duration": datetime.timedelta(seconds=120),
        "count": 3,
        "flag": False,
        "path": tmp_path / "store",
    }
    special = {"client_id": DEMO_ID, "token_url": mock.token_url, "store": "memory"}
    settings = dict(_native._SETTINGS)
    assert set(settings.values()) == set(example), "a new kind of setting: add an example here"
    every = {}
    for name, kind in settings.items():
        every[name] = value = special.get(name, example[kind])
        kw = {"client_id": DEMO_ID, "client_secret": DEMO_SECRET, name: value}
        assert isinstance(TokenClient(**kw), TokenClient), name
        assert isinstance(TokenClient.from_env(**kw), TokenClient), name
    del every["store"]  # store_path alone means the file store there
    client = TokenClient(**every)
    assert client.token().scopes == ("officernd.api.read", "officernd.api.write")
    assert client.stats().budget_capacity == 3
    assert any((tmp_path / "store").iterdir()), "the file store in store_path was not used"
    assert mock.token_requests == 1
    # durations as seconds in every form; None means "not set"
    for value in (120, 120.0, None):
        TokenClient(DEMO_ID, DEMO_SECRET, refresh_ahead=value, quota_window=value)


@pytest.mark.skipif(sys.platform == "win32", reason="undecodable bytes in paths are a POSIX thing")
def test_path_that_is_not_unicode_raises_value_error(tmp_path):
    # Python keeps undecodable bytes of a path as surrogate escapes; core's settings take text.
    undecodable = os.fsdecode(bytes(tmp_path) + b"/\xff")
    with pytest.raises(ValueError, match="store_path"):
        TokenClient(DEMO_ID, DEMO_SECRET, store_path=undecodable)


def test_missing_or_non_str_credentials_raise_type_error():
    with pytest.raises(TypeError):
        TokenClient(client_id=DEMO_ID)  # type: ignore[call-arg]
    with pytest.raises(TypeError) as e:
        TokenClient(DEMO_ID, 12345)  # type: ignore[arg-type]
    assert "12345" not in str(e.value)


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": -1}, {"timeout": math.nan}, {"timeout": math.inf}, {"max_requests": -1}, {"max_retries": 2**40}],
)
def test_wrong_argument_values_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        TokenClient(DEMO_ID, DEMO_SECRET, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"token_url": "ftp://example.com/token"}, "token_url"),
        ({"token_url": "http://example.com/oauth/token"}, "token_url"),
        ({"timeout": 0}, "timeout"),
        ({"max_requests": 0}, "max_requests"),
    ],
)
def test_invalid_settings_raise_config_error(kwargs, setting):
    args = {"client_id": DEMO_ID, "client_secret": DEMO_SECRET, **kwargs}
    with pytest.raises(ConfigError) as e:
        TokenClient(**args)
    assert e.value.setting == setting
    assert isinstance(e.value, OfficeRnDAuthError)
    assert DEMO_SECRET not in str(e.value)


@pytest.mark.parametrize(
    ("timeout", "times_out"),
    [
        (0.3, True),
        (datetime.timedelta(milliseconds=300), True),
        (5, False),
        (5.0, False),
        (datetime.timedelta(seconds=5), False),
    ],
    ids=["float-0.3s", "timedelta-0.3s", "int-5s", "float-5s", "timedelta-5s"],
)
def test_timeouts_in_seconds_or_timedelta_take_effect(mock, timeout, times_out):
    # An isolated cache per client: no token or cool-down carries over between requests.
    client = TokenClient(**mock.client_kwargs(timeout=timeout, max_retries=0, share_cache=False))
    got = fetch_slow_answer(mock, client)
    if times_out:
        assert isinstance(got, RequestTimeoutError), got
        assert client.stats().requests_timeout == 1
    else:
        assert isinstance(got, Token), f"{type(got).__name__}: {got}"
        assert client.stats().requests_ok == 1
    assert mock.token_requests == 1


def test_other_durations_accept_float_and_timedelta(mock):
    # Their effect needs minutes of real time (refresh_ahead) or an unreachable peer
    # (connect_timeout); here only that both forms are accepted and a token is fetched.
    client = TokenClient(**mock.client_kwargs(connect_timeout=0.5, refresh_ahead=datetime.timedelta(minutes=4)))
    assert client.token().token_type == "Bearer"


def test_invalidate_drops_only_the_cached_token(mock):
    client = TokenClient(**mock.client_kwargs())
    first = client.token()
    assert client.invalidate(first) is True
    assert client.invalidate(first) is False
    assert client.cached() is None
    second = client.token()
    assert second != first
    assert client.invalidate(first) is False  # a newer token is cached: kept
    assert client.token() == second
    assert mock.token_requests == 2
    with pytest.raises(TypeError):
        client.invalidate("not a token")  # type: ignore[arg-type]


def test_package_exports():
    for name in officernd_auth.__all__:
        assert getattr(officernd_auth, name) is not None
    assert officernd_auth.DEFAULT_TOKEN_URL == "https://identity.officernd.com/oauth/token"
    assert officernd_auth.TokenClient.__module__ == "officernd_auth"
