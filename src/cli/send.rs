//! `epc send`: decorate events as a client would, decide sampling and cc
//! copies, validate, and deliver them to the intake without losing any.
//!
//! `--dry-run` prints the decorated events (NDJSON, one per stream copy) on
//! stdout, the decisions on stderr, and makes no network request at all.
//! Otherwise stdout gets one record per stream copy,
//! `{"type":"delivery","source","stream","status","message"}` (`status`:
//! `accepted`, `accepted_without_validation`, `invalid`, `rejected`, `error`,
//! `unknown`, `unsent`, `not_decorated`, `curation_failed`,
//! `redirect_target_missing`: [`epc::ledger::Outcome`]; a table shows only those not
//! accepted), then a summary. Every event not accepted is written as NDJSON to
//! the failed-events file, whose path is printed.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result, anyhow};
use clap::Args;
use comfy_table::Cell;
use serde_json::{Map, Value, json};

use super::signals::Stop;
use super::{ExitStatus, Hinted, StreamConfigArgs, env};
use crate::output::{Format, Printer, RecordSink, table};
use epc::app_event::{self, APP_BASE_SCHEMA};
use epc::client::{Batcher, Client, ClientError, ClientSettings, Curation, IntakeChoice, Plan, Refusal, used_units};
use epc::constraint::Constraints;
use epc::event::{self, Identifiers};
use epc::eventgate::{Intake, RequestHeaders};
use epc::identifier::Identifier;
use epc::input::{EventReader, Position, Raw, parse_line};
use epc::intake::{BatchReport, Delivered, Encoded, EventGate, RetryPolicy};
use epc::ledger::{Entry, FailedFile, Kept, Ledger, Outcome, Settled};
use epc::sampling::{Profile, Reason, SamplingUnit};
use epc::schema::SchemaUri;
use epc::schema::repository::SchemaResolver;
use epc::stream::{StreamConfig, StreamConfigs};
use epc::validate::{self, EventValidator};

/// Arguments of `epc send`.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct SendArgs {
    /// Event files (JSON, JSON array, NDJSON or YAML); `-` or none for stdin.
    #[arg(value_name = "INPUT", conflicts_with_all = ["data", "action"])]
    inputs: Vec<String>,
    /// The stream to send to (its cc streams get copies too).
    #[arg(long, value_name = "STREAM", add = clap_complete::ArgValueCompleter::new(super::completions::stream_names))]
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
    /// Which Metrics Platform client builds the --action event: `web` (MP-JS
    /// `submitInteraction`) or `app` (MP-Java `submitMetricsEvent`; --schema
    /// defaults to the apps base schema).
    #[arg(long, value_enum, default_value_t = ClientKind::Web, value_name = "CLIENT")]
    client: ClientKind,
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
    /// Further schema base URIs (repeatable). With neither, schemas come from schema.wikimedia.org's
    /// primary and secondary repositories (--offline and --dry-run: from the cache only).
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
    /// Decide sampling, cc and the event's shape as this client does: canonical,
    /// mp-js, mp-java, android, android-tk, ios (as `epc sample --profile`).
    /// Default: mp-js for --action (mp-java with --client app), else canonical.
    #[arg(long, value_name = "PROFILE", value_parser = super::sample::parse_profile)]
    profile: Option<Profile>,
    /// Allow sending to a public production intake (the stream's destination_event_service) when no --intake-url is given.
    #[arg(long)]
    production: bool,
    /// Ask for `?hasty=true`: a 202 at once, without validation feedback.
    #[arg(long)]
    hasty: bool,
    /// Most events per POST.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch_size: u32,
    /// Most bytes per POST body (EventGate's example config allows 4 MB).
    #[arg(long, value_name = "BYTES", default_value_t = 4_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    batch_bytes: u64,
    /// Retries of a batch nothing of which was accepted (429, 500, other 5xx, network errors; `Retry-After` is honoured).
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

/// The Metrics Platform client an --action event is built as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ClientKind {
    /// MP-JS `submitInteraction` (MediaWiki's web client).
    Web,
    /// MP-Java `submitMetricsEvent` (the Android and iOS apps' client).
    App,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(t) if t.is_finite() && (0.0..=3600.0).contains(&t) => Ok(t),
        _ => Err(format!("`{text}` is not a number of seconds from 0 to 3600")),
    }
}

/// How long a request in flight may go on after SIGINT/SIGTERM before it is
/// abandoned (its events then have an unknown outcome); a second signal
/// abandons it at once.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Where results and failed events go: the ledger, and the records on stdout.
struct Sinks<'p> {
    printer: &'p Printer,
    records: Option<RecordSink<'p>>,
    /// Records written to stdout after which it was closed (`| head`); the run goes on.
    stdout_closed: Option<u64>,
    records_written: u64,
    ledger: Ledger,
    /// Settled, not yet on stdout: records follow the failed-events file's sync.
    unreported: Vec<Settled>,
    copies: u64,
    empty_action: u64,
    input_errors: u64,
    unattributed: u64,
    unread: u64,
}

impl Sinks<'_> {
    /// Settles an entry; its record goes out at the next [`Self::commit`].
    fn settle(&mut self, entry: Entry, outcome: Outcome, message: String, kept: Kept<'_>) {
        let settled = self.ledger.settle(entry, outcome, message, kept);
        self.unreported.push(settled);
        if self.unreported.len() >= 1024 {
            self.commit();
        }
    }

    /// Syncs the failed-events file, then writes the records settled since
    /// the last commit. A closed stdout is remembered, never an error: the
    /// events are in the file whatever happens to the records.
    fn commit(&mut self) {
        let was_broken = self.ledger.is_broken();
        if let Err(e) = self.ledger.sync() {
            if !was_broken {
                self.printer.error(format!("{e}: the run stops (events not accepted can no longer be kept)"));
            }
            // No record may claim an event is kept: none is printed from now on.
            self.unreported.clear();
            self.records = None;
            return;
        }
        let printer = self.printer;
        for s in std::mem::take(&mut self.unreported) {
            let Some(sink) = &mut self.records else { continue };
            if self.stdout_closed.is_some() || (printer.format == Format::Table && s.outcome.is_accepted()) {
                continue;
            }
            let status = s.outcome.code();
            let record = |typed: bool| DeliveryRecord {
                kind: typed.then_some("delivery"),
                source: &s.source,
                stream: &s.stream,
                status,
                message: &s.message,
            };
            let pushed = sink.push_serialize(record, || {
                vec![
                    Cell::new(&s.source),
                    Cell::new(&s.stream),
                    table::alert(printer, status.to_uppercase().replace('_', " ")),
                    Cell::new(&s.message),
                ]
            });
            match pushed {
                Ok(()) => self.records_written += 1,
                Err(_) => self.stdout_closed = Some(self.records_written),
            }
        }
    }
}

/// A `delivery` record, written straight to stdout (no `Value` per event):
/// `{"type":"delivery","source","stream","status","message"}`, without
/// `type` for `--format json`.
#[derive(serde::Serialize)]
struct DeliveryRecord<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    source: &'a str,
    stream: &'a str,
    status: &'static str,
    message: &'a str,
}

/// The request thread: batches go out on it, so that a signal can abandon
/// a request in flight without waiting for its timeout.
struct Worker {
    jobs: mpsc::Sender<Arc<Vec<Encoded>>>,
    results: mpsc::Receiver<BatchReport>,
    url: String,
}

impl Worker {
    fn start(gate: EventGate, retry: RetryPolicy) -> Result<Self> {
        let (jobs, job_rx) = mpsc::channel::<Arc<Vec<Encoded>>>();
        let (result_tx, results) = mpsc::channel();
        let url = gate.url().to_owned();
        std::thread::Builder::new()
            .name("intake".into())
            .spawn(move || {
                for events in job_rx {
                    if result_tx.send(gate.submit_encoded(&events, &retry)).is_err() {
                        break;
                    }
                }
            })
            .context("cannot start the request thread")?;
        Ok(Self { jobs, results, url })
    }

    /// Sends a batch and waits for its report; `None` when a signal made the
    /// run abandon it (after [`STOP_GRACE`], or at once on a second signal).
    fn send(&self, events: &Arc<Vec<Encoded>>, stop: &Stop) -> Option<BatchReport> {
        if self.jobs.send(Arc::clone(events)).is_err() {
            return None;
        }
        loop {
            match self.results.recv_timeout(Duration::from_millis(50)) {
                Ok(report) => return Some(report),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if stop.urgent() || stop.since().is_some_and(|t| t >= STOP_GRACE) {
                        return None;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

/// Where the batches go.
enum Delivery {
    /// `--dry-run`: nowhere.
    DryRun,
    /// An intake, through the request thread.
    Gate(Worker),
    /// No intake can be determined: every copy is unsent with this message.
    Undeliverable(String),
}

/// An event read, for the per-event step of `run`.
enum Submitted {
    /// Parsed.
    Event(Value),
    /// An NDJSON line not parsed yet: sent as it is when it can be
    /// (`Client::submit_text`), else given back to be parsed.
    Text(String),
}

/// The single event of `--data` or `--action`, parsed before anything is said.
enum Single {
    Data(Value),
    Action { action: String, data: Map<String, Value> },
}

pub(crate) fn run(args: &SendArgs, printer: &Printer) -> Result<ExitStatus> {
    if printer.format == Format::Junit {
        return Err(Hinted::error("--format junit is only for `epc validate`", None));
    }
    // Input errors first: a bad --data, --interaction-data, --context or input
    // file is said before any sampling note.
    let context = load_context(args)?;
    let single = single_event(args)?;
    let mut readers = Vec::new();
    if single.is_none() {
        let inputs: Vec<String> = if args.inputs.is_empty() { vec!["-".to_owned()] } else { args.inputs.clone() };
        for input in &inputs {
            readers.push(EventReader::open(input)?);
        }
    }
    // The failed-events file is never an input (appending to what is read never ends).
    let failed = if args.dry_run {
        FailedFile::disabled()
    } else {
        let path = args.failed_out.clone().unwrap_or_else(|| {
            let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace([':', '-'], "");
            PathBuf::from(format!("epc-failed-{stamp}.ndjson"))
        });
        let inputs: Vec<String> = match (&single, args.inputs.is_empty()) {
            (Some(_), _) => Vec::new(),
            (None, true) => vec!["-".to_owned()],
            (None, false) => args.inputs.clone(),
        };
        FailedFile::new(&path, &inputs)
            .map_err(|e| Hinted::error(format!("--failed-out: {e}"), Some("pass another --failed-out FILE".into())))?
    };
    let configs = load_configs(args, printer)?.map(Arc::new);
    let main_config: Option<StreamConfig> =
        configs.as_deref().and_then(|c| c.resolve(&args.stream)).map(|r| r.config.clone());
    let resolver = build_resolver(args, printer)?;
    let intake = match (&resolver, args.no_validate) {
        (Some(r), false) => Some(Intake::new(EventValidator::new(Arc::clone(r), configs.as_deref().cloned()))),
        _ => None,
    };
    let schema = args
        .schema
        .clone()
        .or_else(|| (args.action.is_some() && args.client == ClientKind::App).then(|| APP_BASE_SCHEMA.to_owned()));
    let id_fields = match (&resolver, &schema) {
        (Some(r), Some(uri)) => SchemaUri::parse(uri)
            .ok()
            .and_then(|u| r.resolve(&u).ok())
            .map(|doc| event::declared_id_fields(&doc.value))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let (ids, fresh) = identifiers(args, &context)?;
    let profile = profile_of(args);
    // MP-JS reads identifiers from its integration's context as they are: it
    // does not invent any (a context without a session id yields an event without one).
    let context = if profile == Profile::MpJs {
        let given = Identifiers {
            session: args.session_id.clone().unwrap_or_default(),
            pageview: args.pageview_id.clone().unwrap_or_default(),
            device: args.device_id.clone().unwrap_or_default(),
        };
        fill_context(context, &given)
    } else {
        fill_context(context, &ids)
    };
    let domain = args.domain.clone().or_else(|| {
        args.action.as_ref().and_then(|_| context.get("hostname").and_then(Value::as_str).map(str::to_owned))
    });
    let client = Client::new(
        configs.clone(),
        ClientSettings {
            profile,
            ids,
            domain,
            schema: schema.clone(),
            id_fields: if profile == Profile::MpJs { Vec::new() } else { id_fields.clone() },
            ignore_sampling: args.ignore_sampling,
            ignore_curation: args.ignore_curation,
            no_cc: args.no_cc,
        },
    );
    let client = match &resolver {
        Some(r) if profile != Profile::MpJs => client.with_schemas(Arc::clone(r)),
        _ => client,
    };
    let plan = client.plan(&args.stream).map_err(|e| match e {
        ClientError::NotConfigured { stream, suggestion } => Hinted::error(
            format!("stream `{stream}` is not configured in {}", args.source.stream_config),
            suggestion
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some("pass --no-stream-config to send without stream config".into())),
        ),
        other => Hinted::error(other.to_string(), None),
    })?;
    if configs.is_some() && !plan.configured {
        printer.warning(format!("stream `{}` is not configured: only its cc streams get events", args.stream));
    }
    if let Some(configs) = configs.as_deref() {
        for target in &plan.targets {
            if let Some(config) = configs.resolve(&target.stream).map(|r| r.config) {
                for p in config.problems().iter().chain(config.warnings().iter()) {
                    printer.warning(format!("stream `{}`: `{}` {}", target.stream, p.field, p.message));
                }
            }
        }
    }
    let delivery = if args.dry_run {
        if let Some(problem) = undeliverable(args, &plan) {
            printer.warning(format!("{problem}: a real run would not know where to send"));
        }
        Delivery::DryRun
    } else {
        delivery(args, &plan, printer)?
    };
    let provide_values: Vec<&str> = if args.action.is_some() {
        main_config.as_ref().map(StreamConfig::provide_values).unwrap_or_default()
    } else {
        Vec::new()
    };
    // MP-JS fills no identifier field and takes context identifiers as they are:
    // only sampling can use a fresh one.
    let used = if profile == Profile::MpJs {
        used_units(&plan, &[], &[])
    } else {
        used_units(&plan, &id_fields, &provide_values)
    };
    for (unit, id) in &fresh {
        if used.contains(unit) {
            printer.note(format!("using a fresh {unit} id {id} (pass --{unit}-id to choose one)"));
        }
    }
    let announced = used;
    for t in &plan.targets {
        let how = match (&t.decision.reason, t.unit) {
            (Reason::Compared, Some(unit)) => {
                format!("{unit} {}: {}", t.identifier, t.decision.reason.describe(true, t.decision.value, t.rate))
            }
            _ => t.decision.reason.describe(t.decision.in_sample, t.decision.value, t.rate),
        };
        let how = if matches!(t.decision.reason, Reason::Compared) && !t.decision.in_sample {
            how.replace(" < ", " >= ")
        } else {
            how
        };
        let verdict = match (t.decision.in_sample, args.ignore_sampling) {
            (true, _) => "in-sample",
            (false, true) => "out-of-sample, sent anyway (--ignore-sampling)",
            (false, false) => "out-of-sample, not sent",
        };
        printer.note(format!("stream {}: {verdict} ({how})", t.stream));
    }
    let mut sinks = Sinks {
        printer,
        records: if args.dry_run {
            None
        } else {
            Some(printer.sink("results", &["source", "stream", "status", "message"])?)
        },
        stdout_closed: None,
        records_written: 0,
        ledger: Ledger::new(failed),
        unreported: Vec::new(),
        copies: 0,
        empty_action: 0,
        input_errors: 0,
        unattributed: 0,
        unread: 0,
    };
    // The headers epc sends, as the intake's enrichment sees them (the intake
    // gives a request without `x-request-id` one).
    let mut headers = RequestHeaders::new();
    headers.insert("user-agent", epc::source::USER_AGENT);
    headers.ensure_request_id();
    // Curation where the profile's client applies it: MP-JS's `submitInteraction`
    // does not curate (it went with `dispatch`), MP-Java curates before sending;
    // epc's canonical rule curates MP-JS-style.
    let curation = match (&args.action, profile) {
        (None, _) | (Some(_), Profile::MpJs) => Curation::Off,
        (Some(_), Profile::MpJava) => Curation::MpJava,
        (Some(_), _) => Curation::MpJs,
    };
    let stop = if args.dry_run { Stop::never() } else { Stop::install()? };
    let mut batcher: Batcher<Entry, Encoded> = Batcher::new(args.batch_size as usize, args.batch_bytes);
    let dry_run_closed = std::cell::Cell::new(false);
    // A line sent as it is when decorating it, the intake's fills and validation
    // change nothing (`Client::submit_text`): no tree is built for it.
    let text_path = !args.dry_run && intake.is_some();
    let mut each = |position: String, event: Submitted, sinks: &mut Sinks<'_>| -> Option<String> {
        let event = match event {
            Submitted::Event(v) => v,
            Submitted::Text(text) => {
                let checked = intake
                    .as_ref()
                    .filter(|_| text_path)
                    .and_then(|i| client.submit_text(&plan, &text, curation, i, &headers));
                if checked.is_none() {
                    return Some(text);
                }
                sinks.copies += 1;
                let entry = sinks.ledger.open(position, plan.stream.clone());
                if let Some(batch) = batcher.push(entry, Encoded::from_canonical_text(text)) {
                    flush(&delivery, batch, sinks, &stop);
                }
                return None;
            }
        };
        // Each event gets the time it is submitted, as a client stamps `dt`.
        let now = event::format_dt(SystemTime::now());
        let copies = match client.submit(&plan, event.clone(), now.clone(), curation) {
            Ok(c) => c,
            Err(refusal) => {
                let message = refusal.to_string();
                let outcome = match &refusal {
                    Refusal::NotDecorated(_) => {
                        printer.error(format!("{position}: {message}"));
                        Outcome::NotDecorated
                    }
                    Refusal::CurationFailed(_) => {
                        printer.warning(format!("{position}: {message} (--ignore-curation sends it anyway)"));
                        Outcome::CurationFailed
                    }
                    Refusal::RedirectTargetMissing(_) => {
                        printer.warning(format!("{position}: {message}"));
                        Outcome::Dropped
                    }
                };
                let entry = sinks.ledger.open(position, args.stream.clone());
                sinks.settle(entry, outcome, message, Kept::Event(&event));
                return None;
            }
        };
        // One message per problem, naming every stream copy it concerns.
        let mut problems: Vec<(String, Vec<String>)> = Vec::new();
        for copy in copies {
            sinks.copies += 1;
            let report = intake.as_ref().map(|i| Client::check(i, &copy, &headers, &now));
            if let Some(report) = report.filter(|r| r.outcome != validate::Outcome::Valid) {
                let message = report
                    .violations
                    .iter()
                    .map(|v| {
                        format!("{}: {}", if v.instance_path.is_empty() { "/" } else { &v.instance_path }, v.message)
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let message = format!("{} event: {message}", report.outcome.as_str());
                match problems.iter_mut().find(|(m, _)| *m == message) {
                    Some((_, streams)) => streams.push(copy.stream.clone()),
                    None => problems.push((message.clone(), vec![copy.stream.clone()])),
                }
                if args.dry_run && !dry_run_closed.get() {
                    dry_run_closed.set(printer.json_line(&copy.event).is_err());
                }
                let entry = sinks.ledger.open(position.clone(), copy.stream.clone());
                sinks.settle(entry, Outcome::Invalid, message, Kept::Event(&copy.event));
                continue;
            }
            if args.dry_run {
                if !dry_run_closed.get() {
                    dry_run_closed.set(printer.json_line(&copy.event).is_err());
                }
                // Printed, not sent: a dry run's copies are not delivery outcomes.
                continue;
            }
            let entry = sinks.ledger.open(position.clone(), copy.stream.clone());
            if let Some(batch) = batcher.push(entry, Encoded::new(copy.event)) {
                flush(&delivery, batch, sinks, &stop);
            }
        }
        for (message, streams) in problems {
            let what = if args.dry_run { "printed, would not be sent" } else { "not sent" };
            printer.error(format!("{position} → {}: {message} ({what})", streams.join(", ")));
        }
        None
    };
    match single {
        Some(Single::Data(event)) => drop(each("--data".to_owned(), Submitted::Event(event), &mut sinks)),
        Some(Single::Action { action, .. }) if action.is_empty() && profile == Profile::MpJs => {
            // MP-JS `submitInteraction`: `if ( !action )` warns and produces nothing.
            sinks.empty_action += 1;
            printer.warning(format!(
                "submitInteraction( {}, ..., action ) called without required field \"action\": MP-JS produces no event",
                args.stream
            ));
        }
        Some(Single::Action { action, data }) => {
            let event = match args.client {
                ClientKind::Web => {
                    let schema = schema.as_deref().unwrap_or_default();
                    event::interaction_event(
                        &action,
                        &data,
                        schema,
                        main_config.as_ref(),
                        &context,
                        profile == Profile::MpJs,
                    )
                }
                ClientKind::App => {
                    let schema = schema.as_deref().unwrap_or(APP_BASE_SCHEMA);
                    let mut e = app_event::app_interaction_event(
                        &args.stream,
                        schema,
                        &action,
                        &data,
                        main_config.as_ref(),
                        &context,
                    );
                    app_event::set_app_dt(&mut e, &app_event::app_dt(SystemTime::now()));
                    e
                }
            };
            drop(each("--action".to_owned(), Submitted::Event(Value::Object(event)), &mut sinks));
        }
        None => {
            // Inputs are read on their own thread, so that a signal is seen
            // while a read blocks (an idle pipe, a FIFO).
            let (tx, rx) = mpsc::sync_channel::<Result<(Position, Raw), epc::input::InputError>>(1024);
            std::thread::Builder::new()
                .name("inputs".into())
                .spawn(move || {
                    for reader in readers {
                        for item in reader {
                            let failed = item.is_err();
                            if tx.send(item).is_err() {
                                return;
                            }
                            if failed {
                                break;
                            }
                        }
                    }
                })
                .context("cannot start the input thread")?;
            loop {
                if stop.requested() || dry_run_closed.get() || sinks.ledger.is_broken() {
                    if stop.requested() {
                        drain(&rx, &args.stream, &stop, &mut sinks);
                    }
                    break;
                }
                let item = match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(item) => item,
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                let (position, raw) = match item {
                    Ok(i) => i,
                    Err(e) => {
                        // The events read so far still go out; this input ends here.
                        sinks.input_errors += 1;
                        printer.error(format!("{e:#}: the rest of it was not read"));
                        continue;
                    }
                };
                let (message, kept) = match raw {
                    Raw::Parsed(v) => {
                        drop(each(position.to_string(), Submitted::Event(v), &mut sinks));
                        continue;
                    }
                    Raw::Text(t) => {
                        let Some(t) = each(position.to_string(), Submitted::Text(t), &mut sinks) else { continue };
                        match parse_line(&t, &position) {
                            Ok(v) => {
                                drop(each(position.to_string(), Submitted::Event(v), &mut sinks));
                                continue;
                            }
                            Err(m) => (m, t.into_bytes()),
                        }
                    }
                    Raw::NotUtf8(bytes, m) => (m, bytes),
                    Raw::Malformed(m) => (m, Vec::new()),
                };
                // Parse messages already start with the position.
                let shown = if message.starts_with(&position.to_string()) {
                    message.clone()
                } else {
                    format!("{position}: {message}")
                };
                printer.error(shown);
                let entry = sinks.ledger.open(position.to_string(), args.stream.clone());
                let kept = if kept.is_empty() { Kept::Nothing } else { Kept::Line(&kept) };
                sinks.settle(entry, Outcome::NotDecorated, message, kept);
            }
        }
    }
    let rest = batcher.take();
    if !rest.is_empty() {
        flush(&delivery, rest, &mut sinks, &stop);
    }
    sinks.commit();
    // Fresh identifiers that filled identifier fields of the events' own schemas.
    for (unit, id) in &fresh {
        if !announced.contains(unit) && client.filled_units().contains(unit) {
            printer.note(format!(
                "used a fresh {unit} id {id} in the events' identifier fields (pass --{unit}-id to choose one)"
            ));
        }
    }
    finish(args, sinks, &stop, dry_run_closed.get())
}

/// After a stop: keeps what is left of the inputs, unread, as unsent. Lines
/// are taken as long as they come (files), and no longer than 200 ms after
/// the last one: an input that blocks (standard input, a FIFO) is not waited
/// for. Synced every 4,096 lines; a third signal ends the process.
fn drain(
    rx: &mpsc::Receiver<Result<(Position, Raw), epc::input::InputError>>,
    stream: &str,
    stop: &Stop,
    sinks: &mut Sinks<'_>,
) {
    let message = format!("not read: the run was stopped by {}", stop.name());
    let mut last: Option<String> = None;
    let mut complete = false;
    loop {
        let item = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(item) => item,
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                complete = true;
                break;
            }
        };
        let (position, raw) = match item {
            Ok(i) => i,
            Err(e) => {
                sinks.input_errors += 1;
                sinks.printer.error(format!("{e:#}: the rest of it was not read"));
                continue;
            }
        };
        last = Some(position.source.to_string());
        let entry = sinks.ledger.open(position.to_string(), stream.to_owned());
        let m = message.clone();
        // Unread events get no record each: the summary counts them.
        match &raw {
            Raw::Parsed(v) => drop(sinks.ledger.settle(entry, Outcome::Unsent, m, Kept::Event(v))),
            Raw::Text(t) => drop(sinks.ledger.settle(entry, Outcome::Unsent, m, Kept::Line(t.as_bytes()))),
            Raw::NotUtf8(b, _) => drop(sinks.ledger.settle(entry, Outcome::Unsent, m, Kept::Line(b))),
            Raw::Malformed(_) => drop(sinks.ledger.settle(entry, Outcome::Unsent, m, Kept::Nothing)),
        }
        sinks.unread += 1;
        if sinks.unread.is_multiple_of(4096) {
            sinks.commit();
        }
    }
    sinks.commit();
    let n = sinks.unread;
    let rest = if complete {
        String::new()
    } else {
        format!("; {} was not read further (it did not end)", last.as_deref().unwrap_or("an input"))
    };
    sinks.printer.warning(format!(
        "stopped by {}: {n} unread {} written to the failed-events file{rest}",
        stop.name(),
        if n == 1 { "event was" } else { "events were" }
    ));
}

/// The client profile: --profile, else mp-js for --action (mp-java with
/// --client app), else canonical.
fn profile_of(args: &SendArgs) -> Profile {
    args.profile.unwrap_or(match (&args.action, args.client) {
        (None, _) => Profile::Canonical,
        (Some(_), ClientKind::Web) => Profile::MpJs,
        (Some(_), ClientKind::App) => Profile::MpJava,
    })
}

/// `Object.assign({}, data)` of a JSON value that is not an object: an
/// array's or a string's indices become keys, anything else adds nothing.
fn js_assign_source(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        Value::Array(items) => items.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
        Value::String(s) => s.chars().enumerate().map(|(i, c)| (i.to_string(), Value::String(c.to_string()))).collect(),
        _ => Map::new(),
    }
}

/// The single event of --data or --action (inputs are streamed by the caller).
fn single_event(args: &SendArgs) -> Result<Option<Single>> {
    if let Some(data) = &args.data {
        return match epc::schema::yaml::parse_json_str(data, "--data") {
            Ok(v) => Ok(Some(Single::Data(v))),
            Err(e) => Err(Hinted::error(e.to_string(), None)),
        };
    }
    let Some(action) = &args.action else { return Ok(None) };
    if args.schema.is_none() && args.client == ClientKind::Web {
        return Err(Hinted::error(
            "--action needs --schema (for example /analytics/product_metrics/web/base/1.3.0)",
            None,
        ));
    }
    let data = match &args.interaction_data {
        None => Map::new(),
        Some(text) => match epc::schema::yaml::parse_json_str(text, "--interaction-data") {
            Ok(Value::Object(m)) => m,
            // MP-JS merges it with `Object.assign`, which takes any value.
            Ok(other) if profile_of(args) == Profile::MpJs => js_assign_source(other),
            Ok(other) => {
                return Err(Hinted::error(
                    format!("--interaction-data must be a JSON object, found {}", epc::stream::json_type(&other)),
                    None,
                ));
            }
            Err(e) => return Err(Hinted::error(e.to_string(), None)),
        },
    };
    Ok(Some(Single::Action { action: action.clone(), data }))
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
            Some("--dry-run makes no network request: pass --stream-config FILE (or set EPC_STREAM_CONFIG=FILE) or --no-stream-config".into()),
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

/// Identifiers: flag, else context, else fresh; the fresh ones are returned
/// with their unit, for the caller to announce those a stream or schema uses.
fn identifiers(args: &SendArgs, context: &Value) -> Result<(Identifiers, Vec<(SamplingUnit, String)>)> {
    let generated =
        Identifiers::generate().map_err(|e| anyhow!("the operating system's random generator failed: {e}"))?;
    let mut fresh = Vec::new();
    let mut pick = |flag: &Option<String>, pointer: &str, new: String, unit: SamplingUnit| -> Result<String> {
        if let Some(id) = flag {
            Identifier::parse(id)?;
            return Ok(id.clone());
        }
        if let Some(id) = context.pointer(pointer).and_then(Value::as_str) {
            return Ok(id.to_owned());
        }
        fresh.push((unit, new.clone()));
        Ok(new)
    };
    let ids = Identifiers {
        session: pick(&args.session_id, "/performer/session_id", generated.session, SamplingUnit::Session)?,
        pageview: pick(&args.pageview_id, "/performer/pageview_id", generated.pageview, SamplingUnit::Pageview)?,
        device: pick(&args.device_id, "/agent/app_install_id", generated.device, SamplingUnit::Device)?,
    };
    Ok((ids, fresh))
}

/// The context with the run's identifiers where it has none.
/// The context with the run's identifiers in `performer.session_id`,
/// `performer.pageview_id` and `agent.app_install_id` (empty ones skipped), so
/// that the event's context attributes agree with the identifiers sampled on.
fn fill_context(mut context: Value, ids: &Identifiers) -> Value {
    for (group, field, value) in [
        ("performer", "session_id", &ids.session),
        ("performer", "pageview_id", &ids.pageview),
        ("agent", "app_install_id", &ids.device),
    ] {
        if value.is_empty() {
            continue;
        }
        if let Value::Object(root) = &mut context
            && let Value::Object(g) = root.entry(group).or_insert_with(|| json!({}))
        {
            g.insert(field.to_owned(), Value::String(value.clone()));
        }
    }
    context
}

/// The schema resolver: none with `--no-validate` and no schema source given
/// (else the given sources, or the public Wikimedia repositories). A dry run
/// makes no network request: remote schemas come from the cache only, as with
/// `--offline`.
fn build_resolver(args: &SendArgs, printer: &Printer) -> Result<Option<Arc<SchemaResolver>>> {
    if args.no_validate && args.schema_repos.is_empty() && args.schema_base_uris.is_empty() {
        return Ok(None);
    }
    let offline = args.source.offline || args.dry_run;
    let sources = super::schema_sources(&args.schema_repos, &args.schema_base_uris, offline, args.source.timeout)?;
    if args.dry_run && !args.source.offline && sources.repositories.is_empty() {
        printer.note("note: --dry-run makes no network request: remote schemas come from the schema cache only");
    }
    Ok(Some(Arc::new(super::schema_resolver(sources, printer)?)))
}

/// Why the plan's events cannot be delivered without --intake-url, if so.
fn undeliverable(args: &SendArgs, plan: &Plan) -> Option<String> {
    if args.intake_url.is_some() {
        return None;
    }
    match &plan.intake {
        IntakeChoice::Public { .. } => None,
        IntakeChoice::Internal(s) => {
            Some(format!("stream `{}` goes to `{s}`, an internal intake not reachable from outside", args.stream))
        }
        IntakeChoice::Unknown(s) => {
            let hint =
                epc::stream::suggest_event_service(s).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default();
            Some(format!("stream `{}` names `{s}`, which is not a known event service{hint}", args.stream))
        }
        IntakeChoice::Unset => {
            Some(format!("no intake for stream `{}`: it has no destination_event_service", args.stream))
        }
    }
}

/// The intake: --intake-url, else the stream's public intake with --production.
fn delivery(args: &SendArgs, plan: &Plan, printer: &Printer) -> Result<Delivery> {
    let url = match (&args.intake_url, &plan.intake) {
        (Some(u), _) => u.clone(),
        (None, IntakeChoice::Public { service, url }) => {
            if !args.production {
                return Err(Hinted::error(
                    format!("stream `{}` goes to `{service}`, the public production intake {url}; nothing was sent", args.stream),
                    Some("pass --intake-url URL (for example a local `epc serve`), or --production to send to production".into()),
                ));
            }
            (*url).to_owned()
        }
        (None, _) => {
            let problem = undeliverable(args, plan).unwrap_or_default();
            printer.error(format!("{problem}; every event goes to the failed-events file"));
            printer.hint("pass --intake-url URL (for example a local `epc serve`)");
            return Ok(Delivery::Undeliverable(problem));
        }
    };
    let retry = RetryPolicy {
        retries: args.retries,
        base_delay: Duration::from_secs_f64(args.retry_delay),
        max_total: Duration::from_secs(60).max(Duration::from_secs_f64(args.retry_delay * 4.0)),
    };
    let gate = EventGate::new(&url, Duration::from_secs_f64(args.source.timeout), args.hasty)?;
    Ok(Delivery::Gate(Worker::start(gate, retry)?))
}

/// The ledger outcome of an intake's answer for one event, with its message.
fn outcome_of(delivered: Delivered) -> (Outcome, String) {
    match delivered {
        Delivered::Accepted => (Outcome::Accepted, String::new()),
        Delivered::AcceptedHasty => {
            (Outcome::AcceptedUnvalidated, "hasty: the intake answered 202 before validating".to_owned())
        }
        Delivered::Invalid(m) => (Outcome::Rejected, m),
        Delivered::Error(m) => (Outcome::Failed, m),
        Delivered::Unsent(m) => (Outcome::Unsent, m),
        Delivered::Unknown(m) => (Outcome::Unknown, m),
    }
}

/// Sends the batch and settles every event of it: the failed ones are in
/// the failed-events file (synced) before their records go out.
fn flush(delivery: &Delivery, batch: Vec<(Entry, Encoded)>, sinks: &mut Sinks<'_>, stop: &Stop) {
    let (entries, events): (Vec<Entry>, Vec<Encoded>) = batch.into_iter().unzip();
    let events = Arc::new(events);
    let outcomes: Vec<(Outcome, String)> = match delivery {
        Delivery::DryRun => Vec::new(),
        Delivery::Undeliverable(message) => vec![(Outcome::Unsent, message.clone()); events.len()],
        Delivery::Gate(_) if stop.requested() => {
            let why = format!("not sent: the run was stopped by {}", stop.name());
            vec![(Outcome::Unsent, why); events.len()]
        }
        Delivery::Gate(worker) => match worker.send(&events, stop) {
            Some(report) => {
                if report.attempts > 1 {
                    sinks.printer.note(format!("a batch of {} took {} attempts", events.len(), report.attempts));
                }
                for stranger in &report.unattributed {
                    sinks.printer.warning(
                        "the intake reported a failed event that matches none sent; it is kept in the failed-events file",
                    );
                    sinks.unattributed += 1;
                    sinks.ledger.keep(Kept::Event(stranger));
                }
                report.outcomes.into_iter().map(outcome_of).collect()
            }
            None => {
                let why = if stop.requested() {
                    format!(
                        "unknown: the run was stopped by {} while {} was answering; it may have stored the event",
                        stop.name(),
                        worker.url
                    )
                } else {
                    format!(
                        "unknown: the request thread for {} failed; the intake may have stored the event",
                        worker.url
                    )
                };
                vec![(Outcome::Unknown, why); events.len()]
            }
        },
    };
    // One stderr line per (outcome, message, stream) of the batch, not one per event.
    let mut groups: Vec<(Outcome, String, String, String, u64)> = Vec::new();
    let quiet = matches!(delivery, Delivery::Undeliverable(_));
    for ((entry, event), (outcome, message)) in entries.into_iter().zip(events.iter()).zip(outcomes) {
        if !outcome.is_accepted() && !quiet {
            match groups.iter_mut().find(|g| g.0 == outcome && g.1 == message && g.3 == entry.stream) {
                Some(g) => g.4 += 1,
                None => groups.push((outcome, message.clone(), entry.source.clone(), entry.stream.clone(), 1)),
            }
        }
        sinks.settle(entry, outcome, message, Kept::Serialized(event.bytes()));
    }
    for (outcome, message, first, stream, n) in groups {
        let what = if n == 1 { first } else { format!("{n} events from {first} on") };
        sinks.printer.error(format!("{what} → {stream}: {}: {message}", outcome.code()));
    }
    sinks.commit();
}

fn finish(args: &SendArgs, mut sinks: Sinks<'_>, stop: &Stop, dry_run_closed: bool) -> Result<ExitStatus> {
    sinks.commit();
    let printer = sinks.printer;
    let copies = sinks.copies;
    let ledger = std::mem::replace(&mut sinks.ledger, Ledger::new(FailedFile::disabled()));
    let t = ledger.summary();
    let closed = ledger.close();
    let failed_path = t.failed_file.as_ref().map(|p| p.display().to_string()).filter(|_| closed.is_ok());
    let summary = json!({
        "type": "summary", "copies": copies, "accepted": t.count(Outcome::Accepted),
        "accepted_without_validation": t.count(Outcome::AcceptedUnvalidated),
        "invalid": t.count(Outcome::Invalid), "rejected": t.count(Outcome::Rejected), "errors": t.count(Outcome::Failed),
        "unknown": t.count(Outcome::Unknown), "unsent": t.count(Outcome::Unsent),
        "not_decorated": t.count(Outcome::NotDecorated), "curation_failed": t.count(Outcome::CurationFailed),
        "dropped": t.count(Outcome::Dropped), "unread": sinks.unread, "unattributed": sinks.unattributed,
        "failed_events": t.kept, "failed_events_file": failed_path,
        "stopped_by": stop.exit_code().map(|_| stop.name()),
    });
    if let Some(sink) = sinks.records.take()
        && sinks.stdout_closed.is_none()
        && sink.finish(summary).is_err()
    {
        sinks.stdout_closed = Some(sinks.records_written);
    }
    if args.dry_run {
        printer.note(format!(
            "dry run: {copies} decorated event {} printed ({} invalid), nothing sent",
            if copies == 1 { "copy" } else { "copies" },
            t.count(Outcome::Invalid)
        ));
    } else {
        let hasty = t.count(Outcome::AcceptedUnvalidated);
        let unknown = t.count(Outcome::Unknown);
        printer.note(format!(
            "{} accepted{}, {} rejected, {} invalid (not sent), {} failed on the intake, {}{} unsent",
            t.count(Outcome::Accepted) + hasty,
            if hasty > 0 { format!(" ({hasty} without validation: hasty)") } else { String::new() },
            t.count(Outcome::Rejected),
            t.count(Outcome::Invalid),
            t.count(Outcome::Failed),
            if unknown > 0 { format!("{unknown} unknown (maybe stored), ") } else { String::new() },
            t.count(Outcome::Unsent)
        ));
        if hasty > 0 {
            // Always shown: a 202 says nothing about validity.
            printer.warning(format!(
                "{hasty} {} accepted without validation (hasty): the intake did not check them",
                if hasty == 1 { "event was" } else { "events were" }
            ));
        }
    }
    if let Some(path) = &failed_path {
        // Always shown, even with --quiet: this is where the data is.
        printer.warning(format!(
            "{} {} not accepted {} written to {path}",
            t.kept,
            if t.kept == 1 { "event" } else { "events" },
            if t.kept == 1 { "was" } else { "were" }
        ));
    }
    if let Some(n) = sinks.stdout_closed
        && !args.dry_run
    {
        printer.error(format!(
            "stdout was closed (after at most {n} records): delivery went on; every event's outcome is in the summary above and every event not accepted is in the failed-events file"
        ));
    }
    if let Err(e) = closed {
        // The one way to lose events: the failed-events file can't be written.
        printer.error(format!(
            "{e}: {} {} not accepted {} not all kept",
            t.kept,
            if t.kept == 1 { "event" } else { "events" },
            if t.kept == 1 { "is" } else { "are" }
        ));
        return Ok(ExitStatus::Error);
    }
    if let Some(code) = stop.exit_code() {
        return Ok(ExitStatus::Signal(code));
    }
    Ok(if t.errors() + sinks.input_errors + sinks.unattributed > 0 || sinks.stdout_closed.is_some() || dry_run_closed {
        ExitStatus::Error
    } else if t.findings() + sinks.empty_action > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
