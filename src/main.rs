//! The `epc` binary: parse, run, report, exit (0 ok, 1 findings, 2 could not run).

mod cli;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let printer = output::Printer::new(cli.global.format, cli.global.color, cli.global.quiet);
    match cli::run(cli, &printer) {
        Ok(status) => status.into(),
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            cli::report_error(&printer, &err);
            cli::ExitStatus::Error.into()
        }
    }
}
