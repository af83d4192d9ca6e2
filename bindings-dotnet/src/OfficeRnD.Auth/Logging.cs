using System;
using System.Runtime.InteropServices;

namespace OfficeRnD.Auth
{
    /// <summary>A log level of the library (the numbers of <c>officernd_log_level</c>).</summary>
    public enum LogLevel
    {
        /// <summary>No records.</summary>
        Off = 0,
        /// <summary>A call failed.</summary>
        Error = 1,
        /// <summary>Something degraded (a shared store is down, a stale token is served).</summary>
        Warn = 2,
        /// <summary>A token obtained or dropped (redacted), a store back.</summary>
        Info = 3,
        /// <summary>Debugging detail of the library.</summary>
        Debug = 4,
        /// <summary>The most verbose level of the library.</summary>
        Trace = 5,
    }

    /// <summary>
    /// The library's log records (<c>officernd_set_log_callback</c>): none holds the client secret or
    /// a whole access token. The callback runs on whatever thread logs, possibly several at once, so it
    /// must be thread-safe; an exception it throws is swallowed (it may not cross into native code).
    /// </summary>
    public static class OfficeRnDAuthLog
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void NativeCallback(IntPtr userdata, uint level, IntPtr target, IntPtr message);

        [DllImport(Native.Lib, CallingConvention = CallingConvention.Cdecl)]
        private static extern int officernd_set_log_callback(NativeCallback cb, IntPtr userdata, uint maxLevel);

        // One native entry point for the process, kept alive for as long as the library may call it.
        private static readonly NativeCallback Entry = OnRecord;
        private static readonly object Gate = new object();
        private static volatile Action<LogLevel, string, string> _handler;

        /// <summary>
        /// Sends records up to <paramref name="maxLevel"/> to <paramref name="handler"/> (level, target,
        /// message); null turns logging off. When it returns, the previous handler is not called again.
        /// </summary>
        /// <exception cref="OfficeRnDAuthException"><see cref="ErrorCode.Config"/> when other Rust code in
        /// the process installed a logger first.</exception>
        public static void SetHandler(Action<LogLevel, string, string> handler, LogLevel maxLevel = LogLevel.Warn)
        {
            lock (Gate)
            {
                _handler = handler;
                int rc = handler == null
                    ? officernd_set_log_callback(null, IntPtr.Zero, 0)
                    : officernd_set_log_callback(Entry, IntPtr.Zero, (uint)maxLevel);
                if (rc != 0) throw new OfficeRnDAuthException((ErrorCode)rc, "officernd_set_log_callback failed: another logger is installed");
            }
        }

        private static void OnRecord(IntPtr userdata, uint level, IntPtr target, IntPtr message)
        {
            try
            {
                var handler = _handler;
                if (handler != null) handler((LogLevel)level, Native.FromUtf8(target), Native.FromUtf8(message));
            }
            catch
            {
                // never unwind into the native library
            }
        }
    }
}
