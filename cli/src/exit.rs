//! Exit codes, one per error class, documented in `--help`. Never reuse a number.

use std::process::ExitCode;

use officernd_auth::Error;

pub fn code_for(e: &Error) -> ExitCode {
    ExitCode::from(match e.code() {
        "config" => 3,
        "oauth" => 4,
        "rate_limited" => 5,
        "http" => 6,
        "transport" => 7,
        "timeout" => 8,
        "invalid_response" => 9,
        _ => 1,
    })
}
