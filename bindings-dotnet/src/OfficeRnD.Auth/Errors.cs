using System;
using System.Runtime.InteropServices;

namespace OfficeRnD.Auth
{
    /// <summary>
    /// The result codes of libofficernd_auth (<c>officernd_result</c>), with the same numbers: 1 to 7
    /// are the core's error codes, the same in every language; 99 and up come from the C interface.
    /// </summary>
    public enum ErrorCode
    {
        /// <summary>Success (never the code of an exception).</summary>
        Ok = 0,
        /// <summary><c>config</c>: a missing or invalid setting (see <see cref="OfficeRnDAuthException.Setting"/>).</summary>
        Config = 1,
        /// <summary><c>oauth</c>: the token endpoint's RFC 6749 error.</summary>
        OAuth = 2,
        /// <summary><c>rate_limited</c>: no request may be sent now; see <see cref="OfficeRnDAuthException.RetryAfter"/>.</summary>
        RateLimited = 3,
        /// <summary><c>http</c>: an unexpected HTTP status (5xx, a redirect, which is never followed).</summary>
        Http = 4,
        /// <summary><c>transport</c>: DNS, connect, TLS or connection failure.</summary>
        Transport = 5,
        /// <summary><c>timeout</c>: the overall timeout elapsed.</summary>
        Timeout = 6,
        /// <summary><c>invalid_response</c>: a 200 answer that is not a usable token.</summary>
        InvalidResponse = 7,
        /// <summary><c>unknown</c>: an error kind this version of the library does not know.</summary>
        Unknown = 99,
        /// <summary>A required pointer was NULL (a bug in this binding).</summary>
        NullParameter = 100,
        /// <summary>A string was not valid UTF-8 (a bug in this binding).</summary>
        InvalidUtf8 = 101,
        /// <summary>A buffer was too small (handled inside this binding).</summary>
        BufferTooSmall = 102,
        /// <summary>The native library panicked (a bug).</summary>
        Panic = 103,
    }

    /// <summary>
    /// A failure of the token client. <see cref="Code"/> is the stable error code; the message is the
    /// library's one-line message, which never contains the client secret or a whole access token.
    /// </summary>
    [Serializable]
    public class OfficeRnDAuthException : Exception
    {
        /// <summary>The error code (the same numbers as the C library's result codes).</summary>
        public ErrorCode Code { get; private set; }
        /// <summary>The stable string code: <c>"config"</c>, <c>"oauth"</c>, <c>"rate_limited"</c>…</summary>
        public string CodeName { get; private set; }
        /// <summary>The HTTP status of the answer the failure comes from, null when there was none.</summary>
        public int? Status { get; private set; }
        /// <summary>The RFC 6749 <c>error</c> of an <see cref="ErrorCode.OAuth"/> failure (e.g. <c>invalid_client</c>).</summary>
        public string Error { get; private set; }
        /// <summary>The RFC 6749 <c>error_description</c>, when the server sent one.</summary>
        public string ErrorDescription { get; private set; }
        /// <summary>The RFC 6749 <c>error_uri</c>, when the server sent one.</summary>
        public string ErrorUri { get; private set; }
        /// <summary>The setting at fault of a <see cref="ErrorCode.Config"/> failure.</summary>
        public string Setting { get; private set; }
        /// <summary>How long to wait before a new token request can be sent, when known.</summary>
        public TimeSpan? RetryAfter { get; private set; }
        /// <summary>Whether trying again later can help.</summary>
        public bool IsRetryable { get; private set; }
        /// <summary>For <see cref="ErrorCode.RateLimited"/>: the code of the last real error (Ok when none).</summary>
        public ErrorCode LastErrorCode { get; private set; }

        /// <summary>An error with a code and message (for tests and adapters; the library fills the rest).</summary>
        public OfficeRnDAuthException(ErrorCode code, string message) : base(message)
        {
            Code = code;
            CodeName = ResultName((int)code);
        }

        internal static string ResultName(int code)
        {
            return Native.FromUtf8(Native.officernd_result_name(unchecked((uint)code)));
        }

        /// <summary>Copies the detail out of a native error object (its strings are borrowed).</summary>
        internal static OfficeRnDAuthException From(int rc, ErrorHandle err)
        {
            int code = Native.officernd_error_code(err);
            if (code == 0) code = rc;
            string message = Native.FromUtf8(Native.officernd_error_message(err));
            if (string.IsNullOrEmpty(message)) message = ResultName(code);
            var e = new OfficeRnDAuthException((ErrorCode)code, message);
            e.Error = Native.FromUtf8(Native.officernd_error_oauth_error(err));
            e.ErrorDescription = Native.FromUtf8(Native.officernd_error_description(err));
            e.ErrorUri = Native.FromUtf8(Native.officernd_error_uri(err));
            e.Setting = Native.FromUtf8(Native.officernd_error_setting(err));
            ushort status = Native.officernd_error_http_status(err);
            e.Status = status == 0 ? (int?)null : status;
            long ms = Native.officernd_error_retry_after_ms(err);
            e.RetryAfter = ms < 0 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(ms);
            e.IsRetryable = Native.officernd_error_is_retryable(err);
            e.LastErrorCode = (ErrorCode)Native.officernd_error_last_error_code(err);
            return e;
        }

        /// <summary>The code name and the library's message (plus the stack trace): never a secret.</summary>
        public override string ToString()
        {
            string s = GetType().FullName + " [" + CodeName + "]: " + Message;
            return StackTrace == null ? s : s + Environment.NewLine + StackTrace;
        }
    }
}
