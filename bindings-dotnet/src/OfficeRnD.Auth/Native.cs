// P/Invoke declarations of libofficernd_auth (bindings-c/include/officernd_auth.h), and the
// conversions at the edge: UTF-8 strings in and out (by hand, netstandard2.0 has no
// LPUTF8Str), size_t as UIntPtr, handles as SafeHandles. Nothing else lives here.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace OfficeRnD.Auth
{
    internal static class Native
    {
        // DllImport("officernd_auth") finds libofficernd_auth.so / .dylib / officernd_auth.dll:
        // from runtimes/<rid>/native/ in the NuGet package, or the loader's search path.
        internal const string Lib = "officernd_auth";

        [StructLayout(LayoutKind.Sequential)]
        internal struct Stats
        {
            internal ulong RequestsOk;
            internal ulong RequestsOAuthError;
            internal ulong RequestsRateLimited;
            internal ulong RequestsHttpError;
            internal ulong RequestsTransportError;
            internal ulong RequestsTimeout;
            internal ulong RequestsInvalidResponse;
            internal ulong RequestsSent;
            internal ulong CacheHits;
            internal ulong StaleServed;
            internal ulong RefusedLocally;
            internal uint BudgetRemaining;
            internal uint BudgetCapacity;
            internal long ExpiresInMs;
            internal int LastError;
        }

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_client_new(ConfigHandle config, out ClientHandle client, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void officernd_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_client_token(ClientHandle client, out TokenHandle token, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_client_cached(ClientHandle client, out TokenHandle token, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_client_invalidate(ClientHandle client, TokenHandle token,
            [MarshalAs(UnmanagedType.U1)] out bool dropped, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_client_token_after_unauthorized(ClientHandle client, TokenHandle rejected,
            out TokenHandle next, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_client_stats(ClientHandle client, out Stats stats, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_config_new(out ConfigHandle config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void officernd_config_free(IntPtr config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_config_set(ConfigHandle config, byte[] name, byte[] value, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_config_set_binding(ConfigHandle config, byte[] binding, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_config_load_env(ConfigHandle config, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_result_name(uint result);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_error_new(out ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void officernd_error_free(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_error_code(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_error_message(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_error_oauth_error(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_error_description(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_error_uri(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_error_setting(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ushort officernd_error_http_status(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long officernd_error_retry_after_ms(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.U1)]
        internal static extern bool officernd_error_is_retryable(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_error_last_error_code(ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr officernd_stats_field_count();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr officernd_stats_field_name(UIntPtr index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long officernd_stats_field_value(ref Stats stats, UIntPtr index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void officernd_token_free(IntPtr token);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr officernd_token_access_token_len(TokenHandle token);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_token_access_token(TokenHandle token, byte[] buf, UIntPtr len,
            out UIntPtr written, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_token_authorization_header(TokenHandle token, byte[] buf, UIntPtr len,
            out UIntPtr written, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_token_scopes(TokenHandle token, byte[] buf, UIntPtr len,
            out UIntPtr written, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int officernd_token_redacted(TokenHandle token, byte[] buf, UIntPtr len,
            out UIntPtr written, ErrorHandle err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long officernd_token_expires_at(TokenHandle token);

        // ---- conversions ----------------------------------------------------------------------

        /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/> (wipe it when it held a secret).</summary>
        internal static byte[] Utf8(string s, string what)
        {
            if (s == null) throw new ArgumentNullException(what);
            if (s.IndexOf('\0') >= 0) throw new ArgumentException(what + " must not contain a NUL character", what);
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Copies a borrowed NUL-terminated UTF-8 string (NULL gives null).</summary>
        internal static string FromUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }

        internal delegate int CopyOut(TokenHandle token, byte[] buf, UIntPtr len, out UIntPtr written, ErrorHandle err);

        /// <summary>Reads a string a token accessor copies into a caller buffer.</summary>
        internal static string ReadTokenString(TokenHandle token, CopyOut copy, int size)
        {
            using (var err = ErrorHandle.Create())
            {
                while (true)
                {
                    var buf = new byte[size];
                    UIntPtr written;
                    int rc = copy(token, buf, new UIntPtr((uint)buf.Length), out written, err);
                    if (rc == (int)ErrorCode.BufferTooSmall) { size *= 2; continue; }
                    if (rc != 0) throw OfficeRnDAuthException.From(rc, err);
                    try { return Encoding.UTF8.GetString(buf, 0, checked((int)written.ToUInt64())); }
                    finally { Array.Clear(buf, 0, buf.Length); }
                }
            }
        }
    }

    /// <summary>An <c>officernd_client</c>, freed once by <c>officernd_client_free</c>.</summary>
    internal sealed class ClientHandle : SafeHandle
    {
        private ClientHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.officernd_client_free(handle); return true; }
    }

    /// <summary>An <c>officernd_config</c>, freed once by <c>officernd_config_free</c> (which wipes the secret).</summary>
    internal sealed class ConfigHandle : SafeHandle
    {
        private ConfigHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.officernd_config_free(handle); return true; }
    }

    /// <summary>An <c>officernd_token</c>, freed once by <c>officernd_token_free</c>.</summary>
    internal sealed class TokenHandle : SafeHandle
    {
        private TokenHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.officernd_token_free(handle); return true; }
    }

    /// <summary>A caller-owned <c>officernd_error</c>: one per call, so it is never shared between threads.</summary>
    internal sealed class ErrorHandle : SafeHandle
    {
        private ErrorHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.officernd_error_free(handle); return true; }

        internal static ErrorHandle Create()
        {
            ErrorHandle err;
            int rc = Native.officernd_error_new(out err);
            if (rc != 0 || err == null || err.IsInvalid)
            {
                if (err != null) err.Dispose();
                throw new OutOfMemoryException("officernd_error_new failed");
            }
            return err;
        }
    }
}
