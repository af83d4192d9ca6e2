/*
 * Linked against libofficernd_auth.a with the pkg-config Libs.private flags (no shared library at
 * run time): gets a token from the mock and prints a redacted hint and the stats.
 */
#include <officernd_auth.h>

#include <stdio.h>

int main(void) {
  officernd_client *client = NULL;
  officernd_token *token = NULL;
  officernd_error *err = NULL;
  officernd_stats stats;
  char hint[64];
  int rc = 1;
  if (officernd_error_new(&err) != OFFICERND_RESULT_OK) return 1;
  if (officernd_client_from_env(&client, err) == OFFICERND_RESULT_OK &&
      officernd_client_token(client, &token, err) == OFFICERND_RESULT_OK &&
      officernd_token_redacted(token, hint, sizeof hint, NULL, err) == OFFICERND_RESULT_OK &&
      officernd_client_stats(client, &stats, err) == OFFICERND_RESULT_OK) {
    printf("static link: libofficernd_auth %s, token %s, %llu request(s)\n", officernd_version(), hint,
           (unsigned long long)stats.requests_sent);
    rc = stats.requests_sent == 1 ? 0 : 1;
  } else {
    fprintf(stderr, "error %s: %s\n", officernd_result_name((unsigned)officernd_error_code(err)),
            officernd_error_message(err));
  }
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_error_free(err);
  return rc;
}
