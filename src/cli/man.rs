//! `epc man [SUBCOMMAND]`: the manual page (roff), generated from the clap
//! definition with clap_mangen; the pages committed in `man/` are these.

use std::io::Write as _;

use anyhow::Result;
use clap::{Args, CommandFactory};

use super::{Cli, ExitStatus, Hinted};

/// Arguments of `epc man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The subcommand whose page to print (`epc-validate(1)`); none for `epc(1)`.
    #[arg(value_name = "SUBCOMMAND")]
    subcommand: Option<String>,
}

pub(crate) fn run(args: &ManArgs) -> Result<ExitStatus> {
    let mut page = Vec::new();
    let cli = Cli::command();
    match &args.subcommand {
        None => clap_mangen::Man::new(cli).render(&mut page)?,
        Some(name) => {
            let names: Vec<String> = cli.get_subcommands().map(|c| c.get_name().to_owned()).collect();
            let Some(sub) = cli.find_subcommand(name).cloned() else {
                return Err(Hinted::error(
                    format!("`{name}` is not a subcommand of epc"),
                    Some(format!("one of: {}", names.join(", "))),
                ));
            };
            // A one-shot command: the page's name lives until the process ends.
            let page_name: &'static str = Box::leak(format!("epc-{name}").into_boxed_str());
            let version: &'static str = Box::leak(cli.get_version().unwrap_or_default().to_owned().into_boxed_str());
            let sub = sub.name(page_name).version(version);
            clap_mangen::Man::new(sub).render(&mut page)?;
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(ExitStatus::Success)
}
