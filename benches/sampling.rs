//! Sampling throughput benchmarks.
//!
//! Measures the sampling hot paths in identifiers per second (Criterion's
//! `elements/s`); the goal is at least 20 million per second on one core:
//!
//! - `decide/prefix`: [`Sampler::is_in_sample_prefix`] over pre-generated prefixes;
//! - `decide/parse_and_decide`: [`Identifier::parse`] on 20-hex-character
//!   session ids, then [`Sampler::decide`];
//! - `simulate/count_in_sample`: [`count_in_sample`] over prefixes drawn from a [`SmallRng`],
//!   as `epc sample --simulate N` does.
//!
//! Run with `cargo bench --bench sampling -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use epc::identifier::Identifier;
use epc::sampling::{Profile, Sampler, SamplingRate, SamplingUnit, count_in_sample};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Prefixes decided per iteration of `decide/prefix` and drawn per iteration of `simulate`.
const PREFIXES: usize = 1_000_000;
/// Identifiers parsed and decided per iteration of `decide/parse_and_decide`.
const IDENTIFIERS: usize = 100_000;
/// The fixed seed, so every run measures the same inputs.
const SEED: u64 = 0x00e9_c5a3_91e5;

fn sampler() -> Sampler {
    let rate = SamplingRate::new(0.2).expect("0.2 is a valid rate");
    Sampler::for_rate(Profile::Canonical, SamplingUnit::Session, rate)
}

/// A 20-lower-case-hex-character session id (80 bits), as MediaWiki generates.
fn session_id(rng: &mut SmallRng) -> String {
    let high: u64 = rng.random();
    let low: u16 = rng.random();
    format!("{high:016x}{low:04x}")
}

fn decide(c: &mut Criterion) {
    let sampler = sampler();
    let mut rng = SmallRng::seed_from_u64(SEED);
    let prefixes: Vec<u32> = (0..PREFIXES).map(|_| rng.random::<u32>()).collect();
    let ids: Vec<String> = (0..IDENTIFIERS).map(|_| session_id(&mut rng)).collect();

    let mut group = c.benchmark_group("decide");

    group.throughput(Throughput::Elements(PREFIXES as u64));
    group.bench_function("prefix", |b| {
        b.iter(|| {
            let prefixes = black_box(prefixes.as_slice());
            prefixes.iter().filter(|&&p| sampler.is_in_sample_prefix(p)).count()
        });
    });

    group.throughput(Throughput::Elements(IDENTIFIERS as u64));
    group.bench_function("parse_and_decide", |b| {
        b.iter(|| {
            black_box(ids.as_slice())
                .iter()
                .filter(|text| {
                    let id = Identifier::parse(text).expect("generated ids are valid");
                    sampler.decide(&id).in_sample
                })
                .count()
        });
    });

    group.finish();
}

fn simulate(c: &mut Criterion) {
    let samplers = [sampler()];
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements(PREFIXES as u64));
    group.bench_function("count_in_sample", |b| {
        let mut rng = SmallRng::seed_from_u64(SEED);
        b.iter(|| count_in_sample(black_box(&samplers), (0..PREFIXES).map(|_| rng.random::<u32>())));
    });
    group.finish();
}

/// Runs every benchmark with Criterion configured from the command line; what
/// `criterion_group!` generates, written out because that macro's `pub fn` has
/// no documentation and the crate denies `missing_docs` in CI.
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    decide(&mut criterion);
    simulate(&mut criterion);
}

criterion_main!(benches);
