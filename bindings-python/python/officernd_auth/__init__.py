"""OfficeRnD OAuth 2.0 client-credentials token client: cached, single-flight, quota-aware.

    from officernd_auth import TokenClient
    client = TokenClient.from_env()
    headers = {"Authorization": client.authorization_header()}

The work is done by a Rust core (``officernd_auth._native``); this package re-exports it and adds
adapters for ``requests`` (:class:`RequestsAuth`) and ``httpx`` (:class:`HttpxAuth`), imported on
first use so that neither library is a dependency.
"""

from typing import TYPE_CHECKING, Any

from ._native import (
    DEFAULT_TOKEN_URL,
    ConfigError,
    HttpError,
    InvalidResponseError,
    OAuthError,
    OfficeRnDAuthError,
    RateLimitedError,
    RequestTimeoutError,
    Stats,
    Token,
    TokenClient,
    TransportError,
    __version__,
)

if TYPE_CHECKING:
    # `X as X`: an explicit re-export, so that type checkers in strict mode (mypy's
    # no_implicit_reexport, pyright's private-import rule for py.typed packages) accept
    # `from officernd_auth import HttpxAuth` and `officernd_auth.RequestsAuth`.
    from .httpx_auth import HttpxAuth as HttpxAuth
    from .requests_auth import RequestsAuth as RequestsAuth

# The adapters (RequestsAuth, HttpxAuth) are not in __all__: `import *` must not import requests/httpx.
__all__ = [
    "DEFAULT_TOKEN_URL",
    "ConfigError",
    "HttpError",
    "InvalidResponseError",
    "OAuthError",
    "OfficeRnDAuthError",
    "RateLimitedError",
    "RequestTimeoutError",
    "Stats",
    "Token",
    "TokenClient",
    "TransportError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # The adapters import requests / httpx: only when asked for.
    if name == "RequestsAuth":
        from .requests_auth import RequestsAuth

        return RequestsAuth
    if name == "HttpxAuth":
        from .httpx_auth import HttpxAuth

        return HttpxAuth
    raise AttributeError(f"module 'officernd_auth' has no attribute {name!r}")
