//! `epc send`'s reading of an intake's answer, on arbitrary bytes.
//!
//! The first byte picks the status (201, 202, 207, 400, 500), the rest is the
//! answer's body, read by [`intake::read_statuses`] against a fixed batch of
//! three events (two of them equal). The same bytes, as text, go through
//! [`intake::parse_retry_after`]. Nothing may panic; an answer that is read
//! gives exactly one outcome per event of the batch, and for a 207 or 400 it
//! lists at least one event (else it is not EventGate's shape).

#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use epc::intake;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn batch() -> &'static [Value] {
    static BATCH: OnceLock<Vec<Value>> = OnceLock::new();
    BATCH.get_or_init(|| {
        vec![
            json!({"$schema": "/test/event/1.0.0", "meta": {"stream": "s"}, "n": 1}),
            json!({"$schema": "/test/event/1.0.0", "meta": {"stream": "s"}, "n": 1}),
            json!({"$schema": "/test/event/1.0.0", "meta": {"stream": "s", "dt": "x"}, "n": [2, {"a": null}]}),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else { return };
    let status = [201u16, 202, 207, 400, 500][usize::from(first) % 5];
    match intake::read_statuses(batch(), status, body) {
        Ok((outcomes, unattributed)) => {
            assert_eq!(outcomes.len(), batch().len());
            let listed = outcomes.iter().filter(|o| !o.is_accepted()).count() + unattributed.len();
            if matches!(status, 207 | 400) {
                // An answer that lists nothing is not EventGate's shape: it is never read as one.
                assert!(listed > 0, "{outcomes:?}");
            }
        }
        Err(why) => assert!(!why.is_empty()),
    }
    if let Ok(text) = std::str::from_utf8(body) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let _ = intake::parse_retry_after(text, now);
    }
    let _ = intake::answer_limit(body.len());
});
