//! Embedding the Event Platform Client: a Rust program that submits one event
//! through `epc`'s core library, as `epc send` does, without the CLI.
//!
//! It reads stream config and the schema repositories, plans the stream
//! (sampling and cc streams), decorates the event, checks each copy as the
//! intake will see it (`meta.dt`, `meta.id`, header enrichment and schema
//! defaults filled on a scratch copy), and, given an intake URL, posts the
//! copies and prints what the intake answered for each.
//!
//! ```sh
//! cargo run --example submit -- STREAM_CONFIG STREAM EVENT_JSON SCHEMA_REPO... [--intake-url URL]
//! # with a local intake (`epc serve`):
//! cargo run --example submit -- fixtures/streamconfigs-validate.json test.event \
//!     '{"$schema": "/test/event/1.0.0", "action": "click"}' fixtures/schemas/primary \
//!     --intake-url http://127.0.0.1:8192/v1/events
//! ```

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use epc::client::{Batcher, Client, ClientSettings, Curation};
use epc::event::{Identifiers, format_dt};
use epc::eventgate::{Intake, RequestHeaders};
use epc::intake::{EventGate, RetryPolicy};
use epc::sampling::Profile;
use epc::schema::repository::{SchemaRepository, SchemaResolver};
use epc::stream::StreamConfigs;
use epc::validate::{EventValidator, Outcome};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let intake_url = match args.iter().position(|a| a == "--intake-url") {
        Some(i) if i + 1 < args.len() => {
            let url = args.remove(i + 1);
            args.remove(i);
            Some(url)
        }
        _ => None,
    };
    let [config_path, stream, event, repos @ ..] = args.as_slice() else {
        return Err("usage: submit STREAM_CONFIG STREAM EVENT_JSON SCHEMA_REPO... [--intake-url URL]".into());
    };
    let configs = Arc::new(StreamConfigs::from_json_str(&std::fs::read_to_string(config_path)?, config_path)?);
    let repos = repos.iter().map(SchemaRepository::open).collect::<Result<Vec<_>, _>>()?;
    let resolver = Arc::new(SchemaResolver::new(repos, &[], false)?);
    let intake = Intake::new(EventValidator::new(resolver, Some((*configs).clone())));

    let settings = ClientSettings {
        profile: Profile::Canonical,
        ids: Identifiers::generate().map_err(|e| format!("no random identifiers: {e}"))?,
        domain: None,
        schema: None,
        id_fields: Vec::new(),
        ignore_sampling: false,
        ignore_curation: false,
        no_cc: false,
    };
    let client = Client::new(Some(configs), settings);
    let plan = client.plan(stream)?;
    for target in &plan.targets {
        println!("{}: in-sample {} ({:?})", target.stream, target.decision.in_sample, target.decision.reason);
    }
    let now = format_dt(SystemTime::now());
    let copies = client.submit(&plan, serde_json::from_str(event)?, now.clone(), Curation::Off)?;

    let mut headers = RequestHeaders::new();
    headers.insert("user-agent", epc::source::USER_AGENT);
    let mut batcher = Batcher::new(100, 4_000_000);
    let mut batches = Vec::new();
    for copy in copies {
        let report = Client::check(&intake, &copy, &headers, &now);
        if report.outcome != Outcome::Valid {
            let problems: Vec<String> =
                report.violations.iter().map(|v| format!("{}: {}", v.instance_path, v.message)).collect();
            println!("{}: {}, not sent: {}", copy.stream, report.outcome.as_str(), problems.join("; "));
            continue;
        }
        println!("{}: {}", copy.stream, copy.event);
        if let Some(batch) = batcher.push(copy.stream.clone(), copy.event) {
            batches.push(batch);
        }
    }
    batches.push(batcher.take());
    let Some(url) = intake_url else { return Ok(()) };
    let gate = EventGate::new(&url, Duration::from_secs(10), false)?;
    for batch in batches.into_iter().filter(|b| !b.is_empty()) {
        let (streams, events): (Vec<String>, Vec<serde_json::Value>) = batch.into_iter().unzip();
        let report = gate.submit(&events, &RetryPolicy::default());
        for (stream, outcome) in streams.iter().zip(report.outcomes) {
            println!("{stream}: {outcome:?}");
        }
    }
    Ok(())
}
