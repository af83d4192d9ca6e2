// Tests of the C++17 wrapper (officernd_auth.hpp) against the mock identity server, built through
// CMake find_package(officernd_auth). Ends with "N passed, M failed".
#include <officernd_auth.hpp>

#include "../c/fixed_token_server.h"
#include "../c/mock_http.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

int passed = 0;
int failed = 0;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (cond) {                                                                      \
      ++passed;                                                                      \
    } else {                                                                         \
      ++failed;                                                                      \
      std::cerr << "FAIL " << __FILE__ << ":" << __LINE__ << ": " #cond << std::endl; \
    }                                                                                \
  } while (0)

const char *const kSecret = "demo-client-secret-s3cr3t";
const char *const kWrongSecret = "wrong-secret-Cpp-93kd";

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

officernd::Config mock_config(const std::string &secret) {
  officernd::Config cfg;
  cfg.client_id(env("OFFICERND_CLIENT_ID"))
      .client_secret(secret)
      .scopes("officernd.api.read officernd.api.write")
      .token_url(env("OFFICERND_TOKEN_URL"))
      .share_cache(false)
      .max_retries(0)
      .timeout(std::chrono::seconds(10));
  return cfg;
}

template <class F>
officernd_result code_of(F &&f, officernd::Error *out = nullptr) {
  try {
    f();
  } catch (const officernd::Error &e) {
    std::string what = e.what();
    CHECK(what.find(kSecret) == std::string::npos);
    CHECK(what.find(kWrongSecret) == std::string::npos);
    if (out) *out = e;
    return e.code();
  }
  return OFFICERND_RESULT_OK;
}

void test_success() {
  officernd::Client client(mock_config(kSecret));
  officernd::Token token = client.token();
  std::string access = token.access_token();
  CHECK(access.size() > 20 && access.size() == officernd_token_access_token_len(token.get()));
  CHECK(token.authorization_header() == "Bearer " + access);
  CHECK(client.authorization_header() == "Bearer " + access);
  CHECK(client.access_token() == access);
  CHECK(token.scopes().find("officernd.api.read") != std::string::npos);
  CHECK(token.redacted().find(access) == std::string::npos);
  CHECK(token.expires_in() > std::chrono::minutes(50));
  CHECK(token.expires_at() > std::chrono::system_clock::now() + std::chrono::minutes(50));
  officernd_stats s = client.stats();
  CHECK(s.requests_sent == 1 && s.cache_hits >= 2 && s.budget_capacity == 5);
  CHECK(client.invalidate(token));
  CHECK(!client.invalidate(token));
  CHECK(client.access_token() != access);
  CHECK(client.stats().requests_sent == 2);
  CHECK(officernd::version() == OFFICERND_AUTH_VERSION);
  static_assert(!std::is_copy_constructible_v<officernd::Client>, "Client is move-only");
  officernd::Client moved = std::move(client);
  CHECK(moved.stats().requests_sent == 2);
}

void test_token_after_unauthorized() {
  CHECK(mock_http("POST", "/_mock/reset", nullptr, nullptr, 0) == 200);
  officernd::Client client(mock_config(kSecret));
  officernd::Token first = client.token();
  CHECK(mock_call_api(first.authorization_header().c_str()) == 200);
  CHECK(mock_http("POST", "/_mock/revoke", nullptr, nullptr, 0) == 200);
  CHECK(mock_call_api(first.authorization_header().c_str()) == 401);
  std::optional<officernd::Token> next = client.token_after_unauthorized(first);
  CHECK(next.has_value());
  if (next) {
    CHECK(next->access_token() != first.access_token());
    CHECK(mock_call_api(next->authorization_header().c_str()) == 200);
    CHECK(client.access_token() == next->access_token());
    // A late 401 for the old token: the newer one, without a request.
    std::optional<officernd::Token> late = client.token_after_unauthorized(first);
    CHECK(late && late->access_token() == next->access_token());
  }
  CHECK(mock_stat("token_requests") == 2);

  // The server answers the refused token again: nothing to retry with.
  fixed_token_server server;
  CHECK(fixed_token_server_start(&server) == 0);
  officernd::Config cfg = mock_config(kSecret);
  cfg.token_url(server.url);
  officernd::Client fixed(cfg);
  officernd::Token same = fixed.token();
  CHECK(!fixed.token_after_unauthorized(same).has_value());
  CHECK(fixed_token_server_requests(&server) == 2);
  fixed_token_server_stop(&server);
}

void test_from_env() {
  officernd::Client client = officernd::Client::from_env();
  CHECK(client.authorization_header().rfind("Bearer ", 0) == 0);
  officernd::Config cfg;
  cfg.load_env();
  officernd::Client again(cfg);
  CHECK(again.access_token() == client.access_token());  // same settings: one shared cache
}

void test_errors() {
  officernd::Error e(OFFICERND_RESULT_OK, nullptr);

  CHECK(code_of([] { officernd::Client c{officernd::Config()}; }, &e) == OFFICERND_RESULT_CONFIG);
  CHECK(e.setting() && *e.setting() == "client_id");
  CHECK(std::strcmp(e.code_name(), "config") == 0 && !e.retryable());

  officernd::Client wrong(mock_config(kWrongSecret));
  CHECK(code_of([&] { wrong.token(); }, &e) == OFFICERND_RESULT_OAUTH);
  CHECK(e.oauth_error() && *e.oauth_error() == "invalid_client");
  CHECK(e.http_status() == 401);
  CHECK(!e.retry_after());

  officernd::Config bad = mock_config(kSecret);
  bad.token_url("http://127.0.0.1:1/oauth/token");
  officernd::Client unreachable(bad);
  CHECK(code_of([&] { unreachable.authorization_header(); }, &e) == OFFICERND_RESULT_TRANSPORT);
  CHECK(e.retryable() && e.http_status() == 0);

  CHECK(code_of([] { officernd::Config().client_id(std::string("\xff\xfe")); }, &e) ==
        OFFICERND_RESULT_INVALID_UTF8);

  CHECK(code_of([] { officernd::Config().set("colour", "blue"); }, &e) == OFFICERND_RESULT_CONFIG);
  CHECK(e.setting() && *e.setting() == "colour");
  CHECK(code_of([] { officernd::Config().set("timeout", "soon"); }, &e) == OFFICERND_RESULT_CONFIG);
  CHECK(e.setting() && *e.setting() == "timeout");
}

void test_set_by_name() {
  officernd::Config cfg = mock_config(kSecret);
  cfg.set("maxRequests", "4").set("quota_window", "30").set("timeout", "2.5");
  officernd::Client client(cfg);
  CHECK(!client.access_token().empty());
  officernd_stats s = client.stats();
  CHECK(s.budget_capacity == 4 && s.requests_ok == 1);
}

void test_threads() {
  officernd::Client client(mock_config(kSecret));
  std::vector<std::string> tokens(16);
  std::vector<std::thread> threads;
  for (auto &t : tokens) threads.emplace_back([&client, &t] { t = client.access_token(); });
  for (auto &t : threads) t.join();
  for (auto &t : tokens) CHECK(!t.empty() && t == tokens[0]);
  CHECK(client.stats().requests_sent == 1);
}

void test_store() {
  officernd::Error e(OFFICERND_RESULT_OK, nullptr);
  CHECK(code_of([] { officernd::Config().store("disk"); }, &e) == OFFICERND_RESULT_CONFIG);
  CHECK(e.setting() && *e.setting() == "store");

  // Two clients with separate memory caches share one token through a file store directory.
  std::string tmpl = (std::filesystem::temp_directory_path() / "officernd-cpp-XXXXXX").string();
  CHECK(mkdtemp(tmpl.data()) != nullptr);
  {
    officernd::Client first(mock_config(kSecret).store("file", tmpl));
    officernd::Client second(mock_config(kSecret).store("file", tmpl));
    CHECK(first.access_token() == second.access_token());
    CHECK(first.stats().requests_sent + second.stats().requests_sent == 1);
  }
  std::filesystem::remove_all(tmpl);
}

}  // namespace

int main() {
  if (env("OFFICERND_MOCK_URL").empty()) {
    std::cerr << "run through tests/with-mock.sh" << std::endl;
    return 2;
  }
  try {
    test_success();
    test_token_after_unauthorized();
    test_from_env();
    test_errors();
    test_set_by_name();
    test_threads();
    test_store();
  } catch (const officernd::Error &e) {
    ++failed;
    std::cerr << "FAIL unexpected officernd::Error " << e.code_name() << ": " << e.what() << std::endl;
  }
  std::cout << passed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 ? 0 : 1;
}
