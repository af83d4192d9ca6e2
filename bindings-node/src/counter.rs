//! Core's change counter (`TokenClient::change_counter()`: bumped on every change of a shared
//! cache, by any client sharing it) as a JS `Uint32Array` over the counter's own memory, so the
//! JS fast path in `lib/main.js` sees an invalidation without a native call per read.
//!
//! The array is an external `ArrayBuffer` of the 8 bytes of the `AtomicU64`, kept alive by an
//! `Arc` its finalizer drops; JS reads the low 32-bit word (index 0 on little-endian machines,
//! 1 on big-endian ones). That is a plain, non-atomic read of an aligned word another thread
//! may bump atomically: single-copy atomic on x86-64 and arm64 (no torn value), a hint and not
//! a synchronisation — the token itself never crosses this way, and the freshness deadline
//! still bounds how long JS serves a token. A change of exactly 2^32 between two reads would
//! go unseen; the counter moves once per token or invalidation.
//!
//! One array per counter and JS thread: clients sharing a cache share it (V8 must not be given
//! two `ArrayBuffer`s over the same memory in one isolate). Runtimes that forbid external
//! buffers (Electron's sandbox) get `null` and the wrapper asks core on every call.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use napi::bindgen_prelude::*;
use napi::sys;

/// Past this many arrays on a thread, those already collected are forgotten.
const SWEEP_AT: usize = 64;

thread_local! {
    /// Weak references to the arrays made on this JS thread, by counter address.
    static VIEWS: RefCell<HashMap<usize, sys::napi_ref>> = RefCell::new(HashMap::new());
}

unsafe extern "C" fn release(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    drop(unsafe { Box::from_raw(hint.cast::<Arc<AtomicU64>>()) });
}

/// The live value behind a weak reference, if it was not collected.
fn deref(env: &Env, r: sys::napi_ref) -> Option<sys::napi_value> {
    let mut value = ptr::null_mut();
    let status = unsafe { sys::napi_get_reference_value(env.raw(), r, &mut value) };
    (status == sys::Status::napi_ok && !value.is_null()).then_some(value)
}

/// The `Uint32Array` over `counter`, or `None` where external buffers are not allowed.
pub(crate) fn view<'e>(env: &'e Env, counter: &Arc<AtomicU64>) -> Result<Option<Unknown<'e>>> {
    let key = Arc::as_ptr(counter) as usize;
    let known = VIEWS.with(|v| v.borrow().get(&key).copied());
    if let Some(r) = known {
        if let Some(value) = deref(env, r) {
            return Ok(Some(unsafe {
                Unknown::from_raw_unchecked(env.raw(), value)
            }));
        }
        unsafe { sys::napi_delete_reference(env.raw(), r) };
        VIEWS.with(|v| v.borrow_mut().remove(&key));
    }

    let hint = Box::into_raw(Box::new(Arc::clone(counter)));
    let mut buffer = ptr::null_mut();
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env.raw(),
            Arc::as_ptr(counter) as *mut c_void,
            std::mem::size_of::<AtomicU64>(),
            Some(release),
            hint.cast(),
            &mut buffer,
        )
    };
    if status != sys::Status::napi_ok {
        // Not made, so the finalizer will not run: release the Arc here.
        drop(unsafe { Box::from_raw(hint) });
        if status == sys::Status::napi_no_external_buffers_allowed {
            return Ok(None);
        }
        check_status!(status, "cannot map the change counter")?;
    }
    let mut array = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_typedarray(
            env.raw(),
            sys::TypedarrayType::uint32_array,
            2,
            buffer,
            0,
            &mut array,
        )
    })?;
    let mut weak = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_reference(env.raw(), array, 0, &mut weak) })?;
    VIEWS.with(|v| {
        let mut v = v.borrow_mut();
        if v.len() >= SWEEP_AT {
            v.retain(|_, r| {
                let live = deref(env, *r).is_some();
                if !live {
                    unsafe { sys::napi_delete_reference(env.raw(), *r) };
                }
                live
            });
        }
        v.insert(key, weak);
    });
    Ok(Some(unsafe {
        Unknown::from_raw_unchecked(env.raw(), array)
    }))
}
