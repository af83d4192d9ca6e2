// libofficernd_auth from C++ (officernd_auth.hpp): a client from the environment, a token fetched
// once and then served from cache, and the stats. Never prints the token: only the library's
// redaction of it (Token::redacted()).
//
//   cmake -S . -B build -DCMAKE_PREFIX_PATH=/prefix && cmake --build build && build/fetch_token
#include <officernd_auth.hpp>

#include <iostream>

int main() {
  try {
    officernd::Client client = officernd::Client::from_env();
    officernd::Token token = client.token();  // one token request
    std::cout << "token " << token.redacted() << " (" << token.access_token().size() << " chars), expires in "
              << std::chrono::duration_cast<std::chrono::seconds>(token.expires_in()).count()
              << " s, scopes: " << token.scopes() << "\n";
    officernd::Token again = client.token();  // from cache: the same token, no request
    std::string header = again.authorization_header();  // what an HTTP call sends; never print it
    std::cout << "Authorization: Bearer " << again.redacted() << " (" << header.size() << " chars, from cache)\n";
    // After an API 401 with it: auto next = client.token_after_unauthorized(again); retry once if next.
    officernd_stats s = client.stats();
    std::cout << "stats: " << s.requests_sent << " token request(s) sent, " << s.cache_hits
              << " cache hit(s), budget " << s.budget_remaining << "/" << s.budget_capacity << " left\n";
    return 0;
  } catch (const officernd::Error &e) {
    std::cerr << "error [" << e.code_name() << "] " << e.what() << "\n";
    if (e.oauth_error()) std::cerr << "  oauth error: " << *e.oauth_error() << " (HTTP " << e.http_status() << ")\n";
    if (e.retry_after()) std::cerr << "  retry after: " << e.retry_after()->count() << " ms\n";
    return 1;
  }
}
