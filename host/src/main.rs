//! Entry point of `souk-host`: parse the command line and run it; any start-up failure is one
//! clear line on stderr and a non-zero exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    match souk_host::cli::main(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("souk-host: {err:#}");
            ExitCode::FAILURE
        }
    }
}
