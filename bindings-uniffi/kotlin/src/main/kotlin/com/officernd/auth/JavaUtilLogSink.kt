package com.officernd.auth

import java.util.logging.Level
import java.util.logging.Logger

/**
 * Forwards the native library's log records (store outages, failed refreshes, tokens obtained)
 * to `java.util.logging`, and through it to whatever the application routes JUL to (a
 * `ConsoleHandler` by default; SLF4J's `jul-to-slf4j` bridge, Log4j's JUL adapter…).
 *
 * Each record goes to the JUL logger named after its Rust target with `::` as `.`
 * (`officernd_auth.store`, `officernd_auth.source.server`, …), so `officernd_auth` is the parent
 * of them all. Levels: ERROR→SEVERE, WARN→WARNING, INFO→INFO, DEBUG→FINE, TRACE→FINEST.
 * Messages never hold a secret or a whole token, and the library never forwards the debug or
 * trace records of its HTTP and TLS dependencies.
 *
 * ```kotlin
 * JavaUtilLogSink.install()   // once, at startup
 * ```
 */
class JavaUtilLogSink : LogSink {
    override fun log(
        level: LogLevel,
        target: String,
        message: String,
    ) {
        val logger = Logger.getLogger(loggerName(target))
        val julLevel = julLevel(level)
        // Source class = the Rust target: JUL would otherwise walk the stack to the JNA callback.
        if (logger.isLoggable(julLevel)) logger.logp(julLevel, target, null, message)
    }

    companion object {
        /** The JUL logger every record goes to or under. */
        const val ROOT_LOGGER: String = "officernd_auth"

        /**
         * Makes a [JavaUtilLogSink] the library's log sink, for records up to [maxLevel]:
         * by default the level JUL enables for [ROOT_LOGGER] now (INFO unless configured).
         * Records the native side does not send cost nothing there; call it again after
         * lowering the JUL level at runtime. Replaces any sink set before.
         */
        @JvmStatic
        @JvmOverloads
        @Throws(OfficeRnDAuthException::class)
        fun install(maxLevel: LogLevel = levelEnabledFor(Logger.getLogger(ROOT_LOGGER))) {
            setLogSink(JavaUtilLogSink(), maxLevel)
        }

        /** `officernd_auth::store` → `officernd_auth.store`. */
        @JvmStatic
        fun loggerName(target: String): String = target.replace("::", ".")

        @JvmStatic
        fun julLevel(level: LogLevel): Level =
            when (level) {
                LogLevel.ERROR -> Level.SEVERE
                LogLevel.WARN -> Level.WARNING
                LogLevel.INFO -> Level.INFO
                LogLevel.DEBUG -> Level.FINE
                LogLevel.TRACE -> Level.FINEST
            }

        /** The finest [LogLevel] whose records [logger] would publish (by its effective level). */
        @JvmStatic
        fun levelEnabledFor(logger: Logger): LogLevel {
            var l: Logger? = logger
            while (l != null && l.level == null) l = l.parent
            val threshold = (l?.level ?: Level.INFO).intValue()
            return LogLevel.entries.last { julLevel(it).intValue() >= threshold || it == LogLevel.ERROR }
        }
    }
}
