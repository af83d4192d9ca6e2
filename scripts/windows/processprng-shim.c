/* Test-only stand-in for Windows' bcryptprimitives.dll, for running Rust programs under Wine 8.
 *
 * Rust's std (1.78+) gets its random bytes from bcryptprimitives.dll's ProcessPrng, which Wine 8
 * does not have: every Windows exe built by Rust fails to start under it. This DLL, placed beside
 * the exe (scripts/windows/wine-run.sh does that), exports ProcessPrng and answers it with
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. Never shipped: real Windows has
 * the real DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
