//! Warnings from the core and the CLI on stderr, one line each: a store outage, a corrupt cache
//! file, a failed refresh while the cached token is still served, a secret file others can read.
//! Nothing below warning level, so `$(officernd-auth token)` stays quiet. Neither logs a secret
//! or a whole token.

struct StderrWarnings;

impl log::Log for StderrWarnings {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!("officernd-auth: warning: {}", record.args());
        }
    }

    fn flush(&self) {}
}

pub fn init() {
    static LOGGER: StderrWarnings = StderrWarnings;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}
