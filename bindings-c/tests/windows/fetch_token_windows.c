/* libofficernd_auth from a Windows program (mingw), against an installed prefix: a client from
 * the environment, a token, the same token again (from the cache). Run by check-prefix.sh under
 * Wine with OFFICERND_STORE=file, so a second program adopts the token the first one stored.
 * (examples/c calls the mock's API with POSIX sockets, so it does not build for Windows.) */
#include <officernd_auth.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, const officernd_error *err) {
  fprintf(stderr, "%s failed: [%s] %s\n", what, officernd_result_name((unsigned)officernd_error_code(err)),
          officernd_error_message(err));
  return 1;
}

int main(void) {
  officernd_client *client = NULL;
  officernd_token *token = NULL, *again = NULL;
  officernd_error *err = NULL;
  char hint[64], first[4096], second[4096];
  int rc = 0;

  if (officernd_error_new(&err) != OFFICERND_RESULT_OK) return 1;
  printf("libofficernd_auth %s (header %s)\n", officernd_version(), OFFICERND_AUTH_VERSION);
  if (officernd_client_from_env(&client, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_client_from_env", err);
    goto done;
  }
  if (officernd_client_token(client, &token, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_client_token", err);
    goto done;
  }
  if (officernd_client_token(client, &again, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_client_token (again)", err);
    goto done;
  }
  if (officernd_token_access_token(token, first, sizeof first, NULL, err) != OFFICERND_RESULT_OK ||
      officernd_token_access_token(again, second, sizeof second, NULL, err) != OFFICERND_RESULT_OK) {
    rc = fail("officernd_token_access_token", err);
    goto done;
  }
  if (strcmp(first, second) != 0) {
    fprintf(stderr, "the second call did not return the cached token\n");
    rc = 1;
    goto done;
  }
  officernd_token_redacted(token, hint, sizeof hint, NULL, NULL);
  printf("token %s (%zu chars), expires in %llu s; the same again from the cache\n", hint,
         officernd_token_access_token_len(token),
         (unsigned long long)(officernd_token_expires_in_ms(token) / 1000));
done:
  officernd_token_free(again);
  officernd_token_free(token);
  officernd_client_free(client);
  officernd_error_free(err);
  return rc;
}
