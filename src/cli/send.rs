//! `epc send`: decorate events as a client would, decide sampling and cc
//! copies, validate, and deliver them to the intake without losing any.
//!
//! `--dry-run` prints the decorated events (NDJSON, one per stream copy) on
//! stdout, the decisions on stderr, and makes no network request at all.
//! Otherwise stdout gets one record per stream copy,
//! `{"type":"delivery","source","stream","status","message"}` (`status`:
//! `accepted`, `accepted_without_validation`, `invalid`, `rejected`, `error`,
//! `unsent`, `not_decorated`, `curation_failed`; a table shows only those not
//! accepted), then a summary. Every event not accepted is written as NDJSON to
//! the failed-events file, whose path is printed.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result, anyhow};
use clap::Args;
use comfy_table::Cell;
use serde_json::{Map, Value, json};

use super::{ExitStatus, Hinted, StreamConfigArgs, env};
use crate::output::{Format, Printer, RecordSink, table};
use epc::constraint::Constraints;
use epc::event::{self, Decoration, Identifiers};
use epc::identifier::Identifier;
use epc::input::{EventReader, Position, Raw, parse_line};
use epc::intake::{Delivered, EventGate, RetryPolicy, intake_for_service};
use epc::sampling::{Profile, Reason, Sampler, SamplingConfig};
use epc::schema::SchemaUri;
use epc::schema::repository::{SchemaRepository, SchemaResolver};
use epc::stream::{StreamConfig, StreamConfigs};
use epc::validate::{EventValidator, Outcome};

/// Arguments of `epc send`.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct SendArgs {
    /// Event files (JSON, JSON array, NDJSON or YAML); `-` or none for stdin.
    #[arg(value_name = "INPUT", conflicts_with_all = ["data", "action"])]
    inputs: Vec<String>,
    /// The stream to send to (its cc streams get copies too).
    #[arg(long, value_name = "STREAM")]
    stream: String,
    /// The events' `$schema` URI (an event's own `$schema` must agree).
    #[arg(long, value_name = "URI")]
    schema: Option<String>,
    /// One event as JSON on the command line.
    #[arg(long, value_name = "JSON", conflicts_with = "action")]
    data: Option<String>,
    /// Build a Metrics Platform interaction with this action, as MP-JS `submitInteraction` does.
    #[arg(long, value_name = "ACTION")]
    action: Option<String>,
    /// Interaction data for --action (a JSON object of top-level fields).
    #[arg(long, value_name = "JSON", requires = "action")]
    interaction_data: Option<String>,
    /// Context values for --action: a JSON file shaped like the consistency suite's integration_data.json.
    #[arg(long, value_name = "FILE")]
    context: Option<PathBuf>,
    /// Send events that fail the stream's curation rules anyway.
    #[arg(long)]
    ignore_curation: bool,
    /// `meta.domain` for every event.
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<String>,
    /// Session id (default: from --context, else a fresh one, printed on stderr).
    #[arg(long, value_name = "ID")]
    session_id: Option<String>,
    /// Pageview id (default: from --context, else a fresh one).
    #[arg(long, value_name = "ID")]
    pageview_id: Option<String>,
    /// Device id, `app_install_id` (default: from --context, else a fresh one).
    #[arg(long, value_name = "ID")]
    device_id: Option<String>,
    /// Send copies to streams the identifiers are out-of-sample for.
    #[arg(long)]
    ignore_sampling: bool,
    /// Send to the stream only, not to its cc streams.
    #[arg(long)]
    no_cc: bool,
    /// Schema repository folders for validation before sending (repeatable).
    #[arg(long = "schema-repo", value_name = "DIR", env = env::EPC_SCHEMA_REPOS, value_delimiter = ':')]
    schema_repos: Vec<PathBuf>,
    /// Further schema base URIs (repeatable).
    #[arg(long = "schema-base-uri", value_name = "URI")]
    schema_base_uris: Vec<String>,
    /// Send without validating first.
    #[arg(long)]
    no_validate: bool,
    /// Print the decorated events and make no network request.
    #[arg(long)]
    dry_run: bool,
    /// The intake (`…/v1/events`); default: from the stream's destination_event_service.
    #[arg(long, value_name = "URL", env = env::EPC_INTAKE_URL)]
    intake_url: Option<String>,
    /// Ask for `?hasty=true`: a 202 at once, without validation feedback.
    #[arg(long)]
    hasty: bool,
    /// Most events per POST.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch_size: u32,
    /// Most bytes per POST body (EventGate's example config allows 4 MB).
    #[arg(long, value_name = "BYTES", default_value_t = 4_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    batch_bytes: u64,
    /// Retries of a batch nothing of which was accepted (500, other 5xx, network errors).
    #[arg(long, value_name = "N", default_value_t = 3)]
    retries: u32,
    /// The first retry delay in seconds; it doubles each retry, with jitter.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.5, value_parser = parse_seconds)]
    retry_delay: f64,
    /// Where events that were not accepted are written (NDJSON); default: ./epc-failed-<time>.ndjson.
    #[arg(long, value_name = "FILE")]
    failed_out: Option<PathBuf>,
    /// Send without stream config: no sampling, no cc streams, no stream checks.
    #[arg(long, conflicts_with_all = ["ignore_sampling", "no_cc"])]
    no_stream_config: bool,
    #[command(flatten)]
    source: StreamConfigArgs,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(t) if t.is_finite() && (0.0..=3600.0).contains(&t) => Ok(t),
        _ => Err(format!("`{text}` is not a number of seconds from 0 to 3600")),
    }
}

/// A stream an event goes to, with its sampling decision.
struct Target {
    stream: String,
    in_sample: bool,
}

/// One decorated stream copy waiting in a batch.
struct Pending {
    source: String,
    stream: String,
    event: Value,
}

#[derive(Default)]
struct Tally {
    copies: u64,
    accepted: u64,
    hasty: u64,
    invalid: u64,
    rejected: u64,
    errors: u64,
    unsent: u64,
    not_decorated: u64,
    curation: u64,
    failed_written: u64,
}

/// Where results and failed events go.
struct Sinks<'p> {
    printer: &'p Printer,
    records: Option<RecordSink<'p>>,
    failed_path: PathBuf,
    failed: Option<BufWriter<File>>,
    tally: Tally,
    dry_run: bool,
}

impl Sinks<'_> {
    fn record(&mut self, source: &str, stream: &str, status: &str, message: &str) -> Result<()> {
        let printer = self.printer;
        if let Some(sink) = &mut self.records {
            let show_in_table = !status.starts_with("accepted");
            let r =
                json!({"type": "delivery", "source": source, "stream": stream, "status": status, "message": message});
            if printer.format == Format::Table && !show_in_table {
                return Ok(());
            }
            sink.push(r, |_| {
                vec![
                    Cell::new(source),
                    Cell::new(stream),
                    table::alert(printer, status.to_uppercase().replace('_', " ")),
                    Cell::new(message),
                ]
            })?;
        }
        Ok(())
    }

    fn fail(&mut self, event: &Value) -> Result<()> {
        if self.dry_run {
            // A dry run writes nothing but stdout: the failures are on stderr.
            return Ok(());
        }
        if self.failed.is_none() {
            // Append: a second run with the same file must not erase the first one's events.
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.failed_path)
                .with_context(|| format!("cannot create the failed-events file {}", self.failed_path.display()))?;
            self.failed = Some(BufWriter::new(file));
        }
        if let Some(w) = &mut self.failed {
            serde_json::to_writer(&mut *w, event)?;
            w.write_all(b"\n")?;
        }
        self.tally.failed_written += 1;
        Ok(())
    }
}

pub(crate) fn run(args: &SendArgs, printer: &Printer) -> Result<ExitStatus> {
    if printer.format == Format::Junit {
        return Err(Hinted::error("--format junit is only for `epc validate`", None));
    }
    let configs = load_configs(args, printer)?;
    let resolved = configs.as_ref().and_then(|c| c.resolve(&args.stream));
    let main_config: Option<&StreamConfig> = resolved.map(|r| r.config);
    let cc: Vec<String> = match &configs {
        Some(c) if !args.no_cc => c.cc_streams(&args.stream).into_iter().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    if let Some(c) = &configs
        && resolved.is_none()
    {
        if cc.is_empty() {
            let hint = c.suggest(&args.stream).map(|s| format!("did you mean `{s}`?"));
            return Err(Hinted::error(
                format!("stream `{}` is not configured in {}", args.stream, args.source.stream_config),
                hint.or_else(|| Some("pass --no-stream-config to send without stream config".into())),
            ));
        }
        printer.warning(format!("stream `{}` is not configured: only its cc streams get events", args.stream));
    }
    let context = load_context(args)?;
    let ids = identifiers(args, &context, printer)?;
    let context = fill_context(context, &ids);
    let targets = decide(args, configs.as_ref(), main_config, &cc, &ids, printer)?;
    let sending: Vec<&Target> = targets.iter().filter(|t| t.in_sample || args.ignore_sampling).collect();

    let resolver = build_resolver(args, printer)?;
    let validator = match (&resolver, args.no_validate) {
        (_, true) => None,
        (Some(r), false) => Some(EventValidator::new(Arc::clone(r), configs.clone())),
        (None, false) => {
            return Err(Hinted::error(
                "no schema repository to validate against before sending",
                Some("pass --schema-repo DIR, or --no-validate to send unvalidated".into()),
            ));
        }
    };
    let id_fields = match (&resolver, &args.schema) {
        (Some(r), Some(uri)) => SchemaUri::parse(uri)
            .ok()
            .and_then(|u| r.resolve(&u).ok())
            .map(|doc| event::declared_id_fields(&doc.value))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let domain = args.domain.clone().or_else(|| {
        args.action.as_ref().and_then(|_| context.get("hostname").and_then(Value::as_str).map(str::to_owned))
    });
    let mut decoration = Decoration {
        stream: args.stream.clone(),
        schema_uri: args.schema.clone(),
        domain,
        now: event::format_dt(SystemTime::now()),
        ids: ids.clone(),
        id_fields,
    };
    let gate = if args.dry_run { None } else { Some(intake(args, configs.as_ref(), main_config, &cc)?) };
    let failed_path = args.failed_out.clone().unwrap_or_else(|| {
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace([':', '-'], "");
        PathBuf::from(format!("epc-failed-{stamp}.ndjson"))
    });
    let mut sinks = Sinks {
        printer,
        records: if args.dry_run {
            None
        } else {
            Some(printer.sink("results", &["source", "stream", "status", "message"])?)
        },
        failed_path,
        failed: None,
        tally: Tally::default(),
        dry_run: args.dry_run,
    };
    let retry = RetryPolicy {
        retries: args.retries,
        base_delay: Duration::from_secs_f64(args.retry_delay),
        max_total: Duration::from_secs(60).max(Duration::from_secs_f64(args.retry_delay * 4.0)),
    };
    let mut batch: Vec<Pending> = Vec::new();
    let mut batch_bytes = 0u64;
    let mut each = |position: String, event: Value, sinks: &mut Sinks<'_>| -> Result<()> {
        // Each event gets the time it is decorated, as a client stamps `dt` at submit time.
        decoration.now = event::format_dt(SystemTime::now());
        let decorated = match event::decorate(event.clone(), &decoration) {
            Ok(d) => d,
            Err(e) => {
                sinks.tally.not_decorated += 1;
                printer.error(format!("{position}: {e}"));
                sinks.record(&position, &args.stream, "not_decorated", &e.to_string())?;
                return sinks.fail(&event);
            }
        };
        if args.action.is_some()
            && let Some(rules) = main_config.and_then(StreamConfig::curation)
        {
            let failures = event::curation_failures(rules, &decorated);
            if !failures.is_empty() && !args.ignore_curation {
                sinks.tally.curation += 1;
                let message = format!("fails the stream's curation rules: {}", failures.join("; "));
                printer.warning(format!("{position}: {message} (--ignore-curation sends it anyway)"));
                sinks.record(&position, &args.stream, "curation_failed", &message)?;
                return sinks.fail(&Value::Object(decorated));
            }
        }
        for target in &sending {
            let copy = Value::Object(event::copy_for_stream(&decorated, &target.stream));
            sinks.tally.copies += 1;
            if let Some(v) = &validator {
                let report = v.validate(&copy);
                if report.outcome != Outcome::Valid {
                    sinks.tally.invalid += 1;
                    let message = report
                        .violations
                        .iter()
                        .map(|v| {
                            format!(
                                "{}: {}",
                                if v.instance_path.is_empty() { "/" } else { &v.instance_path },
                                v.message
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    printer.error(format!(
                        "{position} → {}: {} event, not sent: {message}",
                        target.stream,
                        report.outcome.as_str()
                    ));
                    sinks.record(&position, &target.stream, "invalid", &message)?;
                    sinks.fail(&copy)?;
                    continue;
                }
            }
            if args.dry_run {
                printer.json_line(&copy)?;
                continue;
            }
            let size = serde_json::to_vec(&copy).map_or(0, |b| b.len() as u64 + 1);
            if !batch.is_empty() && (batch.len() >= args.batch_size as usize || batch_bytes + size > args.batch_bytes) {
                flush(gate.as_ref(), &retry, &mut batch, sinks)?;
                batch_bytes = 0;
            }
            batch_bytes += size;
            batch.push(Pending { source: position.clone(), stream: target.stream.clone(), event: copy });
        }
        Ok(())
    };
    for (position, event) in events(args, main_config, &context)? {
        each(position, event, &mut sinks)?;
    }
    // Inputs streamed from files go through the same path, one event at a time.
    if args.action.is_none() && args.data.is_none() {
        let inputs: Vec<String> = if args.inputs.is_empty() { vec!["-".to_owned()] } else { args.inputs.clone() };
        for input in &inputs {
            let reader = EventReader::open(input)?;
            for item in reader {
                let (position, raw) = item?;
                match parse_raw(raw, &position) {
                    Ok(event) => each(position.to_string(), event, &mut sinks)?,
                    Err(message) => {
                        sinks.tally.not_decorated += 1;
                        printer.error(format!("{position}: {message}"));
                        sinks.record(&position.to_string(), &args.stream, "not_decorated", &message)?;
                    }
                }
            }
        }
    }
    if !batch.is_empty() {
        flush(gate.as_ref(), &retry, &mut batch, &mut sinks)?;
    }
    finish(args, sinks)
}

fn parse_raw(raw: Raw, position: &Position) -> Result<Value, String> {
    match raw {
        Raw::Parsed(v) => Ok(v),
        Raw::Text(t) => parse_line(&t, position),
        Raw::Malformed(m) => Err(m),
    }
}

/// The single event of --data or --action (inputs are streamed by the caller).
fn events(args: &SendArgs, config: Option<&StreamConfig>, context: &Value) -> Result<Vec<(String, Value)>> {
    if let Some(data) = &args.data {
        return match epc::schema::yaml::parse_json_str(data, "--data") {
            Ok(v) => Ok(vec![("--data".to_owned(), v)]),
            Err(e) => Err(Hinted::error(e.to_string(), None)),
        };
    }
    let Some(action) = &args.action else { return Ok(Vec::new()) };
    let Some(schema) = &args.schema else {
        return Err(Hinted::error(
            "--action needs --schema (for example /analytics/product_metrics/web/base/1.5.0)",
            None,
        ));
    };
    let data = match &args.interaction_data {
        None => Map::new(),
        Some(text) => match epc::schema::yaml::parse_json_str(text, "--interaction-data") {
            Ok(Value::Object(m)) => m,
            Ok(other) => {
                return Err(Hinted::error(
                    format!("--interaction-data must be a JSON object, found {}", epc::stream::json_type(&other)),
                    None,
                ));
            }
            Err(e) => return Err(Hinted::error(e.to_string(), None)),
        },
    };
    Ok(vec![("--action".to_owned(), Value::Object(event::interaction_event(action, &data, schema, config, context)))])
}

fn load_configs(args: &SendArgs, printer: &Printer) -> Result<Option<StreamConfigs>> {
    if args.no_stream_config {
        printer.note("note: no stream config: no sampling, no cc streams, no stream checks");
        return Ok(None);
    }
    let mut source = args.source.clone();
    if args.dry_run && (source.stream_config.starts_with("http://") || source.stream_config.starts_with("https://")) {
        // A dry run makes no network request: only the cache can serve a URL.
        source.offline = true;
    }
    match source.load(printer, &[], &Constraints::default()) {
        Ok(l) => Ok(Some(l.configs)),
        Err(e) if args.dry_run && source.offline && !args.source.offline => Err(Hinted::error(
            format!("{e:#}"),
            Some("--dry-run makes no network request: pass --stream-config FILE or --no-stream-config".into()),
        )),
        Err(e) => Err(e),
    }
}

fn load_context(args: &SendArgs) -> Result<Value> {
    let Some(path) = &args.context else { return Ok(json!({})) };
    let value = epc::schema::yaml::load_file(path).map_err(|e| anyhow!("{e}"))?;
    if !value.is_object() {
        return Err(Hinted::error(format!("{}: the context must be a JSON object", path.display()), None));
    }
    Ok(value)
}

/// Identifiers: flag, else context, else fresh (said on stderr).
fn identifiers(args: &SendArgs, context: &Value, printer: &Printer) -> Result<Identifiers> {
    let fresh = Identifiers::generate().map_err(|e| anyhow!("the operating system's random generator failed: {e}"))?;
    let pick = |flag: &Option<String>, pointer: &str, fresh: String, name: &str| -> Result<String> {
        if let Some(id) = flag {
            Identifier::parse(id)?;
            return Ok(id.clone());
        }
        if let Some(id) = context.pointer(pointer).and_then(Value::as_str) {
            return Ok(id.to_owned());
        }
        printer.note(format!("using a fresh {name} id {fresh} (pass --{name}-id to choose one)"));
        Ok(fresh)
    };
    Ok(Identifiers {
        session: pick(&args.session_id, "/performer/session_id", fresh.session, "session")?,
        pageview: pick(&args.pageview_id, "/performer/pageview_id", fresh.pageview, "pageview")?,
        device: pick(&args.device_id, "/agent/app_install_id", fresh.device, "device")?,
    })
}

/// The context with the run's identifiers where it has none.
fn fill_context(mut context: Value, ids: &Identifiers) -> Value {
    for (group, field, value) in [
        ("performer", "session_id", &ids.session),
        ("performer", "pageview_id", &ids.pageview),
        ("agent", "app_install_id", &ids.device),
    ] {
        if let Value::Object(root) = &mut context {
            let g = root.entry(group).or_insert_with(|| json!({}));
            if let Value::Object(g) = g {
                g.entry(field).or_insert_with(|| Value::String(value.clone()));
            }
        }
    }
    context
}

/// Sampling decisions for the stream and its cc streams, said on stderr.
fn decide(
    args: &SendArgs,
    configs: Option<&StreamConfigs>,
    main: Option<&StreamConfig>,
    cc: &[String],
    ids: &Identifiers,
    printer: &Printer,
) -> Result<Vec<Target>> {
    let Some(configs) = configs else {
        return Ok(vec![Target { stream: args.stream.clone(), in_sample: true }]);
    };
    let mut targets = Vec::new();
    let mut entries: Vec<(String, Option<&StreamConfig>)> = vec![(args.stream.clone(), main)];
    entries.extend(cc.iter().map(|s| (s.clone(), configs.get_exact(s))));
    for (stream, config) in entries {
        let sampler = Sampler::for_stream(Profile::Canonical, config);
        let id_text = match config.map(StreamConfig::sample) {
            Some(Ok(Some(SamplingConfig { unit, .. }))) => ids.for_unit(unit).to_owned(),
            _ => ids.session.clone(),
        };
        let id = Identifier::parse(&id_text)
            .map_err(|e| Hinted::error(format!("cannot sample stream `{stream}`: {e}"), None))?;
        let d = sampler.decide(&id);
        let how = match (&d.reason, sampler.unit()) {
            (Reason::Compared, Some(unit)) => {
                format!("{unit} {id_text}: {}", d.reason.describe(d.in_sample, d.value, sampler.rate()))
            }
            _ => d.reason.describe(d.in_sample, d.value, sampler.rate()),
        };
        let verdict = match (d.in_sample, args.ignore_sampling) {
            (true, _) => "in-sample",
            (false, true) => "out-of-sample, sent anyway (--ignore-sampling)",
            (false, false) => "out-of-sample, not sent",
        };
        printer.note(format!("stream {stream}: {verdict} ({how})"));
        targets.push(Target { stream, in_sample: d.in_sample });
    }
    Ok(targets)
}

fn build_resolver(args: &SendArgs, printer: &Printer) -> Result<Option<Arc<SchemaResolver>>> {
    if args.schema_repos.is_empty() && args.schema_base_uris.is_empty() {
        return Ok(None);
    }
    let repos = args.schema_repos.iter().map(SchemaRepository::open).collect::<Result<Vec<_>, _>>()?;
    let resolver = SchemaResolver::new(repos, &args.schema_base_uris, false)?;
    for note in resolver.notes() {
        printer.warning(note);
    }
    Ok(Some(Arc::new(resolver)))
}

fn intake(
    args: &SendArgs,
    configs: Option<&StreamConfigs>,
    main: Option<&StreamConfig>,
    cc: &[String],
) -> Result<EventGate> {
    let url = match &args.intake_url {
        Some(u) => u.clone(),
        None => {
            let service = main
                .or_else(|| cc.first().and_then(|s| configs.and_then(|c| c.get_exact(s))))
                .and_then(StreamConfig::destination_event_service);
            match service.map(|s| (s, intake_for_service(s))) {
                Some((_, Some(url))) => url.to_owned(),
                Some((s, None)) => {
                    return Err(Hinted::error(
                        format!("stream `{}` goes to `{s}`, an internal intake", args.stream),
                        Some("pass --intake-url URL (for example a local `epc serve`)".into()),
                    ));
                }
                None => {
                    return Err(Hinted::error(
                        format!("no intake for stream `{}`: it has no destination_event_service", args.stream),
                        Some("pass --intake-url URL".into()),
                    ));
                }
            }
        }
    };
    Ok(EventGate::new(&url, Duration::from_secs_f64(args.source.timeout), args.hasty)?)
}

/// Sends the batch and records every event's outcome.
fn flush(gate: Option<&EventGate>, retry: &RetryPolicy, batch: &mut Vec<Pending>, sinks: &mut Sinks<'_>) -> Result<()> {
    let Some(gate) = gate else {
        batch.clear();
        return Ok(());
    };
    let events: Vec<Value> = batch.iter().map(|p| p.event.clone()).collect();
    let report = gate.submit(&events, retry);
    if report.attempts > 1 {
        sinks.printer.note(format!("a batch of {} took {} attempts", events.len(), report.attempts));
    }
    for (pending, outcome) in batch.drain(..).zip(report.outcomes) {
        let (status, message) = match &outcome {
            Delivered::Accepted => {
                sinks.tally.accepted += 1;
                ("accepted", String::new())
            }
            Delivered::AcceptedHasty => {
                sinks.tally.hasty += 1;
                ("accepted_without_validation", "hasty: the intake answered 202 before validating".to_owned())
            }
            Delivered::Invalid(m) => {
                sinks.tally.rejected += 1;
                ("rejected", m.clone())
            }
            Delivered::Error(m) => {
                sinks.tally.errors += 1;
                ("error", m.clone())
            }
            Delivered::Unsent(m) => {
                sinks.tally.unsent += 1;
                ("unsent", m.clone())
            }
        };
        if !outcome.is_accepted() {
            sinks.printer.error(format!("{} → {}: {status}: {message}", pending.source, pending.stream));
            sinks.fail(&pending.event)?;
        }
        sinks.record(&pending.source, &pending.stream, status, &message)?;
    }
    for stranger in &report.unattributed {
        sinks
            .printer
            .warning("the intake reported a failed event that matches none sent; it is kept in the failed-events file");
        sinks.tally.errors += 1;
        sinks.fail(stranger)?;
    }
    Ok(())
}

fn finish(args: &SendArgs, mut sinks: Sinks<'_>) -> Result<ExitStatus> {
    let t = std::mem::take(&mut sinks.tally);
    if let Some(w) = &mut sinks.failed {
        w.flush().with_context(|| format!("cannot write {}", sinks.failed_path.display()))?;
    }
    let summary = json!({
        "type": "summary", "copies": t.copies, "accepted": t.accepted, "accepted_without_validation": t.hasty,
        "invalid": t.invalid, "rejected": t.rejected, "errors": t.errors, "unsent": t.unsent,
        "not_decorated": t.not_decorated, "curation_failed": t.curation,
        "failed_events_file": (t.failed_written > 0).then(|| sinks.failed_path.display().to_string()),
    });
    if let Some(sink) = sinks.records.take() {
        sink.finish(summary)?;
    }
    let printer = sinks.printer;
    if args.dry_run {
        printer.note(format!("dry run: {} decorated event copies printed, nothing sent", t.copies - t.invalid));
    } else {
        printer.note(format!(
            "{} accepted{}, {} rejected, {} invalid (not sent), {} failed on the intake, {} unsent",
            t.accepted + t.hasty,
            if t.hasty > 0 { format!(" ({} without validation: hasty)", t.hasty) } else { String::new() },
            t.rejected,
            t.invalid,
            t.errors,
            t.unsent
        ));
    }
    if t.hasty > 0 {
        // Always shown: a 202 says nothing about validity.
        printer.warning(format!(
            "{} events were accepted without validation (hasty): the intake did not check them",
            t.hasty
        ));
    }
    if t.failed_written > 0 {
        // Always shown, even with --quiet: this is where the data is.
        printer.warning(format!(
            "{} events not accepted were written to {}",
            t.failed_written,
            sinks.failed_path.display()
        ));
    }
    Ok(if t.errors + t.unsent + t.not_decorated > 0 {
        ExitStatus::Error
    } else if t.invalid + t.rejected + t.curation > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
