package com.officernd.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generated Kotlin API as Java code sees it (README: "Java: the same classes"). */
class JavaInteropTest {
    @Test
    void javaCallsTheSameApi() throws OfficeRnDAuthException {
        assertNotNull(System.getenv("OFFICERND_TOKEN_URL"),
            "OFFICERND_TOKEN_URL not set: run the suite under scripts/with-mock.sh (make test-uniffi)");
        JavaUtilLogSink.install(LogLevel.WARN);
        TokenClient client = TokenClient.Companion.fromEnv();
        Token token = client.token();
        assertEquals("Bearer", token.tokenType());
        assertEquals("Bearer " + token.accessToken(), client.authorizationHeader());
        assertTrue(token.expiresIn().compareTo(Duration.ofMinutes(50)) > 0);

        TokenClientConfig config = new TokenClientConfig(
            System.getenv("OFFICERND_CLIENT_ID"), new ClientSecret("not-the-secret"),
            List.of(), System.getenv("OFFICERND_TOKEN_URL"),
            null, null, null, null, null, null, 0, null, false, null);
        OfficeRnDAuthException.OAuth e =
            assertThrows(OfficeRnDAuthException.OAuth.class, () -> new TokenClient(config).token());
        assertEquals(401, e.getStatus());
        assertEquals("invalid_client", e.getError());
        assertEquals("oauth", e.code());
        Officernd_auth_uniffiKt.clearLogSink();
    }
}
