//! Exit codes, one per error code, documented in `--help`. Never reuse a number.

use std::process::ExitCode;

use officernd_auth::{Error, ErrorCode};

/// The exit code of `code` (exhaustive: a new core code does not compile until it has one).
pub fn number(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::Config => 3,
        ErrorCode::OAuth => 4,
        ErrorCode::RateLimited => 5,
        ErrorCode::Http => 6,
        ErrorCode::Transport => 7,
        ErrorCode::Timeout => 8,
        ErrorCode::InvalidResponse => 9,
    }
}

pub fn code_for(e: &Error) -> ExitCode {
    ExitCode::from(number(e.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code_with_its_number() {
        for code in ErrorCode::ALL {
            let line = format!("  {}  {}", number(code), code.as_str());
            assert!(
                crate::args::AFTER_HELP.contains(&line),
                "{line:?} missing from --help"
            );
        }
    }
}
