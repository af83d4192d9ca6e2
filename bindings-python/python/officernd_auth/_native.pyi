# Type stubs of the native module `officernd_auth._native` (src/*.rs). Kept in step with it by
# tests/test_stubs.py, which compares every name and signature here with the built module (the
# keyword settings with core's settings table, the Stats properties with core's field list), and
# by `python -m mypy.stubtest officernd_auth` (make lint-python).

import datetime
import os
from collections.abc import Awaitable, Iterable
from typing import Any, Optional, Union, final

__all__ = [
    "TokenClient",
    "Token",
    "Stats",
    "OfficeRnDAuthError",
    "ConfigError",
    "OAuthError",
    "RateLimitedError",
    "HttpError",
    "TransportError",
    "RequestTimeoutError",
    "InvalidResponseError",
    "DEFAULT_TOKEN_URL",
    "__version__",
]

__version__: str
DEFAULT_TOKEN_URL: str

_Seconds = Union[int, float, datetime.timedelta]
_Scopes = Union[str, Iterable[str]]
_Path = Union[str, os.PathLike[str]]

class OfficeRnDAuthError(Exception):
    """Base class of every officernd_auth error."""

    code: str
    """Stable code: config, oauth, rate_limited, http, transport, timeout, invalid_response."""
    status: Optional[int]
    """HTTP status of the answer behind the error, if any."""
    error: Optional[str]
    """RFC 6749 `error` (oauth errors)."""
    error_description: Optional[str]
    """RFC 6749 `error_description` (oauth errors)."""
    error_uri: Optional[str]
    """RFC 6749 `error_uri` (oauth errors)."""
    retry_after: Optional[float]
    """Seconds to wait before a new token request can be sent, when known."""
    retryable: bool
    """Whether trying again (later) can help. On a class: core's default for its code (an
    HttpError is retryable, as a 5xx is; a 4xx instance says False)."""
    last_error: Optional[OfficeRnDAuthError]
    """For rate_limited: the last real error seen for these credentials."""
    setting: Optional[str]
    """For config: the setting at fault."""

class ConfigError(OfficeRnDAuthError): ...
class OAuthError(OfficeRnDAuthError): ...
class RateLimitedError(OfficeRnDAuthError): ...
class HttpError(OfficeRnDAuthError): ...
class TransportError(OfficeRnDAuthError): ...
class RequestTimeoutError(OfficeRnDAuthError): ...
class InvalidResponseError(OfficeRnDAuthError): ...

@final
class Token:
    """A valid access token: immutable, hashable; repr/str show only a short prefix."""

    @property
    def access_token(self) -> str: ...
    @property
    def token_type(self) -> str: ...
    @property
    def scopes(self) -> tuple[str, ...]: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    @property
    def expires_in(self) -> float: ...
    def authorization_header(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Stats:
    """A snapshot of the client's metrics: one property per field of core's list, in its order
    (each documented at run time with core's text)."""

    @property
    def requests_sent(self) -> int: ...
    @property
    def requests_ok(self) -> int: ...
    @property
    def requests_oauth_error(self) -> int: ...
    @property
    def requests_rate_limited(self) -> int: ...
    @property
    def requests_http_error(self) -> int: ...
    @property
    def requests_transport_error(self) -> int: ...
    @property
    def requests_timeout(self) -> int: ...
    @property
    def requests_invalid_response(self) -> int: ...
    @property
    def cache_hits(self) -> int: ...
    @property
    def stale_served(self) -> int: ...
    @property
    def refused_locally(self) -> int: ...
    @property
    def budget_remaining(self) -> int: ...
    @property
    def budget_capacity(self) -> int: ...
    @property
    def expires_in(self) -> Optional[float]: ...
    @property
    def last_error_code(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TokenClient:
    """A cached, single-flight, quota-aware OfficeRnD token client; safe to share across threads.

    Every keyword is a setting of core's table, taken by name (`None`: not set): durations in
    seconds (int, float or timedelta), counts as int, scopes as one space-separated str or a
    list. Wrong types raise TypeError, impossible values ValueError, values core rejects
    ConfigError.

    `store`: "memory" (default: this process), "file" (every process of this user on this
    machine; in `store_path` or ~/.cache/officernd-auth) or a "redis://…" / "rediss://…" URL
    (every host of a fleet). `from_env` reads OFFICERND_STORE / OFFICERND_STORE_PATH when unset.
    """

    def __new__(
        cls,
        client_id: str,
        client_secret: str,
        *,
        scopes: Optional[_Scopes] = None,
        token_url: Optional[str] = None,
        timeout: Optional[_Seconds] = None,
        connect_timeout: Optional[_Seconds] = None,
        refresh_ahead: Optional[_Seconds] = None,
        min_validity: Optional[_Seconds] = None,
        max_requests: Optional[int] = None,
        quota_window: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
        terminal_error_ttl: Optional[_Seconds] = None,
        share_cache: Optional[bool] = None,
        store: Optional[str] = None,
        store_path: Optional[_Path] = None,
    ) -> TokenClient: ...
    @staticmethod
    def from_env(
        *,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        scopes: Optional[_Scopes] = None,
        token_url: Optional[str] = None,
        timeout: Optional[_Seconds] = None,
        connect_timeout: Optional[_Seconds] = None,
        refresh_ahead: Optional[_Seconds] = None,
        min_validity: Optional[_Seconds] = None,
        max_requests: Optional[int] = None,
        quota_window: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
        terminal_error_ttl: Optional[_Seconds] = None,
        share_cache: Optional[bool] = None,
        store: Optional[str] = None,
        store_path: Optional[_Path] = None,
    ) -> TokenClient: ...
    def token(self) -> Token: ...
    def access_token(self) -> str: ...
    def authorization_header(self) -> str: ...
    def cached(self) -> Optional[Token]: ...
    def token_async(self) -> Awaitable[Token]: ...
    def authorization_header_async(self) -> Awaitable[str]: ...
    def invalidate(self, token: Token) -> bool: ...
    def token_after_unauthorized(self, token: Token) -> Optional[Token]: ...
    def stats(self) -> Stats: ...
    @property
    def token_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def scopes(self) -> tuple[str, ...]: ...
