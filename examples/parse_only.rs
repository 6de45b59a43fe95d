//! Baseline for `scripts/bench-validate.sh`: parses every line of an NDJSON
//! file into a `serde_json::Value` (the same crate and features epc uses) and
//! does nothing else. Prints the event count and the parse rate on stderr.
//!
//! It uses the allocator epc uses (mimalloc), so that the ratio compares the
//! work done, not the allocators.
//!
//! Usage: `cargo run --release --example parse_only -- FILE.ndjson`

use std::io::{BufRead, BufReader};
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse_only FILE.ndjson");
        std::process::exit(2);
    };
    let start = Instant::now();
    let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let (mut events, mut malformed) = (0_u64, 0_u64);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        let text = line.trim_end();
        if !text.is_empty() {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => {
                    events += 1;
                    std::hint::black_box(value);
                }
                Err(_) => malformed += 1,
            }
        }
        line.clear();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{events}");
    eprintln!(
        "parse_only: {events} events ({malformed} malformed) in {secs:.3} s: {:.0} events/s",
        events as f64 / secs
    );
    Ok(())
}
