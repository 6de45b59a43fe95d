//! `epc id`: fresh standard identifiers.

use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};
use serde_json::json;

use super::ExitStatus;
use crate::output::{Format, Printer};
use epc::identifier::{self, IdentifierKind};

/// Arguments of `epc id`.
#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    /// Which identifier: session and pageview ids are 20 lower-case hex characters (80 bits), device ids lower-case UUID v4.
    #[arg(value_enum)]
    kind: Kind,
    /// How many to print.
    #[arg(short = 'n', long, default_value_t = 1, value_name = "N")]
    count: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// A session id (`mw.user.sessionId()` shape).
    Session,
    /// A pageview id (`mw.user.getPageviewToken()` shape).
    Pageview,
    /// A device id (`app_install_id`, lower-case UUID v4).
    Device,
}

pub(crate) fn run(args: &IdArgs, printer: &Printer) -> Result<ExitStatus> {
    let (kind, name) = match args.kind {
        Kind::Session => (IdentifierKind::Session, "session"),
        Kind::Pageview => (IdentifierKind::Pageview, "pageview"),
        Kind::Device => (IdentifierKind::Device, "device"),
    };
    let mut ids = Vec::with_capacity(args.count as usize);
    for _ in 0..args.count {
        ids.push(
            identifier::generate(kind).map_err(|e| anyhow!("the operating system's random generator failed: {e}"))?,
        );
    }
    if printer.format == Format::Table {
        for id in &ids {
            printer.line(id)?;
        }
    } else {
        let count = ids.len();
        let records = ids.into_iter().map(|id| json!({"type": "identifier", "kind": name, "identifier": id})).collect();
        printer
            .records("results", records, json!({"type": "summary", "kind": name, "identifiers": count}), |_| None)?;
    }
    Ok(ExitStatus::Success)
}
