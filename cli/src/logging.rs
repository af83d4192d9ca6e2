//! Warnings from the core and the CLI on stderr, one line each: a store outage, a corrupt cache
//! file, a failed refresh while the cached token is still served, a secret file others can read.
//! Nothing below warning level, so `$(officernd-auth token)` stays quiet, and nothing from other
//! crates (ureq's protocol layer dumps the bytes it sends and receives at TRACE). Neither the core
//! nor the CLI logs a secret or a whole token.

struct StderrWarnings;

impl log::Log for StderrWarnings {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn && is_ours(metadata.target())
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!("officernd-auth: warning: {}", record.args());
        }
    }

    fn flush(&self) {}
}

/// The core's records (`officernd_auth::…`; the CLI binary's own crate has the same name).
fn is_ours(target: &str) -> bool {
    target == "officernd_auth" || target.starts_with("officernd_auth::")
}

pub fn init() {
    static LOGGER: StderrWarnings = StderrWarnings;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}

#[cfg(test)]
mod tests {
    use log::{Level, Log, Metadata};

    use super::*;

    fn enabled(level: Level, target: &str) -> bool {
        StderrWarnings.enabled(&Metadata::builder().level(level).target(target).build())
    }

    #[test]
    fn only_the_cores_warnings_pass() {
        assert!(enabled(Level::Warn, "officernd_auth::source"));
        assert!(enabled(Level::Error, "officernd_auth"));
        assert!(!enabled(Level::Info, "officernd_auth::source"));
        for target in [
            "ureq_proto::util",
            "ureq::run",
            "rustls::client",
            "officernd_auth_x",
        ] {
            for level in [Level::Error, Level::Warn, Level::Debug, Level::Trace] {
                assert!(!enabled(level, target), "{level} {target}");
            }
        }
        init();
        assert_eq!(
            log::max_level(),
            log::LevelFilter::Warn,
            "TRACE call sites stay off"
        );
    }
}
