// libofficernd_auth from C++ (officernd_auth.hpp): a client from the environment, a token fetched
// once and then served from cache, and the stats. Never prints the token.
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
    std::string header = client.authorization_header();  // from cache
    std::cout << "Authorization: " << header.substr(0, 13) << "… (" << header.size() << " chars)\n";
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
