/*
 * A tiny HTTP/1.1 client for the mock identity server's control API (loopback, plain http):
 * just enough to read /_mock/stats, queue faults, revoke tokens and call the protected resource.
 * Tests only; valid C and C++.
 */
#ifndef OFFICERND_TEST_MOCK_HTTP_H
#define OFFICERND_TEST_MOCK_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends METHOD PATH with an optional JSON body and an optional Authorization header value to
 * $OFFICERND_MOCK_URL; returns the HTTP status and copies the response body (NUL-terminated) into
 * body (cap bytes). -1 on any failure. */
static inline int mock_http_auth(const char *method, const char *path, const char *json, const char *authorization,
                          char *body, size_t cap) {
  const char *url = getenv("OFFICERND_MOCK_URL");
  const char *hostport;
  const char *colon;
  struct sockaddr_in addr;
  char request[4096];
  static char response[65536];
  size_t got = 0;
  ssize_t n;
  int fd, status = -1, len;
  char *sep;
  if (url == NULL || strncmp(url, "http://127.0.0.1:", 17) != 0) return -1;
  hostport = url + 7;
  colon = strchr(hostport, ':');
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(colon + 1));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  len = snprintf(request, sizeof request,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s"
                 "Content-Type: application/json\r\nContent-Length: %lu\r\n\r\n%s",
                 method, path, authorization ? "Authorization: " : "", authorization ? authorization : "",
                 authorization ? "\r\n" : "", (unsigned long)(json ? strlen(json) : 0), json ? json : "");
  if (len < 0 || (size_t)len >= sizeof request || write(fd, request, (size_t)len) != len) {
    close(fd);
    return -1;
  }
  while (got < sizeof response - 1 && (n = read(fd, response + got, sizeof response - 1 - got)) > 0)
    got += (size_t)n;
  close(fd);
  response[got] = '\0';
  if (sscanf(response, "HTTP/1.%*d %d", &status) != 1) return -1;
  sep = strstr(response, "\r\n\r\n");
  if (body != NULL && cap > 0) {
    body[0] = '\0';
    if (sep != NULL) {
      strncpy(body, sep + 4, cap - 1);
      body[cap - 1] = '\0';
    }
  }
  return status;
}

/* mock_http_auth without an Authorization header. */
static inline int mock_http(const char *method, const char *path, const char *json, char *body, size_t cap) {
  return mock_http_auth(method, path, json, NULL, body, cap);
}

/* GET /api/v2/me, the mock's protected resource, with `Authorization: <authorization>`: 200 for
 * a live token it issued, 401 for an unknown, expired or revoked one. */
static inline int mock_call_api(const char *authorization) {
  return mock_http_auth("GET", "/api/v2/me", NULL, authorization, NULL, 0);
}

/* A number field of /_mock/stats, e.g. "token_requests"; -1 when unreadable. */
static inline long mock_stat(const char *field) {
  char body[4096];
  char key[128];
  const char *p;
  if (mock_http("GET", "/_mock/stats", NULL, body, sizeof body) != 200) return -1;
  snprintf(key, sizeof key, "\"%s\":", field);
  p = strstr(body, key);
  if (p == NULL) return -1;
  p += strlen(key);
  while (*p == ' ') p++;
  return strtol(p, NULL, 10);
}

/* Queues faults (a JSON array) for the next token requests. */
static inline int mock_faults(const char *json_array) {
  return mock_http("POST", "/_mock/faults", json_array, NULL, 0) == 200 ? 0 : -1;
}

#endif
