//! `include/officernd_auth.h` is generated from this crate by the pinned cbindgen and checked in.
//! This test regenerates it and fails on any difference (CI runs it through `make lint-c`);
//! `OFFICERND_UPDATE_HEADER=1 cargo test -p officernd-auth-c --test header` rewrites it.

use std::path::PathBuf;

fn generate() -> String {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    config.after_includes = Some(format!(
        r#"
/** The version of these declarations ("MAJOR.MINOR.PATCH"); officernd_version() gives the library's. */
#define OFFICERND_AUTH_VERSION "{v}"
/** Major version of these declarations. */
#define OFFICERND_AUTH_VERSION_MAJOR {major}
/** Minor version of these declarations. */
#define OFFICERND_AUTH_VERSION_MINOR {minor}
/** Patch version of these declarations. */
#define OFFICERND_AUTH_VERSION_PATCH {patch}
/** The version as one number, MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons. */
#define OFFICERND_AUTH_VERSION_NUMBER ({major} * 10000 + {minor} * 100 + {patch})"#,
        v = env!("CARGO_PKG_VERSION"),
        major = env!("CARGO_PKG_VERSION_MAJOR"),
        minor = env!("CARGO_PKG_VERSION_MINOR"),
        patch = env!("CARGO_PKG_VERSION_PATCH"),
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen failed");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/officernd_auth.h");
    let fresh = generate();
    if std::env::var_os("OFFICERND_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("write header");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "{} is out of date: run `make -C bindings-c header` and commit it",
        path.display()
    );
}
