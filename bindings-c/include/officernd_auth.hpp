/*
 * officernd_auth.hpp: header-only C++17 wrapper over libofficernd_auth (officernd_auth.h).
 *
 *   officernd::Client client = officernd::Client::from_env();
 *   std::string header = client.authorization_header();   // "Bearer ...", from cache when fresh
 *
 * RAII handles (move-only), std::string results, and officernd::Error exceptions that carry the
 * officernd_result code and the error detail. Link with the C library (pkg-config officernd_auth,
 * or CMake target officernd_auth::officernd_auth). A Client may be used by many threads at once.
 * Never print a whole access token: use Token::redacted() in logs.
 */
#ifndef OFFICERND_AUTH_HPP
#define OFFICERND_AUTH_HPP

#include "officernd_auth.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

/** The C++ API of officernd-auth. */
namespace officernd {

/** A failed call: the officernd_result code plus the detail of the C error object. */
class Error : public std::runtime_error {
 public:
  /** Copies the detail out of `err` (which may be NULL). */
  Error(officernd_result code, const officernd_error *err)
      : std::runtime_error(message_of(code, err)),
        code_(code),
        oauth_error_(opt(officernd_error_oauth_error(err))),
        error_description_(opt(officernd_error_description(err))),
        error_uri_(opt(officernd_error_uri(err))),
        setting_(opt(officernd_error_setting(err))),
        http_status_(officernd_error_http_status(err)),
        retry_after_ms_(officernd_error_retry_after_ms(err)),
        retryable_(officernd_error_is_retryable(err)),
        last_error_(officernd_error_last_error_code(err)) {}

  /** The result code (never OFFICERND_RESULT_OK). */
  officernd_result code() const noexcept { return code_; }
  /** The stable string code: "config", "oauth", "rate_limited", "http", "transport", ... */
  const char *code_name() const noexcept { return officernd_result_name(static_cast<unsigned>(code_)); }
  /** The RFC 6749 `error` (oauth errors only). */
  const std::optional<std::string> &oauth_error() const noexcept { return oauth_error_; }
  /** The RFC 6749 `error_description`, when the server sent one. */
  const std::optional<std::string> &error_description() const noexcept { return error_description_; }
  /** The RFC 6749 `error_uri`, when the server sent one. */
  const std::optional<std::string> &error_uri() const noexcept { return error_uri_; }
  /** The setting at fault (config errors only). */
  const std::optional<std::string> &setting() const noexcept { return setting_; }
  /** The HTTP status of the answer, 0 when there was none. */
  std::uint16_t http_status() const noexcept { return http_status_; }
  /** When a new token request may be sent, if known. */
  std::optional<std::chrono::milliseconds> retry_after() const {
    if (retry_after_ms_ < 0) return std::nullopt;
    return std::chrono::milliseconds(retry_after_ms_);
  }
  /** Whether trying again later can help. */
  bool retryable() const noexcept { return retryable_; }
  /** For rate_limited: the code of the last real error (OFFICERND_RESULT_OK when none). */
  officernd_result last_error() const noexcept { return last_error_; }

 private:
  static std::optional<std::string> opt(const char *s) {
    if (s == nullptr) return std::nullopt;
    return std::string(s);
  }
  static std::string message_of(officernd_result code, const officernd_error *err) {
    const char *m = officernd_error_message(err);
    if (m != nullptr && *m != '\0') return m;
    return std::string("officernd_auth: ") + officernd_result_name(static_cast<unsigned>(code));
  }

  officernd_result code_;
  std::optional<std::string> oauth_error_, error_description_, error_uri_, setting_;
  std::uint16_t http_status_;
  std::int64_t retry_after_ms_;
  bool retryable_;
  officernd_result last_error_;
};

/** Implementation details: not part of the API. */
namespace detail {

/** An officernd_error owned for the duration of one call. */
class ErrorBox {
 public:
  ErrorBox() {
    if (officernd_error_new(&p_) != OFFICERND_RESULT_OK) throw std::bad_alloc();
  }
  ~ErrorBox() { officernd_error_free(p_); }
  ErrorBox(const ErrorBox &) = delete;
  ErrorBox &operator=(const ErrorBox &) = delete;
  officernd_error *get() const noexcept { return p_; }

 private:
  officernd_error *p_ = nullptr;
};

/** Throws officernd::Error unless `r` is OFFICERND_RESULT_OK. */
inline void check(officernd_result r, const ErrorBox &err) {
  if (r != OFFICERND_RESULT_OK) throw Error(r, err.get());
}

/** Calls `f(buf, len, &n, err)`, growing the buffer once when the library asks for more. */
template <class F>
std::string read_string(F &&f, std::size_t first_size = 256) {
  ErrorBox err;
  std::string s(first_size, '\0');
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::size_t n = 0;
    officernd_result r = f(s.data(), s.size(), &n, err.get());
    if (r == OFFICERND_RESULT_OK) {
      s.resize(n);
      return s;
    }
    if (r != OFFICERND_RESULT_BUFFER_TOO_SMALL) break;
    s.assign(officernd_error_required_size(err.get()), '\0');
  }
  check(officernd_error_code(err.get()), err);
  throw Error(OFFICERND_RESULT_BUFFER_TOO_SMALL, err.get());
}

/** Deleter-based unique handle (move-only). */
template <class T, void (*Free)(T *)>
class Handle {
 public:
  Handle() noexcept = default;
  explicit Handle(T *p) noexcept : p_(p) {}
  ~Handle() { Free(p_); }
  Handle(Handle &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Handle &operator=(Handle &&o) noexcept {
    if (this != &o) {
      Free(p_);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  T *get() const noexcept { return p_; }

 private:
  T *p_ = nullptr;
};

}  // namespace detail

/** Client settings (builder style: every setter returns *this). Copy-free, move-only. */
class Config {
 public:
  /** Every setting at its default; no id or secret. */
  Config() {
    officernd_config *p = nullptr;
    if (officernd_config_new(&p) != OFFICERND_RESULT_OK) throw std::bad_alloc();
    h_ = detail::Handle<officernd_config, officernd_config_free>(p);
  }
  /**
   * Any setting by name, as officernd_config_set takes it: "timeout", "quota_window",
   * "max_requests", "share_cache", ... (snake_case or camelCase, older aliases too); the value as
   * text, durations in seconds ("2.5"). Throws Error (code OFFICERND_RESULT_CONFIG, setting()
   * naming it) for an unknown name or a value of the wrong kind.
   */
  Config &set(const std::string &name, const std::string &value) {
    detail::ErrorBox err;
    detail::check(officernd_config_set(h_.get(), name.c_str(), value.c_str(), err.get()), err);
    return *this;
  }
  /** Client id of the OfficeRnD application. */
  Config &client_id(const std::string &v) { return set_str(officernd_config_set_client_id, v); }
  /** Client secret (never appears in any message). */
  Config &client_secret(const std::string &v) { return set_str(officernd_config_set_client_secret, v); }
  /** Space-separated scopes, e.g. "officernd.api.read officernd.api.write". */
  Config &scopes(const std::string &v) { return set_str(officernd_config_set_scopes, v); }
  /** Token endpoint: https://, or http:// to loopback only. */
  Config &token_url(const std::string &v) { return set_str(officernd_config_set_token_url, v); }
  /** Overall timeout of one token call (default 10 s). */
  Config &timeout(std::chrono::milliseconds v) { return set_ms(officernd_config_set_timeout_ms, v); }
  /** Connect timeout of one attempt (default 5 s). */
  Config &connect_timeout(std::chrono::milliseconds v) {
    return set_ms(officernd_config_set_connect_timeout_ms, v);
  }
  /** Refresh this long before expiry (default 300 s). */
  Config &refresh_ahead(std::chrono::milliseconds v) {
    return set_ms(officernd_config_set_refresh_ahead_ms, v);
  }
  /** Minimum validity of any token handed out (default 60 s). */
  Config &min_validity(std::chrono::milliseconds v) {
    return set_ms(officernd_config_set_min_validity_ms, v);
  }
  /** Terminal answers (invalid_client...) are remembered this long (default 60 s). */
  Config &terminal_error_ttl(std::chrono::milliseconds v) {
    return set_ms(officernd_config_set_terminal_error_ttl_ms, v);
  }
  /** At most `max_requests` token requests per rolling `window` (default 5 per 60 s). */
  Config &request_budget(std::uint32_t max_requests, std::chrono::milliseconds window) {
    detail::ErrorBox err;
    detail::check(officernd_config_set_request_budget(h_.get(), max_requests, ms(window), err.get()), err);
    return *this;
  }
  /** Retries of transport errors, timeouts and 5xx (default 2). */
  Config &max_retries(std::uint32_t v) {
    detail::ErrorBox err;
    detail::check(officernd_config_set_max_retries(h_.get(), v, err.get()), err);
    return *this;
  }
  /** Share one cache and budget with same-settings clients of this process (default true). */
  Config &share_cache(bool v) {
    detail::ErrorBox err;
    detail::check(officernd_config_set_share_cache(h_.get(), v, err.get()), err);
    return *this;
  }
  /**
   * Where tokens are shared: "memory" (default, this process), "file" (every process of this user
   * on this machine; in `path`, or ~/.cache/officernd-auth without one) or a redis:// /
   * rediss:// URL (every host of a fleet; the password never appears in messages). Opens the
   * store now: throws Error (code OFFICERND_RESULT_CONFIG, setting "store" or "store_path").
   */
  Config &store(const std::string &spec, const std::optional<std::string> &path = std::nullopt) {
    detail::ErrorBox err;
    detail::check(officernd_config_set_store(h_.get(), spec.c_str(), path ? path->c_str() : nullptr, err.get()),
                  err);
    return *this;
  }
  /**
   * Fills unset id, secret, scopes and token URL from the OFFICERND_* environment variables, and
   * the store from OFFICERND_STORE / OFFICERND_STORE_PATH unless store() was called.
   */
  Config &load_env() {
    detail::ErrorBox err;
    detail::check(officernd_config_load_env(h_.get(), err.get()), err);
    return *this;
  }
  /** The C handle (owned by this object). */
  const officernd_config *get() const noexcept { return h_.get(); }

 private:
  using StrSetter = officernd_result (*)(officernd_config *, const char *, officernd_error *);
  using MsSetter = officernd_result (*)(officernd_config *, std::uint64_t, officernd_error *);
  static std::uint64_t ms(std::chrono::milliseconds v) {
    return v.count() < 0 ? 0 : static_cast<std::uint64_t>(v.count());
  }
  Config &set_str(StrSetter f, const std::string &v) {
    detail::ErrorBox err;
    detail::check(f(h_.get(), v.c_str(), err.get()), err);
    return *this;
  }
  Config &set_ms(MsSetter f, std::chrono::milliseconds v) {
    detail::ErrorBox err;
    detail::check(f(h_.get(), ms(v), err.get()), err);
    return *this;
  }
  detail::Handle<officernd_config, officernd_config_free> h_;
};

/** A valid token. Immutable and move-only; never log access_token(): use redacted(). */
class Token {
 public:
  /** Takes ownership of a handle from officernd_client_token. */
  explicit Token(officernd_token *p) noexcept : h_(p) {}
  /** The access token. */
  std::string access_token() const {
    return read([](const officernd_token *t, char *b, std::size_t l, std::size_t *n, officernd_error *e) {
      return officernd_token_access_token(t, b, l, n, e);
    }, officernd_token_access_token_len(h_.get()) + 1);
  }
  /** "Bearer <access token>", the Authorization header value. */
  std::string authorization_header() const {
    return read([](const officernd_token *t, char *b, std::size_t l, std::size_t *n, officernd_error *e) {
      return officernd_token_authorization_header(t, b, l, n, e);
    }, officernd_token_access_token_len(h_.get()) + 8);
  }
  /** The granted scopes, space-separated. */
  std::string scopes() const {
    return read([](const officernd_token *t, char *b, std::size_t l, std::size_t *n, officernd_error *e) {
      return officernd_token_scopes(t, b, l, n, e);
    });
  }
  /** A hint safe for logs: the first 6 characters and "…[redacted]". */
  std::string redacted() const {
    return read([](const officernd_token *t, char *b, std::size_t l, std::size_t *n, officernd_error *e) {
      return officernd_token_redacted(t, b, l, n, e);
    }, 64);
  }
  /** Absolute expiry. */
  std::chrono::system_clock::time_point expires_at() const {
    return std::chrono::system_clock::time_point(std::chrono::seconds(officernd_token_expires_at(h_.get())));
  }
  /** Time left until expiry. */
  std::chrono::milliseconds expires_in() const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(officernd_token_expires_in_ms(h_.get())));
  }
  /** The C handle (owned by this object). */
  const officernd_token *get() const noexcept { return h_.get(); }

 private:
  template <class F>
  std::string read(F f, std::size_t first_size = 256) const {
    const officernd_token *t = h_.get();
    return detail::read_string(
        [&](char *b, std::size_t l, std::size_t *n, officernd_error *e) { return f(t, b, l, n, e); },
        first_size);
  }
  detail::Handle<officernd_token, officernd_token_free> h_;
};

/** A token client. Move-only; safe to use from many threads at once. */
class Client {
 public:
  /** Builds a client (no network I/O); throws Error (code OFFICERND_RESULT_CONFIG) on a bad setting. */
  explicit Client(const Config &config) {
    detail::ErrorBox err;
    officernd_client *p = nullptr;
    detail::check(officernd_client_new(config.get(), &p, err.get()), err);
    h_ = detail::Handle<officernd_client, officernd_client_free>(p);
  }
  /** A client configured from OFFICERND_CLIENT_ID, _CLIENT_SECRET, _SCOPES, _TOKEN_URL, _STORE, _STORE_PATH. */
  static Client from_env() {
    detail::ErrorBox err;
    officernd_client *p = nullptr;
    detail::check(officernd_client_from_env(&p, err.get()), err);
    return Client(p);
  }
  /** A valid token: from the cache when fresh, otherwise fetched once for all callers (blocks). */
  Token token() const {
    detail::ErrorBox err;
    officernd_token *p = nullptr;
    detail::check(officernd_client_token(h_.get(), &p, err.get()), err);
    return Token(p);
  }
  /** The access token of a valid token. */
  std::string access_token() const {
    return detail::read_string([this](char *b, std::size_t l, std::size_t *n, officernd_error *e) {
      return officernd_client_access_token(h_.get(), b, l, n, e);
    });
  }
  /** "Bearer <access token>" for the Authorization header. */
  std::string authorization_header() const {
    return detail::read_string([this](char *b, std::size_t l, std::size_t *n, officernd_error *e) {
      return officernd_client_authorization_header(h_.get(), b, l, n, e);
    });
  }
  /**
   * The 401 rule: after an API call made with `rejected` answered 401, drops it (if it is still
   * the cached one) and returns the token to retry the call with ONCE, or std::nullopt when that
   * would be the rejected token again (the 401 stands). May block like token(); throws Error.
   */
  std::optional<Token> token_after_unauthorized(const Token &rejected) const {
    detail::ErrorBox err;
    officernd_token *p = nullptr;
    detail::check(officernd_client_token_after_unauthorized(h_.get(), rejected.get(), &p, err.get()), err);
    if (p == nullptr) return std::nullopt;
    return Token(p);
  }
  /** After an API 401 with `token`: drops it if it is still the cached one; returns whether it was. */
  bool invalidate(const Token &token) const {
    detail::ErrorBox err;
    bool dropped = false;
    detail::check(officernd_client_invalidate(h_.get(), token.get(), &dropped, err.get()), err);
    return dropped;
  }
  /** Metrics of the cache and budget. */
  officernd_stats stats() const {
    detail::ErrorBox err;
    officernd_stats s{};
    detail::check(officernd_client_stats(h_.get(), &s, err.get()), err);
    return s;
  }
  /** The C handle (owned by this object). */
  const officernd_client *get() const noexcept { return h_.get(); }

 private:
  explicit Client(officernd_client *p) noexcept : h_(p) {}
  detail::Handle<officernd_client, officernd_client_free> h_;
};

/** The library's version string (compare with OFFICERND_AUTH_VERSION). */
inline std::string version() { return officernd_version(); }

}  // namespace officernd

#endif /* OFFICERND_AUTH_HPP */
