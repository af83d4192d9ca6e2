/*
 * Tests of the C interface against the mock identity server (started by tests/with-mock.sh, which
 * exports OFFICERND_MOCK_URL, OFFICERND_TOKEN_URL and the demo app's OFFICERND_CLIENT_ID,
 * OFFICERND_CLIENT_SECRET and OFFICERND_SCOPES). Built with -Wall -Wextra -Werror -pedantic and
 * run plain, under valgrind and with AddressSanitizer. Ends with "N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L

#include <officernd_auth.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixed_token_server.h"
#include "mock_http.h"

static int passed = 0;
static int failed = 0;
static const char *current = "";

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) {                                                                  \
      passed++;                                                                  \
    } else {                                                                     \
      failed++;                                                                  \
      fprintf(stderr, "FAIL %s (%s:%d): %s\n", current, __FILE__, __LINE__, #cond); \
    }                                                                            \
  } while (0)

#define CHECK_RESULT(expr, want)                                                           \
  do {                                                                                     \
    officernd_result got_ = (expr);                                                        \
    if (got_ == (want)) {                                                                  \
      passed++;                                                                            \
    } else {                                                                               \
      failed++;                                                                            \
      fprintf(stderr, "FAIL %s (%s:%d): %s = %s, want %s\n", current, __FILE__, __LINE__, \
              #expr, officernd_result_name((unsigned)got_),                                \
              officernd_result_name((unsigned)(want)));                                    \
    }                                                                                      \
  } while (0)

static const char *const DEMO_SECRET = "demo-client-secret-s3cr3t";
static const char *const WRONG_SECRET = "wrong-secret-Zq81xK";

/* No message may contain either secret. */
static void check_no_secret(const officernd_error *err) {
  const char *fields[4];
  size_t i;
  fields[0] = officernd_error_message(err);
  fields[1] = officernd_error_description(err);
  fields[2] = officernd_error_oauth_error(err);
  fields[3] = officernd_error_uri(err);
  for (i = 0; i < 4; i++) {
    if (fields[i] == NULL) continue;
    CHECK(strstr(fields[i], DEMO_SECRET) == NULL);
    CHECK(strstr(fields[i], WRONG_SECRET) == NULL);
  }
}

/* A configuration for the mock's demo app with its own cache and budget. */
static officernd_config *mock_config(const char *secret) {
  officernd_config *cfg = NULL;
  if (officernd_config_new(&cfg) != OFFICERND_RESULT_OK) abort();
  CHECK_RESULT(officernd_config_set_client_id(cfg, getenv("OFFICERND_CLIENT_ID"), NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_client_secret(cfg, secret, NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_scopes(cfg, "officernd.api.read officernd.api.write", NULL),
               OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_token_url(cfg, getenv("OFFICERND_TOKEN_URL"), NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_share_cache(cfg, false, NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_max_retries(cfg, 0, NULL), OFFICERND_RESULT_OK);
  return cfg;
}

static officernd_client *mock_client(const char *secret) {
  officernd_config *cfg = mock_config(secret);
  officernd_client *client = NULL;
  CHECK_RESULT(officernd_client_new(cfg, &client, NULL), OFFICERND_RESULT_OK);
  officernd_config_free(cfg);
  if (client == NULL) abort();
  return client;
}

static void test_version(void) {
  current = "version";
  CHECK(strcmp(officernd_version(), OFFICERND_AUTH_VERSION) == 0);
  CHECK(OFFICERND_AUTH_VERSION_NUMBER == OFFICERND_AUTH_VERSION_MAJOR * 10000 +
                                             OFFICERND_AUTH_VERSION_MINOR * 100 +
                                             OFFICERND_AUTH_VERSION_PATCH);
  CHECK(strcmp(officernd_result_name(OFFICERND_RESULT_OK), "ok") == 0);
  CHECK(strcmp(officernd_result_name(OFFICERND_RESULT_RATE_LIMITED), "rate_limited") == 0);
  CHECK(strcmp(officernd_result_name(OFFICERND_RESULT_INVALID_RESPONSE), "invalid_response") == 0);
  CHECK(strcmp(officernd_result_name(OFFICERND_RESULT_BUFFER_TOO_SMALL), "buffer_too_small") == 0);
  CHECK(strcmp(officernd_result_name(4242), "unknown") == 0);
  CHECK(OFFICERND_RESULT_OK == 0 && OFFICERND_RESULT_CONFIG == 1 && OFFICERND_RESULT_OAUTH == 2 &&
        OFFICERND_RESULT_RATE_LIMITED == 3 && OFFICERND_RESULT_HTTP == 4 &&
        OFFICERND_RESULT_TRANSPORT == 5 && OFFICERND_RESULT_TIMEOUT == 6 &&
        OFFICERND_RESULT_INVALID_RESPONSE == 7 && OFFICERND_RESULT_NULL_PARAMETER == 100 &&
        OFFICERND_RESULT_INVALID_UTF8 == 101 && OFFICERND_RESULT_BUFFER_TOO_SMALL == 102 &&
        OFFICERND_RESULT_PANIC == 103);
}

static void test_success(void) {
  officernd_client *client;
  officernd_token *token = NULL, *again = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;
  char access[4096], header[4200], scopes[512], redacted[64];
  size_t n = 0, hn = 0;
  bool dropped = false;
  long now = (long)time(NULL);

  current = "success";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  client = mock_client(DEMO_SECRET);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OK);
  CHECK(token != NULL);
  CHECK(officernd_error_code(err) == OFFICERND_RESULT_OK);
  CHECK(strcmp(officernd_error_message(err), "") == 0);
  CHECK_RESULT(officernd_token_access_token(token, access, sizeof access, &n, err), OFFICERND_RESULT_OK);
  CHECK(n > 20 && n == strlen(access) && n == officernd_token_access_token_len(token));
  CHECK_RESULT(officernd_token_authorization_header(token, header, sizeof header, &hn, err), OFFICERND_RESULT_OK);
  CHECK(hn == n + 7 && strncmp(header, "Bearer ", 7) == 0 && strcmp(header + 7, access) == 0);
  CHECK_RESULT(officernd_token_scopes(token, scopes, sizeof scopes, NULL, err), OFFICERND_RESULT_OK);
  CHECK(strstr(scopes, "officernd.api.read") != NULL && strstr(scopes, "officernd.api.write") != NULL);
  CHECK_RESULT(officernd_token_redacted(token, redacted, sizeof redacted, NULL, err), OFFICERND_RESULT_OK);
  CHECK(strstr(redacted, "[redacted]") != NULL && strstr(redacted, access) == NULL);
  CHECK(officernd_token_expires_at(token) > now + 3000 && officernd_token_expires_at(token) < now + 3700);
  CHECK(officernd_token_expires_in_ms(token) > 3000 * 1000ULL);

  /* From the cache: the same token, no second request. */
  CHECK_RESULT(officernd_client_authorization_header(client, header, sizeof header, &hn, err), OFFICERND_RESULT_OK);
  CHECK(strcmp(header + 7, access) == 0);
  CHECK_RESULT(officernd_client_access_token(client, header, sizeof header, &hn, err), OFFICERND_RESULT_OK);
  CHECK(strcmp(header, access) == 0 && hn == n);
  CHECK_RESULT(officernd_client_stats(client, &stats, err), OFFICERND_RESULT_OK);
  CHECK(stats.requests_sent == 1 && stats.requests_ok == 1);
  CHECK(stats.cache_hits >= 2);
  CHECK(stats.budget_capacity == 5 && stats.budget_remaining == 4);
  CHECK(stats.expires_in_ms > 3000 * 1000LL);
  CHECK(stats.last_error == OFFICERND_RESULT_OK);
  /* The same metrics by name, from the library's field list. */
  {
    size_t i, count = officernd_stats_field_count();
    int seen = 0;
    CHECK(count >= 15);
    CHECK(officernd_stats_field_name(count) == NULL);
    for (i = 0; i < count; i++) {
      const char *name = officernd_stats_field_name(i);
      int64_t v = officernd_stats_field_value(&stats, i);
      CHECK(name != NULL);
      if (name == NULL) continue;
      if (strcmp(name, "requests_sent") == 0) {
        seen++;
        CHECK(v == 1);
      }
      if (strcmp(name, "requests_ok") == 0) {
        seen++;
        CHECK(v == 1);
      }
      if (strcmp(name, "cache_hits") == 0) {
        seen++;
        CHECK(v == (int64_t)stats.cache_hits && v >= 2);
      }
      if (strcmp(name, "budget_remaining") == 0) {
        seen++;
        CHECK(v == 4);
      }
      if (strcmp(name, "expires_in") == 0) {
        seen++;
        CHECK(v == stats.expires_in_ms);
      }
      if (strcmp(name, "last_error_code") == 0) {
        seen++;
        CHECK(v == OFFICERND_RESULT_OK);
      }
    }
    CHECK(seen == 6);
    CHECK(officernd_stats_field_value(NULL, 0) == 0 && officernd_stats_field_value(&stats, count) == 0);
  }

  /* After an API 401: invalidate drops it once; the next call fetches a new token. */
  CHECK_RESULT(officernd_client_invalidate(client, token, &dropped, err), OFFICERND_RESULT_OK);
  CHECK(dropped);
  CHECK_RESULT(officernd_client_invalidate(client, token, &dropped, err), OFFICERND_RESULT_OK);
  CHECK(!dropped);
  CHECK_RESULT(officernd_client_token(client, &again, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_token_access_token(again, header, sizeof header, NULL, err), OFFICERND_RESULT_OK);
  CHECK(strcmp(header, access) != 0);
  CHECK_RESULT(officernd_client_stats(client, &stats, NULL), OFFICERND_RESULT_OK);
  CHECK(stats.requests_sent == 2);

  /* The token handle outlives its client. */
  officernd_client_free(client);
  CHECK(officernd_token_access_token_len(token) == n);
  officernd_token_free(token);
  officernd_token_free(again);
  officernd_error_free(err);
}

/* The 401 rule: the mock revokes every token (as deleting the app does); the refused token is
 * dropped and a different one comes back, once; a late 401 for it does not fetch again. */
static void test_token_after_unauthorized(void) {
  officernd_client *client;
  officernd_token *first = NULL, *next = NULL, *late = NULL, *now = NULL;
  officernd_token *untouched = (officernd_token *)&passed; /* a sentinel that must not change */
  officernd_error *err = NULL;
  char h_first[4200], h_next[4200], h_late[4200], h_current[4200];
  bool dropped = true;

  current = "token_after_unauthorized (revoked)";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  CHECK(mock_http("POST", "/_mock/reset", NULL, NULL, 0) == 200);
  client = mock_client(DEMO_SECRET);
  CHECK_RESULT(officernd_client_token(client, &first, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_token_authorization_header(first, h_first, sizeof h_first, NULL, err), OFFICERND_RESULT_OK);
  CHECK(mock_call_api(h_first) == 200);
  CHECK(mock_http("POST", "/_mock/revoke", NULL, NULL, 0) == 200);
  CHECK(mock_call_api(h_first) == 401);

  CHECK_RESULT(officernd_client_token_after_unauthorized(client, first, &next, err), OFFICERND_RESULT_OK);
  CHECK(next != NULL);
  if (next != NULL) {
    CHECK_RESULT(officernd_token_authorization_header(next, h_next, sizeof h_next, NULL, err), OFFICERND_RESULT_OK);
    CHECK(strcmp(h_next, h_first) != 0);
    CHECK(mock_call_api(h_next) == 200); /* the one retry succeeds */
  }
  CHECK(mock_stat("token_requests") == 2);
  /* The cache now holds the new token: the refused one was dropped, not kept. */
  CHECK_RESULT(officernd_client_token(client, &now, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_token_authorization_header(now, h_current, sizeof h_current, NULL, err),
               OFFICERND_RESULT_OK);
  CHECK(strcmp(h_current, h_next) == 0);
  CHECK_RESULT(officernd_client_invalidate(client, first, &dropped, err), OFFICERND_RESULT_OK);
  CHECK(!dropped);

  /* A late 401 for the old token (another thread already got a new one): the newer token, no
   * request. */
  current = "token_after_unauthorized (late 401)";
  CHECK_RESULT(officernd_client_token_after_unauthorized(client, first, &late, err), OFFICERND_RESULT_OK);
  CHECK(late != NULL);
  if (late != NULL) {
    CHECK_RESULT(officernd_token_authorization_header(late, h_late, sizeof h_late, NULL, err), OFFICERND_RESULT_OK);
    CHECK(strcmp(h_late, h_next) == 0);
  }
  CHECK(mock_stat("token_requests") == 2);

  current = "token_after_unauthorized (NULL arguments)";
  CHECK_RESULT(officernd_client_token_after_unauthorized(NULL, first, &untouched, err),
               OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_token_after_unauthorized(client, NULL, &untouched, err),
               OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "`rejected`") != NULL);
  CHECK_RESULT(officernd_client_token_after_unauthorized(client, first, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "`out_next`") != NULL);
  CHECK(untouched == (officernd_token *)&passed);
  CHECK(mock_stat("token_requests") == 2);

  officernd_token_free(first);
  officernd_token_free(next);
  officernd_token_free(late);
  officernd_token_free(now);
  officernd_client_free(client);
  officernd_error_free(err);
}

/* When the server answers the refused token again, there is nothing to retry with: NULL. */
static void test_token_after_unauthorized_same_token(void) {
  struct fixed_token_server server;
  officernd_config *cfg;
  officernd_client *client = NULL;
  officernd_token *token = NULL, *next = (officernd_token *)&passed;
  officernd_error *err = NULL;

  current = "token_after_unauthorized (the server reissues the same token)";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  if (fixed_token_server_start(&server) != 0) {
    failed++;
    fprintf(stderr, "FAIL %s: the fixed-token server could not start\n", current);
    officernd_error_free(err);
    return;
  }
  cfg = mock_config(DEMO_SECRET);
  CHECK_RESULT(officernd_config_set_token_url(cfg, server.url, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OK);
  CHECK(fixed_token_server_requests(&server) == 1);
  CHECK_RESULT(officernd_client_token_after_unauthorized(client, token, &next, err), OFFICERND_RESULT_OK);
  CHECK(next == NULL);
  CHECK(fixed_token_server_requests(&server) == 2); /* it did ask, and got the same token */
  if (next != (officernd_token *)&passed) officernd_token_free(next);
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_config_free(cfg);
  fixed_token_server_stop(&server);
  officernd_error_free(err);
}

static void test_from_env(void) {
  officernd_client *client = NULL;
  officernd_config *cfg = NULL;
  officernd_error *err = NULL;
  char header[4200];
  char *saved;

  current = "from_env";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_from_env(&client, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_authorization_header(client, header, sizeof header, NULL, err), OFFICERND_RESULT_OK);
  CHECK(strncmp(header, "Bearer ", 7) == 0);
  officernd_client_free(client);

  /* load_env fills what is unset; explicit settings win. */
  CHECK_RESULT(officernd_config_new(&cfg), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_max_retries(cfg, 1, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_load_env(cfg, err), OFFICERND_RESULT_OK);
  client = NULL;
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  officernd_client_free(client);
  officernd_config_free(cfg);

  /* A missing variable is a config error naming it. */
  saved = strdup(getenv("OFFICERND_CLIENT_SECRET"));
  unsetenv("OFFICERND_CLIENT_SECRET");
  client = NULL;
  CHECK_RESULT(officernd_client_from_env(&client, err), OFFICERND_RESULT_CONFIG);
  CHECK(client == NULL);
  CHECK(officernd_error_setting(err) != NULL && strcmp(officernd_error_setting(err), "OFFICERND_CLIENT_SECRET") == 0);
  CHECK(strstr(officernd_error_message(err), "OFFICERND_CLIENT_SECRET") != NULL);
  setenv("OFFICERND_CLIENT_SECRET", saved, 1);
  free(saved);
  officernd_error_free(err);
}

static void test_config_errors(void) {
  officernd_config *cfg = NULL;
  officernd_client *client = NULL;
  officernd_error *err = NULL;

  current = "config errors";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_new(&cfg), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  CHECK(client == NULL);
  CHECK(officernd_error_code(err) == OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "client_id") == 0);
  CHECK(!officernd_error_is_retryable(err));
  CHECK(officernd_error_http_status(err) == 0 && officernd_error_retry_after_ms(err) == -1);
  officernd_config_free(cfg);

  cfg = mock_config(DEMO_SECRET);
  CHECK_RESULT(officernd_config_set_token_url(cfg, "http://example.com/oauth/token", err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "token_url") == 0);
  CHECK(strstr(officernd_error_message(err), "https") != NULL);
  check_no_secret(err);
  CHECK_RESULT(officernd_config_set_token_url(cfg, getenv("OFFICERND_TOKEN_URL"), err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_timeout_ms(cfg, 0, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "timeout") == 0);
  CHECK_RESULT(officernd_config_set_timeout_ms(cfg, 5000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_request_budget(cfg, 0, 60000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "max_requests") == 0);
  CHECK_RESULT(officernd_config_set_request_budget(cfg, 5, 60000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_refresh_ahead_ms(cfg, 1000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_min_validity_ms(cfg, 2000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "min_validity") == 0);
  CHECK_RESULT(officernd_config_set_min_validity_ms(cfg, 500, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_connect_timeout_ms(cfg, 1000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_terminal_error_ttl_ms(cfg, 1000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  CHECK(officernd_error_code(err) == OFFICERND_RESULT_OK && officernd_error_setting(err) == NULL);
  officernd_client_free(client);
  officernd_config_free(cfg);
  officernd_error_free(err);
}

/* Every setting by name, as core's settings table spells it (durations in seconds). */
static void test_config_set_by_name(void) {
  officernd_config *cfg = NULL;
  officernd_client *client = NULL;
  officernd_token *token = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;
  const char bad_utf8[] = {'t', 'i', 'm', 'e', (char)0xff, '\0'};

  current = "officernd_config_set";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_new(&cfg), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set(cfg, "client_id", getenv("OFFICERND_CLIENT_ID"), err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set(cfg, "client_secret", DEMO_SECRET, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set(cfg, "scope", "officernd.api.read", err), OFFICERND_RESULT_OK); /* an alias */
  CHECK_RESULT(officernd_config_set(cfg, "tokenUrl", getenv("OFFICERND_TOKEN_URL"), err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set(cfg, "share_cache", "false", err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set(cfg, "max_retries", "0", err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set(cfg, "maxRequests", "3", err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set(cfg, "timeout", "0.3", err), OFFICERND_RESULT_OK);

  /* An unknown name: CONFIG naming it; a value of the wrong kind: CONFIG naming the setting. */
  CHECK_RESULT(officernd_config_set(cfg, "colour", "blue", err), OFFICERND_RESULT_CONFIG);
  CHECK(officernd_error_setting(err) != NULL && strcmp(officernd_error_setting(err), "colour") == 0);
  CHECK(strstr(officernd_error_message(err), "unknown setting") != NULL);
  CHECK(strstr(officernd_error_message(err), "quota_window") != NULL); /* lists the known ones */
  CHECK_RESULT(officernd_config_set(cfg, "timeout", "soon", err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "timeout") == 0);
  CHECK_RESULT(officernd_config_set(cfg, "shareCache", "maybe", err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "share_cache") == 0);
  CHECK_RESULT(officernd_config_set(NULL, "timeout", "1", err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set(cfg, NULL, "1", err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "`name`") != NULL);
  CHECK_RESULT(officernd_config_set(cfg, "timeout", NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "`value`") != NULL);
  CHECK_RESULT(officernd_config_set(cfg, bad_utf8, "1", err), OFFICERND_RESULT_INVALID_UTF8);
  CHECK_RESULT(officernd_config_set(cfg, "client_id", bad_utf8, err), OFFICERND_RESULT_INVALID_UTF8);

  /* The rejected values changed nothing: the client is the one configured above. */
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_stats(client, &stats, err), OFFICERND_RESULT_OK);
  CHECK(stats.budget_capacity == 3);
  /* "0.3" is seconds: a 2 s answer times out after 300 ms. */
  CHECK(mock_faults("[{\"kind\":\"delay\",\"ms\":2000}]") == 0);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_TIMEOUT);
  CHECK(strstr(officernd_error_message(err), "300ms") != NULL);
  officernd_client_free(client);
  client = NULL;

  /* Ranges are checked when the client is built, as for the typed setters. */
  CHECK_RESULT(officernd_config_set(cfg, "max_requests", "0", err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "max_requests") == 0);
  CHECK(client == NULL);
  /* The typed setters are the same settings. */
  CHECK_RESULT(officernd_config_set_request_budget(cfg, 2, 60000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_timeout_ms(cfg, 5000, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_stats(client, &stats, err), OFFICERND_RESULT_OK);
  CHECK(stats.budget_capacity == 2 && stats.requests_ok == 1);
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_config_free(cfg);
  officernd_error_free(err);
}

/* A fresh client (own cache and budget) whose first token call meets `faults`. */
static officernd_result fetch_with_fault(const char *faults, uint64_t timeout_ms, officernd_error *err) {
  officernd_config *cfg = mock_config(DEMO_SECRET);
  officernd_client *client = NULL;
  officernd_token *token = NULL;
  officernd_result r;
  if (faults != NULL) CHECK(mock_faults(faults) == 0);
  if (timeout_ms) CHECK_RESULT(officernd_config_set_timeout_ms(cfg, timeout_ms, NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, NULL), OFFICERND_RESULT_OK);
  r = officernd_client_token(client, &token, err);
  CHECK(token == NULL); /* out-params are written only on success */
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_config_free(cfg);
  /* A fault this call did not consume (under valgrind a 300 ms timeout can pass before the
     request is even sent) must not meet the next case's request. */
  if (faults != NULL) CHECK(mock_http("POST", "/_mock/reset", NULL, NULL, 0) == 200);
  return r;
}

static void test_oauth_error(void) {
  officernd_client *client;
  officernd_token *token = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;

  current = "oauth error";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  client = mock_client(WRONG_SECRET);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OAUTH);
  CHECK(token == NULL);
  CHECK(officernd_error_oauth_error(err) != NULL && strcmp(officernd_error_oauth_error(err), "invalid_client") == 0);
  CHECK(officernd_error_http_status(err) == 401);
  CHECK(!officernd_error_is_retryable(err));
  CHECK(strstr(officernd_error_message(err), "invalid_client") != NULL);
  check_no_secret(err);

  /* A terminal answer is remembered: the same error at once, without a request. */
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OAUTH);
  CHECK(strcmp(officernd_error_oauth_error(err), "invalid_client") == 0);
  check_no_secret(err);
  CHECK_RESULT(officernd_client_stats(client, &stats, err), OFFICERND_RESULT_OK);
  CHECK(stats.requests_sent == 1 && stats.requests_oauth_error == 1 && stats.refused_locally == 1);
  CHECK(stats.last_error == OFFICERND_RESULT_OAUTH);
  {
    size_t i;
    for (i = 0; i < officernd_stats_field_count(); i++)
      if (strcmp(officernd_stats_field_name(i), "last_error_code") == 0)
        CHECK(officernd_stats_field_value(&stats, i) == OFFICERND_RESULT_OAUTH);
  }
  officernd_client_free(client);

  /* invalid_scope with the server's description. */
  {
    officernd_config *cfg = mock_config(DEMO_SECRET);
    CHECK_RESULT(officernd_config_set_scopes(cfg, "officernd.api.read admin.everything", NULL), OFFICERND_RESULT_OK);
    client = NULL;
    CHECK_RESULT(officernd_client_new(cfg, &client, NULL), OFFICERND_RESULT_OK);
    CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OAUTH);
    CHECK(strcmp(officernd_error_oauth_error(err), "invalid_scope") == 0);
    CHECK(officernd_error_http_status(err) == 400);
    CHECK(officernd_error_description(err) != NULL);
    check_no_secret(err);
    officernd_client_free(client);
    officernd_config_free(cfg);
  }
  officernd_error_free(err);
}

static void test_each_error_code(void) {
  officernd_error *err = NULL;
  officernd_config *cfg;
  officernd_client *client = NULL;
  officernd_token *token = NULL;

  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);

  current = "rate_limited (server 429)";
  CHECK_RESULT(fetch_with_fault("[{\"kind\":\"too_many_requests\",\"retry_after\":\"7\"}]", 0, err),
               OFFICERND_RESULT_RATE_LIMITED);
  CHECK(officernd_error_http_status(err) == 429);
  CHECK(officernd_error_retry_after_ms(err) == 7000);
  CHECK(officernd_error_is_retryable(err));
  check_no_secret(err);

  current = "http (503)";
  CHECK_RESULT(fetch_with_fault("[{\"kind\":\"status\",\"status\":503}]", 0, err), OFFICERND_RESULT_HTTP);
  CHECK(officernd_error_http_status(err) == 503);
  CHECK(officernd_error_is_retryable(err));
  check_no_secret(err);

  current = "http (redirect, not followed)";
  CHECK_RESULT(fetch_with_fault("[{\"kind\":\"redirect\",\"location\":\"http://127.0.0.1:1/x\"}]", 0, err),
               OFFICERND_RESULT_HTTP);
  CHECK(officernd_error_http_status(err) / 100 == 3);

  current = "invalid_response (malformed JSON)";
  CHECK_RESULT(fetch_with_fault("[{\"kind\":\"malformed_json\"}]", 0, err), OFFICERND_RESULT_INVALID_RESPONSE);
  CHECK(officernd_error_http_status(err) == 200);
  CHECK(!officernd_error_is_retryable(err));
  check_no_secret(err);

  current = "invalid_response (token with a newline)";
  CHECK_RESULT(fetch_with_fault("[{\"kind\":\"token_with_newline\"}]", 0, err), OFFICERND_RESULT_INVALID_RESPONSE);
  check_no_secret(err);

  current = "timeout";
  CHECK_RESULT(fetch_with_fault("[{\"kind\":\"delay\",\"ms\":2000}]", 300, err), OFFICERND_RESULT_TIMEOUT);
  CHECK(officernd_error_http_status(err) == 0);
  CHECK(officernd_error_is_retryable(err));
  check_no_secret(err);

  current = "transport (connection refused)";
  cfg = mock_config(DEMO_SECRET);
  CHECK_RESULT(officernd_config_set_token_url(cfg, "http://127.0.0.1:1/oauth/token", NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_TRANSPORT);
  CHECK(token == NULL);
  CHECK(officernd_error_http_status(err) == 0);
  CHECK(officernd_error_is_retryable(err));
  check_no_secret(err);
  officernd_client_free(client);
  officernd_config_free(cfg);

  current = "transport (connection reset)";
  CHECK_RESULT(fetch_with_fault("[{\"kind\":\"connection_reset\"}]", 0, err), OFFICERND_RESULT_TRANSPORT);

  current = "rate_limited (local budget)";
  cfg = mock_config(DEMO_SECRET);
  CHECK_RESULT(officernd_config_set_request_budget(cfg, 1, 60000, NULL), OFFICERND_RESULT_OK);
  client = NULL;
  CHECK_RESULT(officernd_client_new(cfg, &client, NULL), OFFICERND_RESULT_OK);
  CHECK(mock_faults("[{\"kind\":\"status\",\"status\":503}]") == 0);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_HTTP);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_RATE_LIMITED);
  CHECK(officernd_error_http_status(err) == 0); /* refused locally: no answer */
  CHECK(officernd_error_last_error_code(err) == OFFICERND_RESULT_HTTP);
  /* The 503's slot counts from when its answer came, plus one window and a 1 s margin. */
  CHECK(officernd_error_retry_after_ms(err) > 0 && officernd_error_retry_after_ms(err) <= 61000);
  CHECK(strstr(officernd_error_message(err), "HTTP 503") != NULL);
  officernd_client_free(client);
  officernd_config_free(cfg);

  officernd_error_free(err);
}

static void test_null_and_utf8(void) {
  officernd_config *cfg = NULL;
  officernd_client *client = mock_client(DEMO_SECRET);
  officernd_client *out_client = (officernd_client *)&passed; /* a sentinel that must not change */
  officernd_token *out_token = (officernd_token *)&passed;
  officernd_token *token = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;
  char buf[64];
  size_t n = 12345;
  bool dropped = true;
  const char bad_utf8[] = {'d', 'e', 'm', 'o', (char)0xff, (char)0xfe, '\0'};

  current = "NULL arguments";
  CHECK_RESULT(officernd_error_new(NULL), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_new(NULL), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_new(&cfg), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_set_client_id(NULL, "x", err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(officernd_error_code(err) == OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "config") != NULL);
  CHECK_RESULT(officernd_config_set_client_id(cfg, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "client_id") != NULL);
  CHECK_RESULT(officernd_config_set_client_secret(cfg, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_scopes(cfg, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_token_url(cfg, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_timeout_ms(NULL, 1, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_connect_timeout_ms(NULL, 1, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_refresh_ahead_ms(NULL, 1, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_min_validity_ms(NULL, 1, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_request_budget(NULL, 1, 1, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_max_retries(NULL, 1, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_terminal_error_ttl_ms(NULL, 1, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_share_cache(NULL, true, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_store(NULL, "memory", NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "config") != NULL);
  CHECK_RESULT(officernd_config_set_store(cfg, NULL, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "`store`") != NULL);
  CHECK_RESULT(officernd_config_load_env(NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_binding(NULL, "go", err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_config_set_binding(cfg, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(strstr(officernd_error_message(err), "binding") != NULL);
  CHECK_RESULT(officernd_client_new(NULL, &out_client, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_new(cfg, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_from_env(NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(out_client == (officernd_client *)&passed);
  CHECK_RESULT(officernd_client_token(NULL, &out_token, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_token(client, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_cached(NULL, &out_token, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_cached(client, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(out_token == (officernd_token *)&passed);
  CHECK_RESULT(officernd_client_access_token(NULL, buf, sizeof buf, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_access_token(client, NULL, 100, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_authorization_header(NULL, buf, sizeof buf, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_authorization_header(client, NULL, 100, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(n == 12345);
  CHECK_RESULT(officernd_client_stats(NULL, &stats, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_stats(client, NULL, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_invalidate(NULL, token, &dropped, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_client_invalidate(client, NULL, &dropped, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(dropped == true);
  CHECK_RESULT(officernd_token_access_token(NULL, buf, sizeof buf, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_token_access_token(token, NULL, 100, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_token_authorization_header(NULL, buf, sizeof buf, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_token_scopes(NULL, buf, sizeof buf, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK_RESULT(officernd_token_redacted(NULL, buf, sizeof buf, &n, err), OFFICERND_RESULT_NULL_PARAMETER);
  CHECK(officernd_token_access_token_len(NULL) == 0);
  CHECK(officernd_token_expires_at(NULL) == 0);
  CHECK(officernd_token_expires_in_ms(NULL) == 0);
  /* Without an error object the code is still returned. */
  CHECK_RESULT(officernd_client_token(NULL, &out_token, NULL), OFFICERND_RESULT_NULL_PARAMETER);
  /* Accessors of a NULL error object. */
  CHECK(officernd_error_code(NULL) == OFFICERND_RESULT_OK);
  CHECK(strcmp(officernd_error_message(NULL), "") == 0);
  CHECK(officernd_error_oauth_error(NULL) == NULL && officernd_error_description(NULL) == NULL);
  CHECK(officernd_error_uri(NULL) == NULL && officernd_error_setting(NULL) == NULL);
  CHECK(officernd_error_http_status(NULL) == 0 && officernd_error_retry_after_ms(NULL) == -1);
  CHECK(!officernd_error_is_retryable(NULL) && officernd_error_required_size(NULL) == 0);
  CHECK(officernd_error_last_error_code(NULL) == OFFICERND_RESULT_OK);
  /* Frees accept NULL. */
  officernd_client_free(NULL);
  officernd_config_free(NULL);
  officernd_token_free(NULL);
  officernd_error_free(NULL);

  current = "invalid UTF-8";
  CHECK_RESULT(officernd_config_set_client_id(cfg, bad_utf8, err), OFFICERND_RESULT_INVALID_UTF8);
  CHECK(strstr(officernd_error_message(err), "client_id") != NULL);
  CHECK_RESULT(officernd_config_set_client_secret(cfg, bad_utf8, err), OFFICERND_RESULT_INVALID_UTF8);
  CHECK(strstr(officernd_error_message(err), "client_secret") != NULL);
  CHECK_RESULT(officernd_config_set_scopes(cfg, bad_utf8, err), OFFICERND_RESULT_INVALID_UTF8);
  CHECK_RESULT(officernd_config_set_token_url(cfg, bad_utf8, err), OFFICERND_RESULT_INVALID_UTF8);
  CHECK_RESULT(officernd_config_set_store(cfg, bad_utf8, NULL, err), OFFICERND_RESULT_INVALID_UTF8);
  CHECK(strstr(officernd_error_message(err), "`store`") != NULL);
  CHECK_RESULT(officernd_config_set_store(cfg, "file", bad_utf8, err), OFFICERND_RESULT_INVALID_UTF8);
  CHECK(strstr(officernd_error_message(err), "`store_path`") != NULL);
  CHECK_RESULT(officernd_config_set_binding(cfg, bad_utf8, err), OFFICERND_RESULT_INVALID_UTF8);
  /* The rejected value was not recorded: building still says client_id is missing. */
  CHECK_RESULT(officernd_client_new(cfg, &out_client, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "client_id") == 0);

  officernd_token_free(token);
  officernd_client_free(client);
  officernd_config_free(cfg);
  officernd_error_free(err);
}

static void test_buffer_too_small(void) {
  officernd_client *client = mock_client(DEMO_SECRET);
  officernd_token *token = NULL;
  officernd_error *err = NULL;
  char small[8];
  char *big;
  size_t n = 777, need, len;

  current = "buffer too small";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  memset(small, 'x', sizeof small);
  CHECK_RESULT(officernd_client_authorization_header(client, small, sizeof small, &n, err),
               OFFICERND_RESULT_BUFFER_TOO_SMALL);
  CHECK(small[0] == 'x' && small[7] == 'x' && n == 777); /* nothing written */
  need = officernd_error_required_size(err);
  CHECK_RESULT(officernd_client_token(client, &token, NULL), OFFICERND_RESULT_OK);
  len = officernd_token_access_token_len(token);
  CHECK(need == len + 7 + 1);
  big = malloc(need);
  CHECK_RESULT(officernd_client_authorization_header(client, big, need - 1, &n, err),
               OFFICERND_RESULT_BUFFER_TOO_SMALL); /* no room for the NUL */
  CHECK_RESULT(officernd_client_authorization_header(client, big, need, &n, err), OFFICERND_RESULT_OK);
  CHECK(n == need - 1 && strlen(big) == n);
  CHECK(officernd_error_required_size(err) == 0);
  CHECK_RESULT(officernd_token_access_token(token, big, len, &n, err), OFFICERND_RESULT_BUFFER_TOO_SMALL);
  CHECK(officernd_error_required_size(err) == len + 1);
  CHECK_RESULT(officernd_token_access_token(token, big, len + 1, &n, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_token_scopes(token, small, 0, NULL, err), OFFICERND_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(officernd_client_access_token(client, small, sizeof small, NULL, err),
               OFFICERND_RESULT_BUFFER_TOO_SMALL);
  CHECK(officernd_error_required_size(err) == len + 1);
  free(big);
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_error_free(err);
}

#define THREADS 16

struct thread_arg {
  officernd_client *client;
  officernd_result result;
  char token[4096];
};

static void *fetch_in_thread(void *p) {
  struct thread_arg *arg = p;
  officernd_error *err = NULL; /* one error object per thread */
  if (officernd_error_new(&err) != OFFICERND_RESULT_OK) abort();
  arg->result = officernd_client_access_token(arg->client, arg->token, sizeof arg->token, NULL, err);
  if (arg->result != OFFICERND_RESULT_OK) fprintf(stderr, "thread: %s\n", officernd_error_message(err));
  officernd_error_free(err);
  return NULL;
}

static void test_threads_share_one_request(void) {
  officernd_client *client;
  officernd_stats stats;
  pthread_t threads[THREADS];
  struct thread_arg args[THREADS];
  int i;

  current = "16 threads, one handle, empty cache";
  CHECK(mock_http("POST", "/_mock/reset", NULL, NULL, 0) == 200);
  CHECK(mock_stat("token_requests") == 0);
  CHECK(mock_faults("[{\"kind\":\"delay\",\"ms\":300}]") == 0); /* let every thread pile up */
  client = mock_client(DEMO_SECRET);
  for (i = 0; i < THREADS; i++) {
    args[i].client = client;
    args[i].result = OFFICERND_RESULT_PANIC;
    args[i].token[0] = '\0';
    CHECK(pthread_create(&threads[i], NULL, fetch_in_thread, &args[i]) == 0);
  }
  for (i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  for (i = 0; i < THREADS; i++) {
    CHECK(args[i].result == OFFICERND_RESULT_OK);
    CHECK(strcmp(args[i].token, args[0].token) == 0 && args[i].token[0] != '\0');
  }
  CHECK(mock_stat("token_requests") == 1);
  CHECK_RESULT(officernd_client_stats(client, &stats, NULL), OFFICERND_RESULT_OK);
  CHECK(stats.requests_sent == 1);
  officernd_client_free(client);
}

static void test_user_agent(void) {
  char body[8192];
  officernd_client *client = mock_client(DEMO_SECRET);
  officernd_config *cfg;
  officernd_error *err = NULL;
  char buf[4200];
  current = "user agent names the binding";
  CHECK(mock_http("POST", "/_mock/reset", NULL, NULL, 0) == 200);
  CHECK_RESULT(officernd_client_access_token(client, buf, sizeof buf, NULL, NULL), OFFICERND_RESULT_OK);
  CHECK(mock_http("GET", "/_mock/last_request", NULL, body, sizeof body) == 200);
  CHECK(strstr(body, "(c)\"") != NULL);
  officernd_client_free(client);

  current = "a binding built on the C library names itself (officernd_config_set_binding)";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  cfg = mock_config(DEMO_SECRET);
  CHECK_RESULT(officernd_config_set_binding(cfg, "go", err), OFFICERND_RESULT_OK);
  client = NULL;
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_access_token(client, buf, sizeof buf, NULL, err), OFFICERND_RESULT_OK);
  CHECK(mock_http("GET", "/_mock/last_request", NULL, body, sizeof body) == 200);
  CHECK(strstr(body, "\"officernd-auth/" OFFICERND_AUTH_VERSION " (go)\"") != NULL);
  CHECK(strstr(body, "(c)\"") == NULL);
  officernd_client_free(client);
  /* The core checks the name when the client is built, naming "binding". */
  CHECK_RESULT(officernd_config_set_binding(cfg, "two words", err), OFFICERND_RESULT_OK);
  client = (officernd_client *)&passed;
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  CHECK(client == (officernd_client *)&passed);
  CHECK(officernd_error_setting(err) != NULL && strcmp(officernd_error_setting(err), "binding") == 0);
  CHECK_RESULT(officernd_config_set_binding(cfg, "", err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_CONFIG);
  officernd_config_free(cfg);
  officernd_error_free(err);
}

/* officernd_client_cached: the core's freshness rule, no I/O. */
static void test_cached(void) {
  officernd_client *client = mock_client(DEMO_SECRET);
  officernd_token *cached = (officernd_token *)&passed, *token = NULL, *again = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;
  char a[4096], b[4096];
  bool dropped = false;
  unsigned long long hits;

  current = "officernd_client_cached";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  CHECK(mock_http("POST", "/_mock/reset", NULL, NULL, 0) == 200);
  /* Nothing cached: NULL, and no request (it never fetches). */
  CHECK_RESULT(officernd_client_cached(client, &cached, err), OFFICERND_RESULT_OK);
  CHECK(cached == NULL);
  CHECK(mock_stat("token_requests") == 0);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OK);
  CHECK(mock_stat("token_requests") == 1);
  CHECK_RESULT(officernd_client_stats(client, &stats, err), OFFICERND_RESULT_OK);
  hits = (unsigned long long)stats.cache_hits;
  /* A fresh token: the cached one, counted as a cache hit, still no request. */
  CHECK_RESULT(officernd_client_cached(client, &cached, err), OFFICERND_RESULT_OK);
  CHECK(cached != NULL);
  if (cached != NULL && token != NULL) {
    CHECK_RESULT(officernd_token_access_token(token, a, sizeof a, NULL, err), OFFICERND_RESULT_OK);
    CHECK_RESULT(officernd_token_access_token(cached, b, sizeof b, NULL, err), OFFICERND_RESULT_OK);
    CHECK(strcmp(a, b) == 0);
    CHECK_RESULT(officernd_token_authorization_header(cached, b, sizeof b, NULL, err), OFFICERND_RESULT_OK);
    CHECK(mock_call_api(b) == 200);
  }
  CHECK(mock_stat("token_requests") == 1);
  CHECK_RESULT(officernd_client_stats(client, &stats, err), OFFICERND_RESULT_OK);
  CHECK((unsigned long long)stats.cache_hits == hits + 1);
  /* Invalidated: nothing fresh any more, and still no request. */
  CHECK_RESULT(officernd_client_invalidate(client, token, &dropped, err), OFFICERND_RESULT_OK);
  CHECK(dropped);
  CHECK_RESULT(officernd_client_cached(client, &again, err), OFFICERND_RESULT_OK);
  CHECK(again == NULL);
  CHECK(mock_stat("token_requests") == 1);
  officernd_token_free(cached);
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_error_free(err);
}

/* ---- Stores ------------------------------------------------------------------------------ */

/* A fresh private (0700) temporary directory; the file store needs one it owns. */
static void make_temp_dir(char *out, size_t cap) {
  const char *base = getenv("TMPDIR");
  snprintf(out, cap, "%s/officernd-c-XXXXXX", base != NULL && *base != '\0' ? base : "/tmp");
  if (mkdtemp(out) == NULL) {
    perror("mkdtemp");
    abort();
  }
}

static void remove_tree(const char *path) {
  struct stat st;
  DIR *dir;
  struct dirent *e;
  char child[4096];
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode) && (dir = opendir(path)) != NULL) {
    while ((e = readdir(dir)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      snprintf(child, sizeof child, "%s/%s", path, e->d_name);
      remove_tree(child);
    }
    closedir(dir);
    rmdir(path);
  } else {
    unlink(path);
  }
}

static void test_store_config_errors(const char *dir) {
  officernd_config *cfg = mock_config(DEMO_SECRET);
  officernd_client *client = NULL;
  officernd_error *err = NULL;
  char open_dir[4200];

  current = "store setting errors";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  /* An unknown store: CONFIG naming "store", at once (the setter opens the store). */
  CHECK_RESULT(officernd_config_set_store(cfg, "disk", NULL, err), OFFICERND_RESULT_CONFIG);
  CHECK(officernd_error_setting(err) != NULL && strcmp(officernd_error_setting(err), "store") == 0);
  CHECK(strstr(officernd_error_message(err), "file") != NULL);
  CHECK(!officernd_error_is_retryable(err));
  /* A path only goes with the file store. */
  CHECK_RESULT(officernd_config_set_store(cfg, "memory", dir, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "store") == 0);
  /* A directory others can write is refused. */
  snprintf(open_dir, sizeof open_dir, "%s/open", dir);
  CHECK(mkdir(open_dir, 0700) == 0 && chmod(open_dir, 0777) == 0);
  CHECK_RESULT(officernd_config_set_store(cfg, "file", open_dir, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "store_path") == 0);
  remove_tree(open_dir);
  /* A rejected store left the configuration as it was. */
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  officernd_client_free(client);
  officernd_config_free(cfg);

  /* From the environment: OFFICERND_STORE, named as the setting at fault; an explicit store wins. */
  CHECK(setenv("OFFICERND_STORE", "disk", 1) == 0);
  CHECK_RESULT(officernd_config_new(&cfg), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_load_env(cfg, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "OFFICERND_STORE") == 0);
  CHECK_RESULT(officernd_config_set_store(cfg, "memory", NULL, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_config_load_env(cfg, err), OFFICERND_RESULT_OK);
  CHECK(unsetenv("OFFICERND_STORE") == 0);
  officernd_config_free(cfg);
  officernd_error_free(err);
}

#define PROCESSES 4

/* One child process: waits for the start signal, fetches a token through the file store in
   `dir`, writes it to `out` and exits 0 (1 on failure). Never returns. */
static void child_fetch(int go, int out, const char *dir) {
  officernd_config *cfg = mock_config(DEMO_SECRET);
  officernd_client *client = NULL;
  officernd_error *err = NULL;
  char token[4096];
  size_t n = 0;
  int ok = 0, failed_before = failed;
  char c;
  if (officernd_error_new(&err) == OFFICERND_RESULT_OK &&
      officernd_config_set_store(cfg, "file", dir, err) == OFFICERND_RESULT_OK &&
      officernd_client_new(cfg, &client, err) == OFFICERND_RESULT_OK && read(go, &c, 1) >= 0 &&
      officernd_client_access_token(client, token, sizeof token, &n, err) == OFFICERND_RESULT_OK) {
    ok = write(out, token, n) == (ssize_t)n;
  } else {
    fprintf(stderr, "child %ld: %s\n", (long)getpid(), officernd_error_message(err));
  }
  officernd_client_free(client);
  officernd_config_free(cfg);
  officernd_error_free(err);
  close(out);
  _exit(ok && failed == failed_before ? 0 : 1);
}

static void test_file_store_processes(const char *parent_dir) {
  int go[2], out[PROCESSES][2];
  pid_t pids[PROCESSES];
  char tokens[PROCESSES][4096];
  char dir[4200], again[4096];
  officernd_config *cfg;
  officernd_client *client = NULL;
  officernd_stats stats;
  int i, status;
  ssize_t got;
  size_t len;

  current = "4 processes, file store, empty cache";
  snprintf(dir, sizeof dir, "%s/store", parent_dir); /* missing: the store creates it 0700 */
  CHECK(mock_http("POST", "/_mock/reset", NULL, NULL, 0) == 200);
  CHECK(mock_stat("token_requests") == 0);
  CHECK(mock_faults("[{\"kind\":\"delay\",\"ms\":300}]") == 0); /* the others wait on the lock */
  CHECK(pipe(go) == 0);
  fflush(stdout);
  fflush(stderr);
  for (i = 0; i < PROCESSES; i++) {
    CHECK(pipe(out[i]) == 0);
    pids[i] = fork();
    if (pids[i] == 0) {
      close(go[1]);
      close(out[i][0]);
      child_fetch(go[0], out[i][1], dir);
    }
    CHECK(pids[i] > 0);
    close(out[i][1]);
  }
  /* Closing the start pipe releases every child at once (their read sees end-of-file). */
  close(go[0]);
  close(go[1]);
  for (i = 0; i < PROCESSES; i++) {
    len = 0;
    while (len < sizeof tokens[i] - 1 && (got = read(out[i][0], tokens[i] + len, sizeof tokens[i] - 1 - len)) > 0)
      len += (size_t)got;
    tokens[i][len] = '\0';
    close(out[i][0]);
    CHECK(waitpid(pids[i], &status, 0) == pids[i]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  for (i = 0; i < PROCESSES; i++) CHECK(tokens[i][0] != '\0' && strcmp(tokens[i], tokens[0]) == 0);
  CHECK(mock_stat("token_requests") == 1);

  /* This process (its own memory cache) takes the same token from the store, without a request. */
  cfg = mock_config(DEMO_SECRET);
  CHECK_RESULT(officernd_config_set_store(cfg, "file", dir, NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, NULL), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_access_token(client, again, sizeof again, NULL, NULL), OFFICERND_RESULT_OK);
  CHECK(strcmp(again, tokens[0]) == 0);
  CHECK_RESULT(officernd_client_stats(client, &stats, NULL), OFFICERND_RESULT_OK);
  CHECK(stats.requests_sent == 0);
  CHECK(mock_stat("token_requests") == 1);
  officernd_client_free(client);
  officernd_config_free(cfg);
}

static void test_redis_unreachable(void) {
  static const char *const PASSWORD = "r3dis-Pw-7Hq2";
  officernd_config *cfg = mock_config(DEMO_SECRET);
  officernd_client *client = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;
  char header[4200], url[256];

  current = "Redis store unreachable";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  CHECK(mock_http("POST", "/_mock/reset", NULL, NULL, 0) == 200);
  /* Nothing listens on port 1: this process cannot know what the fleet sent in the last window,
   * so it sends nothing for one window and says why, naming the store without its password. */
  snprintf(url, sizeof url, "redis://:%s@127.0.0.1:1/0", PASSWORD);
  CHECK_RESULT(officernd_config_set_store(cfg, url, NULL, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_authorization_header(client, header, sizeof header, NULL, err),
               OFFICERND_RESULT_RATE_LIMITED);
  CHECK(officernd_error_retry_after_ms(err) > 60000);
  CHECK(strstr(officernd_error_message(err), "127.0.0.1:1") != NULL);
  CHECK(strstr(officernd_error_message(err), "one token request per quota window") != NULL);
  CHECK(strstr(officernd_error_message(err), PASSWORD) == NULL);
  CHECK_RESULT(officernd_client_stats(client, &stats, err), OFFICERND_RESULT_OK);
  CHECK(stats.requests_sent == 0);
  CHECK(mock_stat("token_requests") == 0);
  officernd_client_free(client);

  /* A Redis URL the store refuses: the message names it without its password. */
  snprintf(url, sizeof url, "redis://:%s@127.0.0.1:1/not-a-db", PASSWORD);
  CHECK_RESULT(officernd_config_set_store(cfg, url, NULL, err), OFFICERND_RESULT_CONFIG);
  CHECK(strcmp(officernd_error_setting(err), "store") == 0);
  CHECK(strstr(officernd_error_message(err), "127.0.0.1") != NULL);
  CHECK(strstr(officernd_error_message(err), PASSWORD) == NULL);
  check_no_secret(err);
  officernd_config_free(cfg);
  officernd_error_free(err);
}

/* ---- The log callback ------------------------------------------------------------------ */

#define MAX_RECORDS 256

struct log_record {
  officernd_log_level level;
  char target[128];
  char message[2048];
};

/* What the callback saw; filled from any thread, under the lock. */
static struct {
  pthread_mutex_t lock;
  int count;
  int overflow;
  struct log_record records[MAX_RECORDS];
} logs = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0, "", ""}}};

static void capture_log(void *userdata, officernd_log_level level, const char *target, const char *message) {
  struct log_record *r;
  CHECK(userdata == (void *)&logs);
  pthread_mutex_lock(&logs.lock);
  if (logs.count < MAX_RECORDS) {
    r = &logs.records[logs.count++];
    r->level = level;
    snprintf(r->target, sizeof r->target, "%s", target);
    snprintf(r->message, sizeof r->message, "%s", message);
    if (strlen(message) >= sizeof r->message) logs.overflow++;
  } else {
    logs.overflow++;
  }
  pthread_mutex_unlock(&logs.lock);
}

static void clear_logs(void) {
  pthread_mutex_lock(&logs.lock);
  logs.count = 0;
  logs.overflow = 0;
  pthread_mutex_unlock(&logs.lock);
}

static void print_logs(void) {
  int i;
  for (i = 0; i < logs.count; i++)
    fprintf(stderr, "  log %u %s: %s\n", logs.records[i].level, logs.records[i].target, logs.records[i].message);
}

/* How many records of `level` (0: any) contain `needle` (NULL: any). */
static int count_logs(officernd_log_level level, const char *needle) {
  int i, n = 0;
  pthread_mutex_lock(&logs.lock);
  for (i = 0; i < logs.count; i++)
    if ((level == 0 || logs.records[i].level == level) &&
        (needle == NULL || strstr(logs.records[i].message, needle) != NULL))
      n++;
  pthread_mutex_unlock(&logs.lock);
  return n;
}

/* Records of the HTTP/TLS stacks below INFO (they can hold whole bodies): there must be none. */
static int count_transport_debug(void) {
  int i, n = 0;
  pthread_mutex_lock(&logs.lock);
  for (i = 0; i < logs.count; i++)
    if (logs.records[i].level > OFFICERND_LOG_LEVEL_INFO && strncmp(logs.records[i].target, "officernd_auth", 14) != 0)
      n++;
  pthread_mutex_unlock(&logs.lock);
  return n;
}

static void test_log_callback(void) {
  static const char *const PASSWORD = "r3dis-L0g-Pw-9xQ";
  officernd_config *cfg;
  officernd_client *client = NULL;
  officernd_token *token = NULL;
  officernd_error *err = NULL;
  char url[256], access[4096];
  bool dropped = false;
  int failed_before = failed;

  current = "log callback: a Redis store that is down warns once";
  CHECK_RESULT(officernd_error_new(&err), OFFICERND_RESULT_OK);
  clear_logs();
  CHECK_RESULT(officernd_set_log_callback(capture_log, &logs, OFFICERND_LOG_LEVEL_TRACE), OFFICERND_RESULT_OK);
  cfg = mock_config(DEMO_SECRET);
  snprintf(url, sizeof url, "redis://:%s@127.0.0.1:1/0", PASSWORD);
  CHECK_RESULT(officernd_config_set_store(cfg, url, NULL, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_new(cfg, &client, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_RATE_LIMITED);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_RATE_LIMITED);
  CHECK(count_logs(OFFICERND_LOG_LEVEL_WARN, NULL) == 1);
  CHECK(count_logs(OFFICERND_LOG_LEVEL_WARN, "redis://:***@127.0.0.1:1") == 1);
  CHECK(count_logs(0, PASSWORD) == 0);
  CHECK(count_logs(0, DEMO_SECRET) == 0);
  CHECK(logs.overflow == 0);
  officernd_client_free(client);
  officernd_config_free(cfg);
  client = NULL;

  /* A token fetched from the mock: the library says so, with the token redacted; the HTTP
   * stack's debug records are not forwarded. */
  current = "log callback: a fetch";
  clear_logs();
  client = mock_client(DEMO_SECRET);
  CHECK_RESULT(officernd_client_access_token(client, access, sizeof access, NULL, err), OFFICERND_RESULT_OK);
  CHECK(count_logs(OFFICERND_LOG_LEVEL_INFO, "[redacted]") >= 1);
  CHECK(count_logs(OFFICERND_LOG_LEVEL_DEBUG, getenv("OFFICERND_CLIENT_ID")) >= 1); /* "requesting a token for client …" */
  CHECK(count_logs(0, access) == 0);
  CHECK(count_logs(0, DEMO_SECRET) == 0);
  CHECK(count_transport_debug() == 0);

  /* The level asked for: WARN forwards no INFO. */
  current = "log callback: max level";
  CHECK_RESULT(officernd_set_log_callback(capture_log, &logs, OFFICERND_LOG_LEVEL_WARN), OFFICERND_RESULT_OK);
  clear_logs();
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_invalidate(client, token, &dropped, err), OFFICERND_RESULT_OK);
  CHECK(dropped);
  officernd_token_free(token);
  token = NULL;
  CHECK_RESULT(officernd_client_access_token(client, access, sizeof access, NULL, err), OFFICERND_RESULT_OK);
  CHECK(count_logs(0, NULL) == 0);
  CHECK_RESULT(officernd_set_log_callback(capture_log, &logs, OFFICERND_LOG_LEVEL_INFO), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_token(client, &token, err), OFFICERND_RESULT_OK);
  CHECK_RESULT(officernd_client_invalidate(client, token, &dropped, err), OFFICERND_RESULT_OK);
  CHECK(count_logs(OFFICERND_LOG_LEVEL_INFO, "invalidated") == 1);
  officernd_token_free(token);
  token = NULL;

  /* NULL turns it off. */
  current = "log callback: off";
  CHECK_RESULT(officernd_set_log_callback(NULL, NULL, OFFICERND_LOG_LEVEL_TRACE), OFFICERND_RESULT_OK);
  clear_logs();
  CHECK_RESULT(officernd_client_access_token(client, access, sizeof access, NULL, err), OFFICERND_RESULT_OK);
  CHECK(count_logs(0, NULL) == 0);
  officernd_client_free(client);
  officernd_error_free(err);
  if (failed != failed_before || getenv("SHOW_LOGS")) print_logs();
}

int main(void) {
  if (getenv("OFFICERND_MOCK_URL") == NULL || mock_stat("token_requests") < 0) {
    fprintf(stderr, "the mock identity server is not reachable (run through tests/with-mock.sh)\n");
    return 2;
  }
  test_version();
  test_success();
  test_token_after_unauthorized();
  test_token_after_unauthorized_same_token();
  test_from_env();
  test_config_errors();
  test_config_set_by_name();
  test_oauth_error();
  test_each_error_code();
  test_null_and_utf8();
  test_buffer_too_small();
  test_threads_share_one_request();
  test_user_agent();
  test_cached();
  {
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    test_store_config_errors(dir);
    test_file_store_processes(dir);
    test_redis_unreachable();
    test_log_callback();
    remove_tree(dir);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
