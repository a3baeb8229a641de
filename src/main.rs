//! The covsim command line: argument parsing, files and terminal. All modelling is in the
//! library; this binary only moves bytes between it and the user.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
