//! Event parsing and validation on arbitrary bytes.
//!
//! The bytes go through every way `epc validate` and `epc serve` read events:
//! [`EventReader`] over the bytes as a reader (format detected, then each
//! format forced), [`parse_line`] on each NDJSON line, [`parse_json_str`] and
//! [`parse_yaml_str`] on the whole text, and [`eventgate::parse_body`]. Every
//! event that parses is validated against the fixture schema repository
//! (`fixtures/schemas/primary`) with the fixture stream config, and judged as
//! EventGate would; each NDJSON line also goes through the fast path (the
//! streaming check or the tree) with the fixture repository and with the real
//! ones in `../shared/data/schemas`, which must agree with the reference
//! path. Nothing may panic, overflow the stack or hang; and a few
//! invariants are checked on the way (see `check_report` and `check_json`).

#![no_main]

use std::io::Cursor;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use epc::eventgate;
use epc::input::{EventReader, InputFormat, Locator, Position, Raw, parse_line};
use epc::schema::repository::{SchemaRepository, SchemaResolver};
use epc::schema::yaml::{DocumentErrorKind, parse_json_str, parse_yaml_str};
use epc::stream::StreamConfigs;
use epc::validate::{EventReport, EventValidator, Outcome};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// At most this many events of one input are validated (an input is at most
/// a few KiB, but `[{},{},…]` holds many events).
const MAX_EVENTS: usize = 64;

/// The intake, built once: the fixture repository and stream config.
fn intake() -> &'static eventgate::Intake {
    static INTAKE: OnceLock<eventgate::Intake> = OnceLock::new();
    INTAKE.get_or_init(|| eventgate::Intake::new(build_validator()))
}

fn validator() -> &'static EventValidator {
    intake().validator()
}

/// A validator over the real schema repositories (`../shared/data/schemas`:
/// secondary, then primary), so that the streaming check runs with the real
/// analytics schemas (`/analytics/product_metrics/web/base/1.3.0`, …).
fn real_validator() -> &'static EventValidator {
    static REAL: OnceLock<EventValidator> = OnceLock::new();
    REAL.get_or_init(|| {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/schemas");
        let repos = ["secondary", "primary"]
            .map(|name| SchemaRepository::open(shared.join(name)).expect("the real schema repositories in ../shared"));
        let resolver = SchemaResolver::new(repos.into(), &[], false).expect("a resolver");
        EventValidator::new(Arc::new(resolver), None)
    })
}

/// The fast path (streaming or tree) may only say "valid", and only when
/// the reference path agrees; for text the strict parser refuses, never.
fn check_fast(validator: &EventValidator, line: &str, parsed: Option<&Value>) {
    let fast = validator.validate_fast(line);
    match (fast, parsed) {
        (Some(report), Some(event)) => assert_eq!(report, validator.validate(event), "fast path disagrees on {line:?}"),
        (Some(_), None) => panic!("fast path accepted a line the strict parser refuses: {line:?}"),
        (None, _) => {}
    }
}

fn build_validator() -> EventValidator {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("fixtures");
    let repo = SchemaRepository::open(root.join("schemas/primary")).expect("the fixture schema repository");
    let resolver = SchemaResolver::new(vec![repo], &[], false).expect("a resolver");
    let text = std::fs::read_to_string(root.join("streamconfigs-validate.json")).expect("the fixture stream config");
    let streams = StreamConfigs::from_json_str(&text, "streamconfigs-validate.json").expect("stream config");
    EventValidator::new(Arc::new(resolver), Some(streams))
}

/// A report is consistent: valid exactly when there are no violations.
fn check_report(report: &EventReport) {
    assert_eq!(report.outcome == Outcome::Valid, report.violations.is_empty(), "{report:?}");
    for v in &report.violations {
        assert!(!v.message.is_empty(), "{report:?}");
    }
}

/// Validates one event and judges it as EventGate would.
fn validate(event: &Value) {
    let validator = validator();
    check_report(&validator.validate(event));
    let statuses = intake().judge(vec![event.clone()], &eventgate::RequestHeaders::new(), SystemTime::UNIX_EPOCH);
    assert_eq!(statuses.len(), 1);
    let _ = eventgate::answer(&statuses);
}

/// The strict JSON parser agrees with serde_json, except that it refuses
/// duplicate keys.
fn check_json(text: &str) {
    let strict = parse_json_str(text, "fuzz.json");
    let lax = serde_json::from_str::<Value>(text);
    match (&strict, &lax) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Ok(_), Err(e)) => panic!("strict parse accepts what serde_json refuses: {e}"),
        (Err(e), Ok(_)) => assert!(matches!(e.kind, DocumentErrorKind::DuplicateKey { .. }), "{e}"),
        (Err(e), Err(_)) => assert!(!e.to_string().is_empty()),
    }
    if let Ok(event) = strict {
        validate(&event);
    }
}

/// Reads the bytes as a file would be read, with `format` (`None`: detected).
fn read(data: &[u8], format: Option<InputFormat>) {
    let Ok(reader) = EventReader::from_reader("fuzz", Box::new(Cursor::new(data.to_vec())), format) else {
        // Not UTF-8, for a whole document: an input error, fine.
        return;
    };
    for item in reader.take(MAX_EVENTS) {
        match item {
            Ok((position, Raw::Text(line))) => {
                assert!(matches!(position.locator, Locator::Line(n) if n > 0));
                match parse_line(&line, &position) {
                    Ok(event) => {
                        validate(&event);
                        check_fast(validator(), &line, Some(&event));
                        check_fast(real_validator(), &line, Some(&event));
                    }
                    Err(message) => {
                        check_fast(validator(), &line, None);
                        check_fast(real_validator(), &line, None);
                        assert!(!message.is_empty());
                    }
                }
            }
            Ok((_, Raw::Parsed(event))) => validate(&event),
            Ok((_, Raw::Malformed(message) | Raw::NotUtf8(_, message))) => assert!(!message.is_empty()),
            // Invalid UTF-8 in an NDJSON line: the reader stops there.
            Err(_) => break,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for format in [None, Some(InputFormat::Json), Some(InputFormat::Ndjson), Some(InputFormat::Yaml)] {
        read(data, format);
    }
    if let Ok(events) = eventgate::parse_body(data) {
        for event in events.iter().take(MAX_EVENTS) {
            validate(event);
        }
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    check_json(text);
    if let Ok(event) = parse_yaml_str(text, "fuzz.yaml") {
        validate(&event);
    }
    let position = Position { source: Arc::from("fuzz.ndjson"), locator: Locator::Line(7) };
    if let Err(message) = parse_line(text, &position) {
        assert!(message.starts_with("fuzz.ndjson"), "{message}");
    }
});
