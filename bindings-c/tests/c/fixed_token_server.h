/*
 * A token endpoint that answers every request with THE SAME access token (what core's 401 rule
 * must not resend): a loopback HTTP/1.1 server on its own thread, one connection at a time.
 * Tests only; valid C and C++.
 *
 *   struct fixed_token_server s;
 *   fixed_token_server_start(&s);   s.url is http://127.0.0.1:PORT/oauth/token
 *   ...                             fixed_token_server_requests(&s) counts token requests
 *   fixed_token_server_stop(&s);    wakes the thread through a pipe and joins it
 */
#ifndef OFFICERND_TEST_FIXED_TOKEN_SERVER_H
#define OFFICERND_TEST_FIXED_TOKEN_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FIXED_ACCESS_TOKEN "fixed-token-the-server-always-reissues-0123456789"

struct fixed_token_server {
  int listen_fd;
  int stop_pipe[2];
  pthread_t thread;
  pthread_mutex_t lock;
  int requests;
  char url[64];
};

/* Reads one request (headers, then Content-Length bytes of body) and answers it. */
static inline void fixed_token_server_answer(int fd) {
  static const char body[] = "{\"access_token\":\"" FIXED_ACCESS_TOKEN
                             "\",\"token_type\":\"Bearer\",\"expires_in\":3599}";
  char request[8192], response[512];
  size_t got = 0, need = 0;
  ssize_t n;
  int len;
  const char *end = NULL;
  while (got < sizeof request - 1 && (n = read(fd, request + got, sizeof request - 1 - got)) > 0) {
    got += (size_t)n;
    request[got] = '\0';
    if (end == NULL && (end = strstr(request, "\r\n\r\n")) != NULL) {
      const char *cl = strstr(request, "content-length:");
      if (cl == NULL) cl = strstr(request, "Content-Length:");
      need = (size_t)(end + 4 - request) + (cl != NULL ? (size_t)strtoul(cl + 15, NULL, 10) : 0);
    }
    if (end != NULL && got >= need) break;
  }
  len = snprintf(response, sizeof response,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                 "Content-Length: %lu\r\nConnection: close\r\n\r\n%s",
                 (unsigned long)strlen(body), body);
  if (len > 0 && write(fd, response, (size_t)len) != len) perror("fixed_token_server write");
}

static inline void *fixed_token_server_run(void *arg) {
  struct fixed_token_server *s = (struct fixed_token_server *)arg;
  for (;;) {
    struct pollfd fds[2];
    int fd;
    fds[0].fd = s->listen_fd;
    fds[0].events = POLLIN;
    fds[1].fd = s->stop_pipe[0];
    fds[1].events = POLLIN;
    if (poll(fds, 2, -1) < 0 || fds[1].revents != 0) break;
    if ((fd = accept(s->listen_fd, NULL, NULL)) < 0) continue;
    pthread_mutex_lock(&s->lock);
    s->requests++;
    pthread_mutex_unlock(&s->lock);
    fixed_token_server_answer(fd);
    close(fd);
  }
  return NULL;
}

/* 0 on success. */
static inline int fixed_token_server_start(struct fixed_token_server *s) {
  struct sockaddr_in addr;
  socklen_t addr_len = sizeof addr;
  memset(s, 0, sizeof *s);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if ((s->listen_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) return -1;
  if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s->listen_fd, 16) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&addr, &addr_len) != 0 || pipe(s->stop_pipe) != 0) {
    close(s->listen_fd);
    return -1;
  }
  snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u/oauth/token", (unsigned)ntohs(addr.sin_port));
  pthread_mutex_init(&s->lock, NULL);
  return pthread_create(&s->thread, NULL, fixed_token_server_run, s) == 0 ? 0 : -1;
}

static inline int fixed_token_server_requests(struct fixed_token_server *s) {
  int n;
  pthread_mutex_lock(&s->lock);
  n = s->requests;
  pthread_mutex_unlock(&s->lock);
  return n;
}

static inline void fixed_token_server_stop(struct fixed_token_server *s) {
  if (write(s->stop_pipe[1], "x", 1) != 1) perror("fixed_token_server stop");
  pthread_join(s->thread, NULL);
  close(s->listen_fd);
  close(s->stop_pipe[0]);
  close(s->stop_pipe[1]);
  pthread_mutex_destroy(&s->lock);
}

#endif
