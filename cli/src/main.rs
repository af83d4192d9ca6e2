//! `officernd-auth`: prints an OfficeRnD access token for shell scripts and curl.
//!
//! ```sh
//! curl -H "Authorization: Bearer $(officernd-auth token)" https://app.officernd.com/api/v2/...
//! ```

mod args;
mod exit;
mod logging;
mod output;
mod secret_file;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use officernd_auth::TokenClient;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable line on stderr; the message never holds the secret or a token.
            let _ = writeln!(
                std::io::stderr(),
                "officernd-auth: error[{}]: {e}",
                e.code()
            );
            exit::code_for(&e)
        }
    }
}

fn run(cli: &Cli) -> officernd_auth::Result<()> {
    let client: TokenClient = cli.client_builder()?.build()?;
    let token = client.token()?;
    let text = match &cli.command.clone().unwrap_or_default() {
        Command::Token(t) if t.header => output::header_line(&token),
        Command::Token(t) if t.json => output::json(&token),
        Command::Token(_) => token.access_token().to_owned(),
        Command::Check => output::check(&client, &token),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not worth a panic.
    let _ = writeln!(out, "{text}");
    Ok(())
}
