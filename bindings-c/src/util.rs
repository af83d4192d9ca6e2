//! Argument conversion shared by every exported function.

use std::ffi::{CStr, c_char};
use std::time::Duration;

use crate::error::Failure;

/// A NUL-terminated UTF-8 string argument.
pub(crate) fn str_arg<'a>(p: *const c_char, name: &'static str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::Null(name));
    }
    // SAFETY: non-NULL and, per the documented contract, NUL-terminated.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|_| Failure::Utf8(name))
}

/// A reference argument that must not be NULL.
pub(crate) fn ref_arg<'a, T>(p: *const T, name: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: NULL or a live object of this library (documented contract).
    unsafe { p.as_ref() }.ok_or(Failure::Null(name))
}

/// A mutable reference argument that must not be NULL.
pub(crate) fn mut_arg<'a, T>(p: *mut T, name: &'static str) -> Result<&'a mut T, Failure> {
    // SAFETY: NULL or a live object of this library used by one thread (documented contract).
    unsafe { p.as_mut() }.ok_or(Failure::Null(name))
}

/// Checks an out-pointer before any work is done, so nothing is lost when it is NULL.
pub(crate) fn out_arg<T>(p: *mut T, name: &'static str) -> Result<*mut T, Failure> {
    if p.is_null() {
        Err(Failure::Null(name))
    } else {
        Ok(p)
    }
}

/// Writes an out-parameter (already checked by [`out_arg`]).
pub(crate) fn write_out<T>(p: *mut T, v: T) {
    // SAFETY: checked non-NULL by `out_arg`; the caller provides writable memory.
    unsafe { p.write(v) }
}

/// Milliseconds to a `Duration`.
pub(crate) fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Checks a caller buffer: `buf` must hold `len` bytes; `out_n` may be NULL.
pub(crate) struct OutBuf {
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
}

impl OutBuf {
    pub(crate) fn new(buf: *mut c_char, len: usize, out_n: *mut usize) -> Result<OutBuf, Failure> {
        if buf.is_null() {
            return Err(Failure::Null("buf"));
        }
        Ok(OutBuf { buf, len, out_n })
    }

    /// Copies `s` and a terminating NUL into the buffer and stores `s.len()` in `*out_n`; with
    /// nothing written when the buffer is too small.
    pub(crate) fn write(self, s: &str, what: &'static str) -> Result<(), Failure> {
        let needed = s.len() + 1;
        if self.len < needed {
            return Err(Failure::TooSmall { what, needed });
        }
        // SAFETY: `buf` holds `len >= needed` writable bytes (documented contract) and cannot
        // overlap `s`, which this library owns.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.cast::<u8>(), s.len());
            *self.buf.add(s.len()) = 0;
        }
        if !self.out_n.is_null() {
            write_out(self.out_n, s.len());
        }
        Ok(())
    }
}
