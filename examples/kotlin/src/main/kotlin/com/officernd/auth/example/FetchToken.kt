// Fetch an OfficeRnD token with the UniFFI Kotlin bindings and call a protected resource.
//
//   make build-uniffi            # builds the library and generates the Kotlin bindings
//   scripts/with-mock.sh make demo-uniffi   # runs it against a fresh mock (or: make demo)
//
// Settings come from OFFICERND_CLIENT_ID, OFFICERND_CLIENT_SECRET, OFFICERND_SCOPES and
// OFFICERND_TOKEN_URL (and OFFICERND_STORE / OFFICERND_STORE_PATH for a shared store); the API
// base URL from OFFICERND_MOCK_URL (the mock's protected resource).
package com.officernd.auth.example

import com.officernd.auth.JavaUtilLogSink
import com.officernd.auth.OfficeRnDAuthException
import com.officernd.auth.Token
import com.officernd.auth.TokenClient
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import kotlin.system.exitProcess

fun main() {
    val apiBase = System.getenv("OFFICERND_MOCK_URL") ?: error("set OFFICERND_MOCK_URL")
    // The library's warnings (a shared store down, a failed refresh) and INFO lines (a token
    // obtained) go to java.util.logging, under the logger "officernd_auth".
    JavaUtilLogSink.install()
    val client =
        try {
            TokenClient.fromEnv()
        } catch (e: OfficeRnDAuthException.Config) {
            System.err.println("configuration: ${e.setting}: ${e.reason}")
            exitProcess(2)
        }
    println("client: $client")

    // First call fetches (one token request); the second is answered from the cache.
    val first = client.token()
    val second = client.token()
    println("token: $first (same token from cache: ${first == second})")

    val http = HttpClient.newHttpClient()

    fun callApi(token: Token): HttpResponse<String> =
        http.send(
            HttpRequest
                .newBuilder(URI.create("$apiBase/api/v2/me"))
                .header("Authorization", token.authorizationHeader())
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString(),
        )

    // Keep the token the call actually sent: after a 401 that is the one to report, not
    // whatever client.token() returns by then (another thread may already hold a newer one).
    val sent = client.token()
    var response = callApi(sent)
    if (response.statusCode() == 401) {
        // The token was revoked (e.g. the app was deleted): the 401 rule drops it if it is still
        // cached and gives the token to retry with, once; null means it would be the same one.
        val retry = client.tokenAfterUnauthorized(sent)
        if (retry != null) response = callApi(retry)
    }
    println("GET /api/v2/me -> HTTP ${response.statusCode()}: ${response.body().take(200)}")

    val stats = client.stats()
    println(
        "stats: requests sent=${stats.requestsSent} ok=${stats.requestsOk} cache hits=${stats.cacheHits} " +
            "budget left=${stats.budgetRemaining}/${stats.budgetCapacity} expires in=${stats.expiresIn?.seconds}s",
    )
    if (response.statusCode() != 200) exitProcess(1)
}
