//! `epc serve`'s request path in the core, on arbitrary bytes: the body is
//! inflated per a Content-Encoding (the first byte picks identity, gzip,
//! deflate, br or none), parsed as EventGate parses it, each event judged
//! (fills, enrichment from the headers, stream check, validation against the
//! fixture schema repository and stream config) and the answer built; the
//! stream of every event goes through [`eventgate::stream_file_name`]: an
//! event whose stream can't be a file is refused alone, and two streams never
//! share a file.
//!
//! Nothing may panic or hang; every event gets one status; the answer's
//! status is one EventGate gives (201, 207, 400, 500), and an inflated body
//! is never over the limit.

#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use epc::eventgate::{self, Intake, RequestHeaders};
use epc::schema::repository::{SchemaRepository, SchemaResolver};
use epc::stream::StreamConfigs;
use epc::validate::EventValidator;
use libfuzzer_sys::fuzz_target;

/// The inflated-body limit (small, so that bombs are cheap to find).
const LIMIT: usize = 1 << 20;

fn intake() -> &'static Intake {
    static INTAKE: OnceLock<Intake> = OnceLock::new();
    INTAKE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("fixtures");
        let repo = SchemaRepository::open(root.join("schemas/primary")).expect("the fixture schema repository");
        let resolver = SchemaResolver::new(vec![repo], &[], false).expect("a resolver");
        let text =
            std::fs::read_to_string(root.join("streamconfigs-validate.json")).expect("the fixture stream config");
        let streams = StreamConfigs::from_json_str(&text, "streamconfigs-validate.json").expect("stream config");
        Intake::new(EventValidator::new(Arc::new(resolver), Some(streams)))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else { return };
    let encoding = [None, Some("identity"), Some("gzip"), Some("deflate"), Some("br"), Some(" GZip ")]
        [usize::from(first) % 6];
    let inflated = match eventgate::inflate_body(body, encoding, LIMIT) {
        Ok(b) => b,
        Err(answer) => {
            assert!(matches!(answer.status, 400 | 413 | 415), "{}", answer.status);
            return;
        }
    };
    assert!(inflated.len() <= LIMIT.max(body.len()));
    let events = match eventgate::parse_body(&inflated) {
        Ok(events) => events,
        Err(answer) => {
            assert_eq!(answer.status, 400);
            return;
        }
    };
    let mut headers = RequestHeaders::new();
    headers.insert("user-agent", String::from_utf8_lossy(&body[..body.len().min(64)]).into_owned());
    headers.ensure_request_id();
    let count = events.len();
    let streams: Vec<String> = events
        .iter()
        .filter_map(|e| e.pointer("/meta/stream").and_then(|s| s.as_str()).map(str::to_owned))
        .collect();
    let mut statuses = intake().judge(events, &headers, SystemTime::UNIX_EPOCH);
    assert_eq!(statuses.len(), count);
    eventgate::refuse_unstorable_streams(&mut statuses);
    // Every event the intake would store has a file of its own.
    let mut files = std::collections::HashMap::new();
    for st in statuses.iter().filter(|s| s.status == "success") {
        // An event without a stream goes to the intake's `_no_stream` file.
        let Some(stream) = st.stream.as_deref() else { continue };
        let name = eventgate::stream_file_name(stream).expect("a stored event's stream has a file name");
        assert!(name.len() <= eventgate::MAX_FILE_NAME_BYTES);
        if let Some(other) = files.insert(name.clone(), stream.to_owned()) {
            assert_eq!(other, stream, "two streams share {name}");
        }
    }
    let answer = eventgate::answer(&statuses);
    assert!(matches!(answer.status, 201 | 207 | 400 | 500), "{}", answer.status);
    // The file-name mapping is one-to-one on every stream named, stored or not.
    for a in &streams {
        for b in &streams {
            if a != b {
                assert_ne!(eventgate::file_safe_stream(a), eventgate::file_safe_stream(b));
            }
        }
    }
});
