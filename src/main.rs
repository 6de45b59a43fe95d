//! The `epc` binary: parse, run, report, exit (0 ok, 1 findings, 2 could not run).

mod cli;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: an event is a tree of small allocations (maps, strings) made
/// and dropped once per event; glibc's malloc and free took a third of
/// `epc validate`'s time on one core, and mimalloc cuts the run by a sixth.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `COMPLETE=bash epc` prints the dynamic completion script; a shell
    // completing runs `COMPLETE=… epc -- …` (see `cli::completions`).
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command).complete();
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
