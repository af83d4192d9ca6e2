//! Gives the shared library its installed name, so programs linked against the installed library
//! record the name bindings-c/scripts/install.sh installs its runtime link under:
//! `libofficernd_auth.so.0.<minor>` while the version is 0.x (a 0.x minor release may break the
//! ABI), `libofficernd_auth.so.<major>` from 1.0; on macOS the install name
//! `@rpath/libofficernd_auth.dylib`.
fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".into());
    let soversion = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    match target_os.as_str() {
        "linux" | "freebsd" | "android" | "netbsd" | "openbsd" => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libofficernd_auth.so.{soversion}");
        }
        "macos" | "ios" => {
            println!(
                "cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libofficernd_auth.dylib"
            );
        }
        _ => {}
    }
    println!("cargo:rerun-if-changed=build.rs");
}
