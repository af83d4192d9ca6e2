/*
 * libofficernd_auth from C: a client from the environment, a token fetched once and then served
 * from cache, the Authorization header on an API call (with the 401 rule: after a 401, retry once
 * with the token officernd_client_token_after_unauthorized gives, if any), and the stats. Never
 * prints the token: only the library's redaction of it (officernd_token_redacted).
 *
 *   export OFFICERND_CLIENT_ID=… OFFICERND_CLIENT_SECRET=… OFFICERND_SCOPES="officernd.api.read"
 *   cc fetch_token.c $(pkg-config --cflags --libs officernd_auth) -o fetch_token && ./fetch_token
 *
 * With OFFICERND_MOCK_URL set (make demo), it also calls the mock's protected resource
 * GET /api/v2/me with the header (a plain-socket HTTP call, loopback only: a real application
 * would use libcurl or its HTTP client of choice).
 */
#define _POSIX_C_SOURCE 200809L

#include <officernd_auth.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what, const officernd_error *err) {
  fprintf(stderr, "%s failed: [%s] %s\n", what, officernd_result_name((unsigned)officernd_error_code(err)),
          officernd_error_message(err));
  if (officernd_error_oauth_error(err) != NULL)
    fprintf(stderr, "  oauth error: %s (HTTP %u)\n", officernd_error_oauth_error(err),
            (unsigned)officernd_error_http_status(err));
  if (officernd_error_retry_after_ms(err) >= 0)
    fprintf(stderr, "  retry after: %lld ms\n", (long long)officernd_error_retry_after_ms(err));
  return 1;
}

/* GET path on http://127.0.0.1:PORT with an Authorization header; prints the status line and
 * returns the HTTP status (-1 when there is none). */
static int call_api(const char *base_url, const char *path, const char *authorization) {
  struct sockaddr_in addr;
  char request[8192], response[4096];
  const char *port = strrchr(base_url, ':');
  ssize_t n;
  int fd, len;
  if (strncmp(base_url, "http://127.0.0.1:", 17) != 0 || port == NULL) return -1;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(port + 1));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) return -1;
  len = snprintf(request, sizeof request,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nConnection: close\r\n\r\n",
                 path, authorization);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || len < 0 || (size_t)len >= sizeof request ||
      write(fd, request, (size_t)len) != len || (n = read(fd, response, sizeof response - 1)) <= 0) {
    close(fd);
    return -1;
  }
  close(fd);
  response[n] = '\0';
  response[strcspn(response, "\r\n")] = '\0';
  printf("GET %s -> %s\n", path, response);
  return strncmp(response, "HTTP/1.1 ", 9) == 0 ? atoi(response + 9) : -1;
}

/* The API call with `token`'s header; after a 401, once more with the token core's 401 rule
 * gives (none: the 401 stands). Returns the HTTP status. */
static int call_api_with(officernd_client *client, officernd_token *token, const char *base_url,
                         officernd_error *err) {
  char header[8192], hint[64];
  officernd_token *next = NULL;
  int status = -1;
  if (officernd_token_authorization_header(token, header, sizeof header, NULL, err) != OFFICERND_RESULT_OK) {
    fail("officernd_token_authorization_header", err);
    return -1;
  }
  status = call_api(base_url, "/api/v2/me", header);
  if (status == 401) {
    if (officernd_client_token_after_unauthorized(client, token, &next, err) != OFFICERND_RESULT_OK) {
      fail("officernd_client_token_after_unauthorized", err);
    }
    if (next != NULL) {
      officernd_token_redacted(next, hint, sizeof hint, NULL, NULL);
      printf("401: retrying once with token %s\n", hint);
      if (officernd_token_authorization_header(next, header, sizeof header, NULL, err) == OFFICERND_RESULT_OK)
        status = call_api(base_url, "/api/v2/me", header);
      officernd_token_free(next);
    }
  }
  memset(header, 0, sizeof header);
  return status;
}

int main(void) {
  officernd_client *client = NULL;
  officernd_token *token = NULL, *again = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;
  char hint[64], scopes[512];
  const char *mock = getenv("OFFICERND_MOCK_URL");
  int rc = 0;

  if (officernd_error_new(&err) != OFFICERND_RESULT_OK) return 1;
  printf("libofficernd_auth %s (header %s)\n", officernd_version(), OFFICERND_AUTH_VERSION);
  if (officernd_client_from_env(&client, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_client_from_env", err);
    goto done;
  }

  /* First call: one token request. */
  if (officernd_client_token(client, &token, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_client_token", err);
    goto done;
  }
  officernd_token_redacted(token, hint, sizeof hint, NULL, NULL);
  officernd_token_scopes(token, scopes, sizeof scopes, NULL, NULL);
  printf("token %s (%zu chars), expires in %llu s, scopes: %s\n", hint,
         officernd_token_access_token_len(token),
         (unsigned long long)(officernd_token_expires_in_ms(token) / 1000), scopes);

  /* Second call: served from cache (the same token, no request). */
  if (officernd_client_token(client, &again, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_client_token", err);
    goto done;
  }
  officernd_token_redacted(again, hint, sizeof hint, NULL, NULL);
  printf("Authorization: Bearer %s (%zu chars, from cache)\n", hint, officernd_token_access_token_len(again) + 7);

  if (mock != NULL && call_api_with(client, again, mock, err) != 200) {
    fprintf(stderr, "the API call failed\n");
    rc = 1;
  }

  if (officernd_client_stats(client, &stats, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_client_stats", err);
    goto done;
  }
  printf("stats: %llu token request(s) sent, %llu cache hit(s), budget %u/%u left\n",
         (unsigned long long)stats.requests_sent, (unsigned long long)stats.cache_hits,
         stats.budget_remaining, stats.budget_capacity);

done:
  officernd_token_free(again);
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_error_free(err);
  return rc;
}
