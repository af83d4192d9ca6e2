//! Gives the shared library its installed SONAME, so programs linked against the installed
//! `libofficernd_auth.so` record `libofficernd_auth.so.<major>` (bumped on any ABI break).
fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    if target_os == "linux" || target_os == "freebsd" || target_os == "android" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libofficernd_auth.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
