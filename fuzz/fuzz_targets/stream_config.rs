//! Stream config parsing, and everything read from a parsed config, on
//! arbitrary bytes.
//!
//! The bytes are parsed with [`StreamConfigs::from_json_str`]; then, for every
//! entry: stream resolution (its own key must resolve to it), cc streams,
//! problems, warnings, the canonical `sample` block, the Metrics Platform
//! fields, and a [`Sampler`] for every client [`Profile`] deciding a few
//! identifiers. Keys and string settings are also tried as identifiers,
//! stream names and `KEY=VALUE` constraints. The same bytes go through
//! [`eventgate::parse_body`] (an EventGate request body). Nothing may panic,
//! overflow the stack or hang.

#![no_main]

use epc::constraint::Constraints;
use epc::eventgate;
use epc::identifier::Identifier;
use epc::sampling::{Profile, Sampler};
use epc::stream::{MatchKind, StreamConfig, StreamConfigs};
use libfuzzer_sys::fuzz_target;

/// At most this many entries are looked at in depth (cc'ing is quadratic in
/// the number of entries, by design: configs hold hundreds, not millions).
const MAX_ENTRIES: usize = 256;

/// Identifiers at the sampling boundaries (epc-spec.md §2.5).
const IDS: [&str; 5] = [
    "00000000000000000000",
    "33333333333333333333",
    "7fffffffffffffffffff",
    "80000000000000000000",
    "ffffffff-ffff-4fff-bfff-ffffffffffff",
];

/// Every sampler of one entry decides the boundary identifiers (and `extra`).
fn sample(entry: &StreamConfig, extra: Option<&Identifier>) {
    let ids: Vec<Identifier> = IDS.iter().map(|t| Identifier::parse(t).expect("a fixed identifier")).collect();
    for profile in Profile::ALL {
        let sampler = Sampler::for_stream(profile, Some(entry));
        assert_eq!(sampler.profile(), profile);
        if let Some(f) = sampler.expected_fraction() {
            assert!((0.0..=1.0).contains(&f), "{profile}: fraction {f}");
        }
        for id in ids.iter().chain(extra) {
            let decision = sampler.decide(id);
            let _ = decision.reason.describe(decision.in_sample, decision.value, sampler.rate());
        }
    }
}

/// Whatever can be read from one entry.
fn entry(configs: &StreamConfigs, entry: &StreamConfig) {
    let key = entry.key();
    if !entry.is_regex() {
        let resolved = configs.resolve(key).expect("an exact key resolves");
        assert_eq!(resolved.matched, MatchKind::Exact);
        assert_eq!(resolved.config.key(), key);
    }
    let cc = configs.cc_streams(key);
    assert!(!cc.contains(&key), "`{key}` is not its own cc stream");
    for child in configs.cc_children(key) {
        assert!(cc.contains(&child));
    }
    let _ = configs.suggest(key);
    for problem in entry.problems().iter().chain(&entry.warnings()) {
        assert_eq!(problem.stream, key);
        let _ = problem.to_string();
    }
    let _ = entry.sample();
    let _ = (entry.schema_title(), entry.destination_event_service(), entry.canary_events_enabled());
    let _ = (entry.topics(), entry.metrics_platform_events(), entry.provide_values(), entry.curation());
    // The key as an identifier, a stream name and a constraint.
    let id = Identifier::parse(key).ok();
    sample(entry, id.as_ref());
    let _ = configs.resolve(&format!("{key}.x"));
    if let Ok(constraints) = Constraints::parse(&[key]) {
        let _ = constraints.matches(entry);
        let _ = constraints.to_query_values();
    }
    if let Some(title) = entry.schema_title() {
        let _ = configs.resolve(title);
        if let Ok(constraints) = Constraints::parse(&[format!("schema_title={title}"), format!("stream={key}")]) {
            assert!(constraints.matches(entry), "`{key}` matches its own schema_title");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(events) = eventgate::parse_body(data) {
        assert!(!events.is_empty());
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(configs) = StreamConfigs::from_json_str(text, "fuzz.json") else { return };
    assert_eq!(configs.len(), configs.iter().count());
    for e in configs.iter().take(MAX_ENTRIES) {
        entry(&configs, e);
    }
    // An unconfigured stream.
    assert!(configs.get_exact("").is_none() || configs.iter().any(|e| e.key().is_empty()));
    let _ = Sampler::for_stream(Profile::Canonical, None);
});
