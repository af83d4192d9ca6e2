//! `officernd-mock-identity`: the mock OfficeRnD identity server as a process, for test suites in
//! other languages and the demo. Prints one line once listening, runs until SIGINT/SIGTERM.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use officernd_auth_testkit::{MockFlags, MockServer};

/// Mock of the OfficeRnD identity server (POST /oauth/token) for tests and demos.
#[derive(Parser, Debug)]
#[command(name = "officernd-mock-identity", version)]
struct Args {
    #[command(flatten)]
    server: MockFlags,

    /// Once listening, write the base URL to this file (atomically: readers never see it half
    /// written), so scripts can wait for the file instead of parsing stdout.
    #[arg(long, value_name = "PATH")]
    url_file: Option<PathBuf>,

    /// Log each request to stderr (never secrets, at most a token prefix).
    #[arg(short, long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    StderrLogger::install(if args.verbose {
        log::LevelFilter::Info
    } else {
        log::LevelFilter::Warn
    });
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("officernd-mock-identity: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let config = args.server.config();
    let bind = config.bind;

    // Signal handlers go in before we announce ourselves, so a script that sends SIGTERM right
    // after reading the line is never met by the default (non-zero) disposition.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let shutdown = {
        let _context = runtime.enter();
        shutdown_signal().map_err(|e| format!("cannot install signal handlers: {e}"))?
    };

    let server = MockServer::start(config).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    if let Some(path) = &args.url_file {
        write_atomically(path, &server.url())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let mut stdout = std::io::stdout().lock();
    // A parent that closed our stdout still gets a server; nothing to do about the error.
    let _ = writeln!(
        stdout,
        "officernd-mock-identity listening on {}",
        server.url()
    );
    let _ = stdout.flush();
    drop(stdout);

    runtime.block_on(shutdown);
    server.shutdown();
    Ok(())
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere). The handlers are registered when this is
/// called, not when the future is first polled.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Write to a temporary file beside the target, then rename over it.
fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{contents}\n"))?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Enough of a logger for one-line request logs; not worth a dependency.
struct StderrLogger;

impl StderrLogger {
    fn install(level: log::LevelFilter) {
        static LOGGER: StderrLogger = StderrLogger;
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(level);
        }
    }
}

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("officernd")
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("[{}] {}", record.level(), record.args());
        }
    }

    fn flush(&self) {}
}
