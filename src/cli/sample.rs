//! `epc sample`: sampling decisions for identifiers and a stream (with its cc
//! streams) or a bare rate, under one profile or all of them.
//!
//! JSON records (`--format json` wraps them in `{"results": [...], "summary": {...}}`):
//!
//! - decision: `{"type":"decision","stream","cc_stream","unit","rate","identifier","value",
//!   "in_sample","reason","reason_detail","profile"}`, plus with `--all-profiles`
//!   `"profiles_agree"` and `"differs_from_canonical"`; with `--population N`,
//!   `"population"` and `"prefix"`;
//! - simulation: `{"type":"simulation","stream","unit","rate","profile","draws","in_sample",
//!   "fraction","expected","ci_low","ci_high","expected_within_ci"}`.

use anyhow::{Result, anyhow};
use clap::Args;
use comfy_table::Cell;
use rand::{Rng, SeedableRng, rngs::SmallRng};
use serde_json::{Value, json};

use super::{ExitStatus, Hinted, StreamConfigArgs, read_lines};
use crate::output::{Printer, table};
use epc::constraint::Constraints;
use epc::identifier::Identifier;
use epc::sampling::{
    Profile, Reason, Sampler, SamplingRate, SamplingUnit, Simulation, count_in_sample, is_in_sample_one_in_n,
};

/// Arguments of `epc sample`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["stream", "rate", "population"])))]
pub(crate) struct SampleArgs {
    /// The stream whose config decides (its cc streams are decided too).
    #[arg(long, value_name = "STREAM", add = clap_complete::ArgValueCompleter::new(super::completions::stream_names))]
    stream: Option<String>,
    /// Decide at this rate (0..1) without stream config.
    #[arg(long, value_name = "RATE", conflicts_with_all = ["stream", "population"], value_parser = parse_rate, allow_negative_numbers = true)]
    rate: Option<SamplingRate>,
    /// The sampling unit that goes with --rate: session (the default), pageview or device.
    #[arg(long, value_name = "UNIT", requires = "rate", conflicts_with_all = ["stream", "population"], value_parser = parse_unit)]
    unit: Option<SamplingUnit>,
    /// An identifier to decide: 8+ hex characters or a UUID (repeatable).
    #[arg(long = "id", value_name = "ID")]
    ids: Vec<String>,
    /// Read identifiers from a file, one per line (`-` for stdin; blank lines and `#` comments skipped).
    #[arg(long = "ids", value_name = "FILE|-")]
    ids_file: Option<String>,
    /// Decide as this client does: canonical, mp-js, mp-java, android, android-tk, ios.
    #[arg(long, value_name = "PROFILE", default_value = "canonical", value_parser = parse_profile)]
    profile: Profile,
    /// One row per profile, and mark where the profiles disagree.
    #[arg(long, conflicts_with = "profile")]
    all_profiles: bool,
    /// The legacy 1-in-N rule (`populationSize`): in-sample iff the hex prefix is divisible by N.
    #[arg(long, value_name = "N", conflicts_with_all = ["stream", "all_profiles", "profile"], value_parser = parse_population)]
    population: Option<u64>,
    /// Draw N random identifiers and report the realised in-sample fraction with a 95% interval.
    #[arg(long, value_name = "N", conflicts_with_all = ["population", "ids", "ids_file"],
          value_parser = clap::value_parser!(u64).range(1..), allow_negative_numbers = true)]
    simulate: Option<u64>,
    /// Seed for --simulate, 0 to 2^53-1 (default: random, printed on stderr).
    #[arg(long, value_name = "SEED", requires = "simulate", allow_negative_numbers = true, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Decide only the stream itself, not its cc streams.
    #[arg(long)]
    no_cc: bool,
    #[command(flatten)]
    source: StreamConfigArgs,
}

fn parse_rate(text: &str) -> Result<SamplingRate, String> {
    text.parse::<SamplingRate>().map_err(|e| e.to_string())
}

fn parse_unit(text: &str) -> Result<SamplingUnit, String> {
    SamplingUnit::parse(text).ok_or_else(|| format!("unit `{text}` is not one of session, pageview, device"))
}

/// Seeds are below 2^53 so that JSON readers that hold numbers as doubles
/// (jq, JavaScript) read a reported seed back exactly.
pub(crate) const MAX_SEED: u64 = (1 << 53) - 1;

fn parse_seed(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(seed) if seed <= MAX_SEED => Ok(seed),
        Ok(_) => Err(format!(
            "seed `{text}` is above 2^53-1 ({MAX_SEED}): JSON readers such as jq would round it, so a reported run could not be repeated"
        )),
        Err(_) => Err(format!("seed `{text}` is not a whole number from 0 to 2^53-1 ({MAX_SEED})")),
    }
}

/// The legacy `populationSize` N: at least 1 (1 in 0 would put nothing in
/// sample: JavaScript's `x % 0` is NaN).
fn parse_population(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("population 0 puts nothing in sample (JavaScript's x % 0 is NaN); give N of 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("population `{text}` is not a whole number of 1 or more")),
    }
}

/// Parses `--profile`, with a did-you-mean for near misses (`mpjs`, `MP_JS`, `androd`).
pub(crate) fn parse_profile(text: &str) -> Result<Profile, String> {
    Profile::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
        let mut message = format!("profile `{text}` is not one of {}", names.join(", "));
        if let Some(near) = suggest_profile(text) {
            message.push_str(&format!("; did you mean `{near}`?"));
        }
        message
    })
}

/// The profile `text` most likely meant: the same letters without `-`/`_`
/// and case, else the closest name within two edits.
fn suggest_profile(text: &str) -> Option<&'static str> {
    let squash = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    let wanted = squash(text);
    if wanted.is_empty() {
        return None;
    }
    Profile::ALL.iter().map(|p| p.as_str()).find(|p| squash(p) == wanted).or_else(|| {
        Profile::ALL
            .iter()
            .map(|p| (strsim::damerau_levenshtein(&wanted, &squash(p.as_str())), p.as_str()))
            .filter(|(d, _)| *d <= 2)
            .min_by_key(|(d, _)| *d)
            .map(|(_, p)| p)
    })
}

/// One stream to decide (or the bare rate), with its samplers per profile.
struct Target {
    stream: Option<String>,
    cc_stream: bool,
    samplers: Vec<Sampler>,
}

pub(crate) fn run(args: &SampleArgs, printer: &Printer) -> Result<ExitStatus> {
    if args.stream.is_some() && args.source.stream_config == "-" && args.ids_file.as_deref() == Some("-") {
        return Err(Hinted::error(
            "--stream-config - and --ids - cannot both read standard input",
            Some("put the stream config or the identifiers in a file".into()),
        ));
    }
    if args.seed.is_some() && args.simulate.is_none() {
        return Err(Hinted::error(
            "--seed is only for --simulate N",
            Some("add --simulate N to draw N random identifiers from that seed, or drop --seed".into()),
        ));
    }
    let ids = collect_ids(args)?;
    if ids.is_empty() && args.simulate.is_none() {
        return Err(Hinted::error(
            "no identifiers to decide",
            Some("pass --id ID (repeatable), --ids FILE, or --simulate N".into()),
        ));
    }
    if let Some(n) = args.population {
        return population(n, &ids, printer);
    }
    let profiles: Vec<Profile> = if args.all_profiles { Profile::ALL.to_vec() } else { vec![args.profile] };
    let (targets, findings) = targets(args, &profiles, printer)?;
    if let Some(n) = args.simulate {
        simulate(args, n, &targets, printer)?;
    } else {
        decide(&ids, &targets, args.all_profiles, printer)?;
    }
    Ok(if findings { ExitStatus::Findings } else { ExitStatus::Success })
}

fn collect_ids(args: &SampleArgs) -> Result<Vec<Identifier>> {
    let mut ids = Vec::new();
    for text in &args.ids {
        ids.push(Identifier::parse(text)?);
    }
    if let Some(file) = &args.ids_file {
        for (line, text) in read_lines(file)? {
            ids.push(Identifier::parse(&text).map_err(|e| anyhow!("{file}:{line}: {e}"))?);
        }
    }
    Ok(ids)
}

/// The streams to decide and whether any has a config problem (exit 1).
fn targets(args: &SampleArgs, profiles: &[Profile], printer: &Printer) -> Result<(Vec<Target>, bool)> {
    let Some(stream) = &args.stream else {
        let rate = args.rate.expect("clap requires --stream, --rate or --population");
        let unit = args.unit.unwrap_or(SamplingUnit::Session);
        let samplers = profiles.iter().map(|&p| Sampler::for_rate(p, unit, rate)).collect();
        return Ok((vec![Target { stream: None, cc_stream: false, samplers }], false));
    };
    let loaded = args.source.load(printer, &[], &Constraints::default())?;
    let configs = &loaded.configs;
    let resolved = configs.resolve(stream);
    let cc = if args.no_cc { Vec::new() } else { configs.cc_streams(stream) };
    if resolved.is_none() && cc.is_empty() {
        let hint = configs
            .suggest(stream)
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| Some("run `epc streams` to list the configured streams".into()));
        return Err(Hinted::error(
            format!("stream `{stream}` is not configured in {}", args.source.stream_config),
            hint,
        ));
    }
    let mut findings = false;
    let mut out = Vec::new();
    if resolved.is_none() {
        printer.warning(format!("stream `{stream}` is not configured: out-of-sample; its cc streams still get copies"));
    }
    let mut report = |config: Option<&epc::stream::StreamConfig>| {
        if let Some(c) = config {
            for p in c.problems() {
                printer.warning(format!("config problem: {p}"));
                findings = true;
            }
            // The legacy-`sampling` warning is about the canonical profile; iOS applies the block.
            if profiles != [Profile::Ios] {
                for w in c.warnings() {
                    printer.warning(w);
                }
            }
        }
    };
    let main_config = resolved.map(|r| r.config);
    report(main_config);
    out.push(Target {
        stream: Some(stream.clone()),
        cc_stream: false,
        samplers: profiles.iter().map(|&p| Sampler::for_stream(p, main_config)).collect(),
    });
    for child in cc {
        let config = configs.get_exact(child);
        report(config);
        out.push(Target {
            stream: Some(child.to_owned()),
            cc_stream: true,
            samplers: profiles.iter().map(|&p| Sampler::for_stream(p, config)).collect(),
        });
    }
    Ok((out, findings))
}

fn rate_json(rate: Option<f64>) -> Value {
    rate.map_or(Value::Null, |r| json!(r))
}

fn fmt_opt(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn decide(ids: &[Identifier], targets: &[Target], all_profiles: bool, printer: &Printer) -> Result<()> {
    let mut header = vec!["stream", "unit", "rate", "identifier", "value", "in sample", "reason"];
    if all_profiles {
        header.extend(["profile", "agree"]);
    }
    let mut sink = printer.sink("results", &header)?;
    let (mut decisions, mut in_count) = (0usize, 0usize);
    for id in ids {
        for target in targets {
            let outcomes: Vec<_> = target.samplers.iter().map(|s| s.decide(id)).collect();
            let canonical = outcomes[0].in_sample;
            let agree = outcomes.iter().all(|d| d.in_sample == canonical);
            for (sampler, d) in target.samplers.iter().zip(&outcomes) {
                decisions += 1;
                in_count += usize::from(d.in_sample);
                let mut r = json!({
                    "type": "decision",
                    "stream": target.stream,
                    "cc_stream": target.cc_stream,
                    "unit": sampler.unit(),
                    "rate": rate_json(sampler.rate()),
                    "identifier": id.as_str(),
                    "value": d.value,
                    "in_sample": d.in_sample,
                    "reason": d.reason.code(),
                    "reason_detail": d.reason.describe(d.in_sample, d.value, sampler.rate()),
                    "profile": sampler.profile().as_str(),
                });
                if all_profiles {
                    r["profiles_agree"] = json!(agree);
                    r["differs_from_canonical"] = json!(d.in_sample != canonical);
                }
                sink.push(r, |r| decision_row(printer, r, all_profiles))?;
            }
        }
    }
    let summary = json!({"type": "summary", "identifiers": ids.len(), "decisions": decisions, "in_sample": in_count});
    sink.finish(summary)?;
    printer.note(format!(
        "{decisions} {} for {} {}: {in_count} in-sample",
        plural(decisions, "decision", "decisions"),
        ids.len(),
        plural(ids.len(), "identifier", "identifiers")
    ));
    Ok(())
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn decision_row(printer: &Printer, r: &Value, all_profiles: bool) -> Vec<Cell> {
    let stream = r["stream"].as_str().map_or_else(
        || "-".to_owned(),
        |s| {
            if r["cc_stream"] == json!(true) { format!("↳ {s}") } else { s.to_owned() }
        },
    );
    let mut row = vec![
        Cell::new(stream),
        Cell::new(fmt_opt(r["unit"].as_str())),
        Cell::new(fmt_opt(r["rate"].as_f64())),
        Cell::new(r["identifier"].as_str().unwrap_or_default()),
        Cell::new(r["value"].as_f64().unwrap_or_default()),
        table::in_out(printer, r["in_sample"] == json!(true)),
        Cell::new(r["reason_detail"].as_str().unwrap_or_default()),
    ];
    if all_profiles {
        row.push(Cell::new(r["profile"].as_str().unwrap_or_default()));
        row.push(if r["differs_from_canonical"] == json!(true) {
            table::alert(printer, "DIFFERS")
        } else if r["profiles_agree"] == json!(false) {
            Cell::new("·")
        } else {
            Cell::new("")
        });
    }
    row
}

/// Prints records (see [`Printer::records`]) under the `results` key.
fn emit(
    printer: &Printer,
    records: Vec<Value>,
    summary: Value,
    table: impl FnOnce(&Printer, &[Value]) -> comfy_table::Table,
) -> Result<()> {
    printer.records("results", records, summary, |records| {
        (!records.is_empty()).then(|| table::render(&table(printer, records)))
    })?;
    Ok(())
}

fn population(n: u64, ids: &[Identifier], printer: &Printer) -> Result<ExitStatus> {
    let mut records = Vec::new();
    let mut in_count = 0usize;
    for id in ids {
        let in_sample = is_in_sample_one_in_n(id.prefix(), n);
        in_count += usize::from(in_sample);
        let reason = Reason::OneInN(n);
        records.push(json!({
            "type": "decision",
            "stream": null,
            "cc_stream": false,
            "unit": null,
            "rate": if n == 0 { Value::Null } else { json!(1.0 / n as f64) },
            "identifier": id.as_str(),
            "value": id.value(),
            "prefix": id.prefix(),
            "population": n,
            "in_sample": in_sample,
            "reason": reason.code(),
            "reason_detail": reason.describe(in_sample, id.value(), None),
            "profile": "legacy-1-in-n",
        }));
    }
    let summary =
        json!({"type": "summary", "identifiers": ids.len(), "decisions": records.len(), "in_sample": in_count});
    emit(printer, records, summary, |printer, records| {
        let mut t = table::new(printer, &["identifier", "prefix", "population", "in sample", "reason"]);
        for r in records {
            t.add_row(vec![
                Cell::new(r["identifier"].as_str().unwrap_or_default()),
                Cell::new(r["prefix"].as_u64().unwrap_or_default()),
                Cell::new(n),
                table::in_out(printer, r["in_sample"] == json!(true)),
                Cell::new(r["reason_detail"].as_str().unwrap_or_default()),
            ]);
        }
        t
    })?;
    printer.note(format!(
        "1 in {n}: {in_count} of {} in-sample",
        super::count_of(ids.len() as u64, "identifier", "identifiers")
    ));
    Ok(ExitStatus::Success)
}

/// Identifiers drawn per progress step.
const CHUNK: u64 = 1 << 22;

fn simulate(args: &SampleArgs, n: u64, targets: &[Target], printer: &Printer) -> Result<()> {
    let seed = match args.seed {
        Some(s) => s,
        None => {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).map_err(|e| anyhow!("the operating system's random generator failed: {e}"))?;
            u64::from_le_bytes(b) & MAX_SEED
        }
    };
    printer.note(format!("simulating {n} random identifiers with seed {seed} (repeat with --seed {seed})"));
    let samplers: Vec<Sampler> = targets.iter().flat_map(|t| t.samplers.iter().cloned()).collect();
    let mut rng = SmallRng::seed_from_u64(seed);
    let bar = printer.progress_allowed().then(|| {
        let bar = indicatif::ProgressBar::new(n);
        bar.set_style(crate::output::whole_per_sec(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} identifiers ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ));
        bar
    });
    let mut totals = vec![0u64; samplers.len()];
    let mut drawn = 0u64;
    while drawn < n {
        let step = CHUNK.min(n - drawn);
        let (counts, k) = count_in_sample(&samplers, (0..step).map(|_| rng.random::<u32>()));
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
        drawn += k;
        if let Some(bar) = &bar {
            bar.set_position(drawn);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut records = Vec::new();
    let mut i = 0;
    for target in targets {
        for sampler in &target.samplers {
            let sim = Simulation::new(sampler, drawn, totals[i]);
            i += 1;
            let reference = sim.expected.or(sampler.rate());
            records.push(json!({
                "type": "simulation",
                "stream": target.stream,
                "cc_stream": target.cc_stream,
                "unit": sampler.unit(),
                "rate": rate_json(sampler.rate()),
                "profile": sampler.profile().as_str(),
                "draws": sim.draws,
                "in_sample": sim.in_sample,
                "fraction": sim.fraction(),
                "expected": sim.expected,
                "ci_low": sim.ci_low,
                "ci_high": sim.ci_high,
                "expected_within_ci": reference.map(|r| sim.ci_low <= r && r <= sim.ci_high),
                "seed": seed,
            }));
        }
    }
    let summary = json!({"type": "summary", "draws": drawn, "seed": seed, "simulations": records.len()});
    emit(printer, records, summary, |printer, records| {
        let mut t = table::new(
            printer,
            &[
                "stream",
                "profile",
                "unit",
                "rate",
                "draws",
                "in sample",
                "fraction",
                "expected",
                "95% interval",
                "expected in interval",
            ],
        );
        for r in records {
            t.add_row(vec![
                Cell::new(r["stream"].as_str().unwrap_or("-")),
                Cell::new(r["profile"].as_str().unwrap_or_default()),
                Cell::new(fmt_opt(r["unit"].as_str())),
                Cell::new(fmt_opt(r["rate"].as_f64())),
                Cell::new(r["draws"].as_u64().unwrap_or_default()),
                Cell::new(r["in_sample"].as_u64().unwrap_or_default()),
                Cell::new(format!("{:.6}", r["fraction"].as_f64().unwrap_or_default())),
                Cell::new(r["expected"].as_f64().map_or_else(|| "-".into(), |e| format!("{e:.6}"))),
                Cell::new(format!(
                    "[{:.6}, {:.6}]",
                    r["ci_low"].as_f64().unwrap_or_default(),
                    r["ci_high"].as_f64().unwrap_or_default()
                )),
                match r["expected_within_ci"].as_bool() {
                    Some(true) => Cell::new("yes"),
                    Some(false) => table::alert(printer, "NO"),
                    None => Cell::new("-"),
                },
            ]);
        }
        t
    })?;
    Ok(())
}
