//! Sampling: deciding whether an identifier is in-sample for a stream.
//!
//! Every rate sampler of the EPC clients computes
//! `value = (first 8 hex characters of the identifier) / 4294967295` and puts
//! the identifier in-sample iff `value < rate`, strictly (epc-spec.md §2.1).
//! They differ at the edges: which config key and field they read, what a
//! missing or invalid field means, and whether rate 1 short-circuits
//! (epc-spec.md §2.2). epc's default, the [`Profile::Canonical`] profile,
//! follows decisions.md ("Sampling (canonical)"); the other profiles reproduce
//! a real client exactly, so `epc sample --all-profiles` shows where they disagree.
//!
//! A [`Sampler`] is built once per (profile, stream config) pair and then
//! decides identifiers without allocating, which is what simulations and the
//! benchmarks measure.

use std::fmt;

use serde_json::Value;

use crate::identifier::{Identifier, normalise};
use crate::stream::{StreamConfig, json_type};

/// The sampling unit: which identifier a stream samples on (epc-spec.md §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamplingUnit {
    /// Per browser or app session (`mw.user.sessionId()`, the apps' session id).
    Session,
    /// Per pageview (`mw.user.getPageviewToken()`).
    Pageview,
    /// Per app install (`app_install_id`).
    Device,
}

impl SamplingUnit {
    /// All units, in the order epc lists them.
    pub const ALL: [Self; 3] = [Self::Session, Self::Pageview, Self::Device];

    /// The unit's name as written in stream config.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Pageview => "pageview",
            Self::Device => "device",
        }
    }

    /// Parses `session`, `pageview` or `device` (exact, lower case, as in stream config).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == text)
    }
}

impl fmt::Display for SamplingUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sampling rate, a fraction in `[0, 1]` (validated on construction).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct SamplingRate(f64);

/// A rate that is not a finite number in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rate `{0}` is not a number between 0 and 1")]
pub struct RateError(pub String);

impl SamplingRate {
    /// A rate from a fraction.
    ///
    /// # Errors
    /// [`RateError`] unless `0 <= rate <= 1` and finite.
    pub fn new(rate: f64) -> Result<Self, RateError> {
        // `+ 0.0` turns -0 into 0, so a rate never prints as `-0`.
        if rate.is_finite() && (0.0..=1.0).contains(&rate) {
            Ok(Self(rate + 0.0))
        } else {
            Err(RateError(rate.to_string()))
        }
    }

    /// The fraction.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl std::str::FromStr for SamplingRate {
    type Err = RateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse::<f64>().ok().and_then(|r| Self::new(r).ok()).ok_or_else(|| RateError(s.to_owned()))
    }
}

/// A valid `sample: {unit, rate}` block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingConfig {
    /// The sampling unit.
    pub unit: SamplingUnit,
    /// The rate.
    pub rate: SamplingRate,
}

/// Why a `sample` block is invalid; names the field (decisions.md).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplingProblem {
    /// `sample` is not an object.
    #[error("must be an object with `unit` and `rate`, found {0}")]
    NotAnObject(&'static str),
    /// `sample.unit` is absent.
    #[error("is missing (expected session, pageview or device)")]
    UnitMissing,
    /// `sample.unit` is not one of the units.
    #[error("is {0}, expected session, pageview or device")]
    UnitUnknown(String),
    /// `sample.rate` is absent.
    #[error("is missing (expected a number between 0 and 1)")]
    RateMissing,
    /// `sample.rate` is not a JSON number (strings are never coerced).
    #[error("is {0}, expected a number between 0 and 1")]
    RateNotNumber(&'static str),
    /// `sample.rate` is below 0 or above 1.
    #[error("is {0}, outside 0..1")]
    RateOutOfRange(String),
}

impl SamplingProblem {
    /// The dotted field the problem is about: `sample`, `sample.unit` or `sample.rate`.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotAnObject(_) => "sample",
            Self::UnitMissing | Self::UnitUnknown(_) => "sample.unit",
            Self::RateMissing | Self::RateNotNumber(_) | Self::RateOutOfRange(_) => "sample.rate",
        }
    }
}

impl SamplingConfig {
    /// Reads a `sample` block strictly: an object whose `unit` is one of the
    /// units and whose `rate` is a JSON number in `[0, 1]` (integer `1` is fine).
    ///
    /// # Errors
    /// The first [`SamplingProblem`] found, unit before rate.
    pub fn from_json(value: &Value) -> Result<Self, SamplingProblem> {
        let obj = value.as_object().ok_or(SamplingProblem::NotAnObject(json_type(value)))?;
        let unit = match obj.get("unit") {
            None | Some(Value::Null) => return Err(SamplingProblem::UnitMissing),
            Some(Value::String(s)) => {
                SamplingUnit::parse(s).ok_or_else(|| SamplingProblem::UnitUnknown(format!("`{s}`")))?
            }
            Some(other) => return Err(SamplingProblem::UnitUnknown(json_type(other).to_owned())),
        };
        let rate = match obj.get("rate") {
            None | Some(Value::Null) => return Err(SamplingProblem::RateMissing),
            Some(Value::Number(n)) => {
                let r = n.as_f64().unwrap_or(f64::NAN);
                SamplingRate::new(r).map_err(|_| SamplingProblem::RateOutOfRange(n.to_string()))?
            }
            Some(other) => return Err(SamplingProblem::RateNotNumber(json_type(other))),
        };
        Ok(Self { unit, rate })
    }
}

/// The canonical comparison: in-sample iff `value < rate`, except that rate
/// `>= 1` is always in and rate `0` always out (decisions.md).
#[must_use]
#[inline]
pub fn is_in_sample(value: f64, rate: f64) -> bool {
    rate >= 1.0 || value < rate
}

/// The legacy "1 in N" rule (`populationSize`, epc-spec.md §2.4): in-sample iff
/// the first 8 hex characters, as a number, are divisible by `population`;
/// population 0 is never in-sample (JavaScript's `x % 0` is `NaN`).
#[must_use]
pub fn is_in_sample_one_in_n(prefix: u32, population: u64) -> bool {
    population != 0 && u64::from(prefix) % population == 0
}

/// A sampling behaviour: epc's canonical rule or a real client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// epc's default (decisions.md): `sample {unit, rate}`, strict validation,
    /// rate 1 always in, rate 0 always out.
    Canonical,
    /// Metrics Platform JS (and MediaWiki's JS client since 2021): invalid or
    /// zero rate out, rate 1 compared, `device` unit out on the web.
    MpJs,
    /// Metrics Platform Java: reads `sample.identifier` (not `unit`), needs
    /// `producers.metrics_platform_client`, short-circuits rates 0 and 1.
    MpJava,
    /// The Android app's own EPC (2022-07 on): missing unit means session,
    /// missing rate means 1, unknown unit samples on a fresh random UUID.
    Android,
    /// The Android app's Kotlin port of MP-Java ("testkitchen", 2026 on).
    AndroidTk,
    /// The iOS app's EPC: reads the legacy `sampling {identifier, rate}`.
    Ios,
}

impl Profile {
    /// Every profile, canonical first.
    pub const ALL: [Self; 6] = [Self::Canonical, Self::MpJs, Self::MpJava, Self::Android, Self::AndroidTk, Self::Ios];

    /// The profile's name on the command line and in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Canonical => "canonical",
            Self::MpJs => "mp-js",
            Self::MpJava => "mp-java",
            Self::Android => "android",
            Self::AndroidTk => "android-tk",
            Self::Ios => "ios",
        }
    }

    /// Parses a profile name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// `value < rate` (in) or `value >= rate` (out).
    Compared,
    /// Rate 1 (or more): always in.
    RateOne,
    /// Rate 0: always out.
    RateZero,
    /// No sampling block: in.
    NoSampleConfig,
    /// The stream is not in the stream config: out.
    NotConfigured,
    /// The sampling block is invalid: out. Carries the field and the message.
    InvalidConfig {
        /// Dotted field, e.g. `sample.rate`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The unit is valid config but the client has no such identifier: out.
    UnitNotSupported(String),
    /// The client would throw while deciding (e.g. MP-Java's null identifier);
    /// the event is lost, so: out.
    ClientException(String),
    /// The client decides on a fresh random identifier for every event.
    Random(String),
    /// The client ignores the sampling block it was given: in.
    SampleIgnored(String),
    /// The legacy 1-in-N rule.
    OneInN(u64),
}

impl Reason {
    /// A stable snake_case code for JSON output.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Compared => "compared",
            Self::RateOne => "rate_one",
            Self::RateZero => "rate_zero",
            Self::NoSampleConfig => "no_sample_config",
            Self::NotConfigured => "not_configured",
            Self::InvalidConfig { .. } => "invalid_config",
            Self::UnitNotSupported(_) => "unit_not_supported",
            Self::ClientException(_) => "client_exception",
            Self::Random(_) => "random",
            Self::SampleIgnored(_) => "sample_ignored",
            Self::OneInN(_) => "one_in_n",
        }
    }

    /// A one-line description, given the decision and the compared value/rate.
    #[must_use]
    pub fn describe(&self, in_sample: bool, value: f64, rate: Option<f64>) -> String {
        match self {
            Self::Compared => {
                let r = rate.unwrap_or(f64::NAN);
                if in_sample { format!("{value} < {r}") } else { format!("{value} >= {r}") }
            }
            Self::RateOne => "rate 1: always in-sample".into(),
            Self::RateZero => "rate 0: always out-of-sample".into(),
            Self::NoSampleConfig => "no sampling config: always in-sample".into(),
            Self::NotConfigured => "stream not configured: out-of-sample".into(),
            Self::InvalidConfig { field, message } => {
                format!("invalid config: `{field}` {message}")
            }
            Self::UnitNotSupported(s) | Self::ClientException(s) | Self::Random(s) | Self::SampleIgnored(s) => {
                s.clone()
            }
            Self::OneInN(n) => {
                if *n == 0 {
                    "1 in 0: never in-sample".into()
                } else {
                    format!("prefix mod {n} {} 0", if in_sample { "==" } else { "!=" })
                }
            }
        }
    }
}

/// One sampling decision for one identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// In-sample or not.
    pub in_sample: bool,
    /// Why.
    pub reason: Reason,
    /// The normalised value of the identifier, `[0, 1]`.
    pub value: f64,
}

/// How a sampler decides, fixed when it is built.
#[derive(Debug, Clone, PartialEq)]
enum Rule {
    Fixed(bool, Reason),
    /// In iff `value < rate`; `short_circuit_one` puts rate 1 in.
    Compare {
        rate: f64,
        short_circuit_one: bool,
    },
    /// In iff a fresh random value `< rate`.
    Random {
        rate: f64,
        why: String,
    },
}

/// A sampling decision procedure for one stream under one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampler {
    profile: Profile,
    unit: Option<String>,
    rate: Option<f64>,
    rule: Rule,
}

impl Sampler {
    /// Builds the sampler for a stream's config (`None`: the stream is not
    /// configured) under `profile`, following epc-spec.md §2.2 column by column.
    #[must_use]
    pub fn for_stream(profile: Profile, config: Option<&StreamConfig>) -> Self {
        let Some(config) = config else {
            return Self { profile, unit: None, rate: None, rule: Rule::Fixed(false, Reason::NotConfigured) };
        };
        match profile {
            Profile::Canonical => canonical(config.sample_raw()),
            Profile::MpJs => mp_js(config.sample_raw()),
            Profile::MpJava => mp_java(config.sample_raw(), config.metrics_platform_client().is_some()),
            Profile::Android => app_kotlin(config.sample_raw(), true),
            Profile::AndroidTk => app_kotlin(config.sample_raw(), false),
            Profile::Ios => ios(config.legacy_sampling_raw()),
        }
        .with_profile(profile)
    }

    /// Builds the sampler for a bare `{unit, rate}`, as if the stream were
    /// configured with that unit and rate in the form each client reads
    /// (`epc sample --rate R --unit U`): `sample: {unit, rate}` for most,
    /// `sample.identifier` under a Metrics Platform producer for MP-Java, and
    /// the legacy `sampling: {identifier, rate}` for iOS. What a client makes of
    /// the production form of a real stream is shown by [`Sampler::for_stream`].
    #[must_use]
    pub fn for_rate(profile: Profile, unit: SamplingUnit, rate: SamplingRate) -> Self {
        let (unit, rate) = (unit.as_str(), rate.get());
        let settings = serde_json::json!({
            "sample": {"unit": unit, "identifier": unit, "rate": rate},
            "sampling": {"identifier": unit, "rate": rate},
            "producers": {"metrics_platform_client": {}},
        });
        let serde_json::Value::Object(settings) = settings else { unreachable!("a JSON object literal") };
        Self::for_stream(profile, Some(&StreamConfig::new("", settings)))
    }

    fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Whether it decides by comparing an identifier's value with the rate
    /// (else the decision is fixed or random, and no identifier is read).
    #[must_use]
    pub fn compares(&self) -> bool {
        matches!(self.rule, Rule::Compare { .. })
    }

    /// The profile.
    #[must_use]
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The unit the client reads, as configured (also an unknown one), if any.
    #[must_use]
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The rate the client reads, if it reads a number.
    #[must_use]
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Whether the identifier with this numeric prefix is in-sample (the hot path).
    #[must_use]
    #[inline]
    pub fn is_in_sample_prefix(&self, prefix: u32) -> bool {
        match &self.rule {
            Rule::Fixed(in_sample, _) => *in_sample,
            Rule::Compare { rate, short_circuit_one } => {
                (*short_circuit_one && *rate >= 1.0) || normalise(prefix) < *rate
            }
            Rule::Random { rate, .. } => {
                let mut b = [0u8; 4];
                getrandom::fill(&mut b).is_ok() && normalise(u32::from_be_bytes(b)) < *rate
            }
        }
    }

    /// Decides one identifier, with the reason.
    #[must_use]
    pub fn decide(&self, id: &Identifier) -> Decision {
        let in_sample = self.is_in_sample_prefix(id.prefix());
        let reason = match &self.rule {
            Rule::Fixed(_, reason) => reason.clone(),
            Rule::Compare { rate, short_circuit_one } => {
                if *rate >= 1.0 && *short_circuit_one {
                    Reason::RateOne
                } else {
                    Reason::Compared
                }
            }
            Rule::Random { why, .. } => Reason::Random(why.clone()),
        };
        Decision { in_sample, reason, value: id.value() }
    }

    /// The exact fraction of all identifiers in-sample under this sampler:
    /// the count of 32-bit prefixes that are in, over 2^32 (`None` for random rules).
    #[must_use]
    pub fn expected_fraction(&self) -> Option<f64> {
        let count = match &self.rule {
            Rule::Fixed(true, _) => 1u64 << 32,
            Rule::Fixed(false, _) => 0,
            Rule::Compare { rate, short_circuit_one } => {
                if *short_circuit_one && *rate >= 1.0 {
                    1u64 << 32
                } else {
                    threshold(*rate)
                }
            }
            Rule::Random { .. } => return None,
        };
        #[allow(clippy::cast_precision_loss)]
        Some(count as f64 / 4_294_967_296.0)
    }
}

/// The number of prefixes `p` with `normalise(p) < rate`.
fn threshold(rate: f64) -> u64 {
    if rate.is_nan() || rate <= 0.0 {
        return 0;
    }
    if rate > 1.0 {
        return 1 << 32;
    }
    // Estimate, then correct with the exact f64 comparison used by the sampler.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let mut t = (rate * f64::from(u32::MAX)).floor().clamp(0.0, f64::from(u32::MAX)) as u64;
    while t > 0 && normalise(u32::try_from(t - 1).unwrap_or(u32::MAX)) >= rate {
        t -= 1;
    }
    while t <= u64::from(u32::MAX) && normalise(u32::try_from(t).unwrap_or(u32::MAX)) < rate {
        t += 1;
    }
    t
}

fn fixed(in_sample: bool, reason: Reason, unit: Option<String>, rate: Option<f64>) -> Sampler {
    Sampler { profile: Profile::Canonical, unit, rate, rule: Rule::Fixed(in_sample, reason) }
}

fn compare(unit: Option<String>, rate: f64, short_circuit_one: bool) -> Sampler {
    Sampler { profile: Profile::Canonical, unit, rate: Some(rate), rule: Rule::Compare { rate, short_circuit_one } }
}

fn invalid(field: &str, message: impl Into<String>, unit: Option<String>, rate: Option<f64>) -> Sampler {
    fixed(false, Reason::InvalidConfig { field: field.into(), message: message.into() }, unit, rate)
}

fn unit_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// decisions.md, "Sampling (canonical)".
fn canonical(sample: Option<&Value>) -> Sampler {
    let Some(sample) = sample else {
        return fixed(true, Reason::NoSampleConfig, None, None);
    };
    let unit = unit_text(sample.get("unit"));
    let rate = sample.get("rate").and_then(Value::as_f64);
    match SamplingConfig::from_json(sample) {
        Err(p) => invalid(p.field(), p.to_string(), unit, rate),
        Ok(c) if c.rate.get() >= 1.0 => fixed(true, Reason::RateOne, unit, rate),
        Ok(c) if c.rate.get() == 0.0 => fixed(false, Reason::RateZero, unit, rate),
        Ok(c) => compare(unit, c.rate.get(), true),
    }
}

/// JavaScript truthiness of a JSON value (`undefined`, `null`, `false`, `0`,
/// `NaN` and `""` are falsy; every array and object is truthy).
#[must_use]
pub fn js_truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// JavaScript's `Number(v)` (ECMA-262 ToNumber) for a JSON value: `null` is 0,
/// booleans 0 and 1, a string by StringToNumber (white space trimmed, empty is
/// 0, `0x`/`0o`/`0b` integers, `Infinity` with a sign, decimal literals; else
/// `NaN`), an array through its `toString` (elements joined by `,`: `[0.5]` is
/// 0.5, `[]` is 0), an object `NaN`. MP-JS compares rates this way (case
/// `rate: "0x1"` is 1).
#[must_use]
pub fn js_number(v: Option<&Value>) -> f64 {
    match v {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => js_string_to_number(s),
        Some(Value::Array(items)) => js_string_to_number(&js_array_string(items)),
        Some(Value::Object(_)) => f64::NAN,
    }
}

/// `Array.prototype.toString`: elements' strings joined by `,` (`null` as "").
fn js_array_string(items: &[Value]) -> String {
    items
        .iter()
        .map(|v| match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Array(inner) => js_array_string(inner),
            Value::Object(_) => "[object Object]".to_owned(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// ECMA-262 StringToNumber.
fn js_string_to_number(text: &str) -> f64 {
    // ECMAScript WhiteSpace and LineTerminator (not U+0085, which Rust's is_whitespace includes).
    let js_space = |c: char| {
        matches!(
            c,
            '\t' | '\n'
                | '\u{b}'
                | '\u{c}'
                | '\r'
                | ' '
                | '\u{a0}'
                | '\u{1680}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
                | '\u{2000}'..='\u{200a}'
        )
    };
    let t = text.trim_matches(js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = t.strip_prefix(prefix) {
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return f64::NAN;
            }
            return digits
                .chars()
                .fold(0.0, |acc, c| acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0)));
        }
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    // A decimal literal: digits, one dot, an exponent; no `inf`/`nan` words, no `_`.
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = !mantissa.is_empty()
        && mantissa != "."
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.matches('.').count() <= 1;
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    if mantissa_ok && exponent_ok { t.parse().unwrap_or(f64::NAN) } else { f64::NAN }
}

/// MP-JS `StreamConfig.isValidSample` (MPL `js/src/StreamConfig.js` at 351eaee):
/// `!!(sample && sample.unit && sample.rate && sample.rate >= 0 && sample.rate <= 1)`,
/// with JavaScript's coercions (a string or one-element-array rate counts).
#[must_use]
pub fn mp_js_valid_sample(sample: &Value) -> bool {
    if !js_truthy(Some(sample)) || !js_truthy(sample.get("unit")) || !js_truthy(sample.get("rate")) {
        return false;
    }
    let rate = js_number(sample.get("rate"));
    (0.0..=1.0).contains(&rate)
}

/// MP-JS `SamplingController.isStreamInSample` with `StreamConfig.isValidSample`
/// (epc-spec.md §2.2, column "MW-JS-EPC 2021 / MP-JS").
fn mp_js(sample: Option<&Value>) -> Sampler {
    // `if ( !streamConfig.sample ) return true;`: a falsy block (`false`, `0`, `""`) is no sampling.
    let Some(sample) = sample.filter(|s| js_truthy(Some(s))) else {
        return fixed(true, Reason::NoSampleConfig, None, None);
    };
    let unit = unit_text(sample.get("unit"));
    let rate_v = sample.get("rate");
    let rate = js_number(rate_v);
    let shown_rate = rate.is_finite().then_some(rate);
    if !js_truthy(sample.get("unit")) {
        return invalid("sample.unit", "is missing or falsy, so MP-JS treats the config as invalid", unit, shown_rate);
    }
    if !js_truthy(rate_v) {
        return invalid(
            "sample.rate",
            "is missing or falsy (0 counts), so MP-JS treats the config as invalid",
            unit,
            shown_rate,
        );
    }
    if !(0.0..=1.0).contains(&rate) {
        return invalid("sample.rate", "is outside 0..1, so MP-JS treats the config as invalid", unit, shown_rate);
    }
    match unit.as_deref() {
        Some("pageview" | "session") => compare(unit, rate, false),
        _ => fixed(
            false,
            Reason::UnitNotSupported(format!(
                "unit `{}` has no identifier on the web: out-of-sample",
                unit.as_deref().unwrap_or("?")
            )),
            unit,
            shown_rate,
        ),
    }
}

/// MP-Java `SamplingController.isInSample` with Gson-bound `SampleConfig`
/// (epc-spec.md §2.2, column "MP-Java", and §9 item 2).
fn mp_java(sample: Option<&Value>, has_mp_producer: bool) -> Sampler {
    let Some(sample) = sample else {
        return fixed(true, Reason::NoSampleConfig, None, None);
    };
    if !has_mp_producer {
        return fixed(
            true,
            Reason::SampleIgnored(
                "MP-Java ignores `sample` without producers.metrics_platform_client: always in-sample".into(),
            ),
            None,
            None,
        );
    }
    let identifier = sample.get("identifier").and_then(Value::as_str).filter(|s| SamplingUnit::parse(s).is_some());
    let unit = identifier.map(str::to_owned);
    // Gson: a missing rate is the primitive default 0.0; a numeric string is read leniently.
    let rate = match sample.get("rate") {
        None | Some(Value::Null) => 0.0,
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(r) => r,
            Err(_) => {
                return fixed(
                    false,
                    Reason::ClientException(format!(
                        "Gson cannot read rate \"{s}\" as a double: the config fails to load"
                    )),
                    unit,
                    None,
                );
            }
        },
        Some(other) => {
            return fixed(
                false,
                Reason::ClientException(format!(
                    "Gson cannot read {} as a double: the config fails to load",
                    json_type(other)
                )),
                unit,
                None,
            );
        }
    };
    if rate == 0.0 {
        return fixed(false, Reason::RateZero, unit, Some(rate));
    }
    if rate == 1.0 {
        return fixed(true, Reason::RateOne, unit, Some(rate));
    }
    if identifier.is_none() {
        return fixed(
            false,
            Reason::ClientException(
                "MP-Java binds `sample.identifier`, not `unit`: null identifier, NullPointerException, event lost"
                    .into(),
            ),
            unit_text(sample.get("identifier")),
            Some(rate),
        );
    }
    compare(unit, rate, false)
}

/// The Android app's Kotlin samplers: AND-EPC (`random_unknown_unit`) and
/// AND-TK (epc-spec.md §2.2, columns "AND-EPC (2022-07+)" and "AND-TK").
fn app_kotlin(sample: Option<&Value>, random_unknown_unit: bool) -> Sampler {
    let Some(sample) = sample else {
        return fixed(true, Reason::NoSampleConfig, None, None);
    };
    let unit = match sample.get("unit") {
        None | Some(Value::Null) => "session".to_owned(),
        Some(v) => unit_text(Some(v)).unwrap_or_default(),
    };
    let rate = match sample.get("rate") {
        None | Some(Value::Null) => 1.0,
        Some(Value::Number(n)) => n.as_f64().unwrap_or(1.0),
        Some(other) => {
            return fixed(
                false,
                Reason::ClientException(format!(
                    "rate is {}: the app cannot decode the stream config",
                    json_type(other)
                )),
                Some(unit),
                None,
            );
        }
    };
    if rate == 0.0 {
        return fixed(false, Reason::RateZero, Some(unit), Some(rate));
    }
    if rate == 1.0 {
        return fixed(true, Reason::RateOne, Some(unit), Some(rate));
    }
    if SamplingUnit::parse(&unit).is_none() {
        if random_unknown_unit {
            return Sampler {
                profile: Profile::Canonical,
                unit: Some(unit.clone()),
                rate: Some(rate),
                rule: Rule::Random {
                    rate,
                    why: format!("unknown unit `{unit}`: the app decides on a fresh random UUID for every event"),
                },
            };
        }
        return fixed(
            false,
            Reason::UnitNotSupported(format!("unknown unit `{unit}`: out-of-sample")),
            Some(unit),
            Some(rate),
        );
    }
    compare(Some(unit), rate, false)
}

/// The iOS app's `SamplingController` over `sampling {identifier, rate}`
/// (epc-spec.md §2.2, column "IOS-EPC").
fn ios(sampling: Option<&Value>) -> Sampler {
    let Some(sampling) = sampling else {
        return fixed(true, Reason::NoSampleConfig, None, None);
    };
    let unit = match sampling.get("identifier") {
        None | Some(Value::Null) => "session".to_owned(),
        Some(v) => unit_text(Some(v)).unwrap_or_default(),
    };
    let Some(rate) = sampling.get("rate").and_then(Value::as_f64) else {
        return fixed(true, Reason::NoSampleConfig, Some(unit), None);
    };
    if !matches!(unit.as_str(), "session" | "device") {
        return fixed(
            false,
            Reason::UnitNotSupported(format!("iOS has no `{unit}` identifier: out-of-sample")),
            Some(unit),
            Some(rate),
        );
    }
    compare(Some(unit), rate, false)
}

/// The result of drawing random identifiers and counting how many are in-sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Identifiers drawn.
    pub draws: u64,
    /// How many were in-sample.
    pub in_sample: u64,
    /// The exact expected fraction, when the rule is deterministic.
    pub expected: Option<f64>,
    /// The lower bound of the 95% Wilson score interval of the realised fraction.
    pub ci_low: f64,
    /// The upper bound of that interval.
    pub ci_high: f64,
}

impl Simulation {
    /// `in_sample / draws` (0 when nothing was drawn).
    #[must_use]
    pub fn fraction(&self) -> f64 {
        if self.draws == 0 {
            0.0
        } else {
            #[allow(clippy::cast_precision_loss)]
            {
                self.in_sample as f64 / self.draws as f64
            }
        }
    }
}

/// Counts how many of `prefixes` are in-sample for each sampler, in one pass;
/// returns the counts (one per sampler) and the number of prefixes drawn.
///
/// The prefixes stand for whole identifiers: every decision reads only the
/// first 32 bits, so drawing them directly is the same as drawing 80-bit ids.
#[must_use]
pub fn count_in_sample(samplers: &[Sampler], prefixes: impl Iterator<Item = u32>) -> (Vec<u64>, u64) {
    let mut counts = vec![0u64; samplers.len()];
    let mut draws = 0u64;
    for p in prefixes {
        draws += 1;
        for (c, s) in counts.iter_mut().zip(samplers) {
            *c += u64::from(s.is_in_sample_prefix(p));
        }
    }
    (counts, draws)
}

impl Simulation {
    /// The simulation result of `in_sample` in-sample identifiers out of `draws` for `sampler`.
    #[must_use]
    pub fn new(sampler: &Sampler, draws: u64, in_sample: u64) -> Self {
        let (ci_low, ci_high) = wilson_interval(in_sample, draws);
        Self { draws, in_sample, expected: sampler.expected_fraction(), ci_low, ci_high }
    }
}

/// Draws every prefix from `prefixes` and returns one [`Simulation`] per sampler.
#[must_use]
pub fn simulate(samplers: &[Sampler], prefixes: impl Iterator<Item = u32>) -> Vec<Simulation> {
    let (counts, draws) = count_in_sample(samplers, prefixes);
    samplers.iter().zip(counts).map(|(s, k)| Simulation::new(s, draws, k)).collect()
}

/// The 95% Wilson score interval for `k` successes in `n` trials.
#[must_use]
pub fn wilson_interval(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    const Z: f64 = 1.959_963_984_540_054;
    #[allow(clippy::cast_precision_loss)]
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // Exact ends when every draw agrees (rounding would leave 2e-19 or 0.9999999999999999).
    let low = if k == 0.0 { 0.0 } else { (centre - half).max(0.0) };
    let high = if k == n { 1.0 } else { (centre + half).min(1.0) };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stream(settings: Value) -> StreamConfig {
        StreamConfig::new("s", settings.as_object().unwrap().clone())
    }

    #[track_caller]
    fn decide(profile: Profile, settings: Value, id: &str) -> Decision {
        Sampler::for_stream(profile, Some(&stream(settings))).decide(&Identifier::parse(id).unwrap())
    }

    #[track_caller]
    fn check(profile: Profile, settings: Value, id: &str, in_sample: bool, reason: &str) {
        let d = decide(profile, settings.clone(), id);
        assert_eq!((d.in_sample, d.reason.code()), (in_sample, reason), "{profile} {settings} {id}: {d:?}");
    }

    fn s(unit: &str, rate: f64) -> Value {
        json!({"sample": {"unit": unit, "rate": rate}})
    }

    /// epc-spec.md §2.5, column "JS / Swift / iOS" and "Java / Kotlin".
    #[test]
    fn spec_test_vectors_canonical() {
        use Profile::Canonical as C;
        for rate in [0.01, 0.1, 0.5, 1.0] {
            check(
                C,
                s("session", rate),
                "00000000000000000ddd",
                true,
                if rate >= 1.0 { "rate_one" } else { "compared" },
            );
        }
        check(C, s("session", 1.0), "eeeeeeeeeeeeeeeeeeee", true, "rate_one");
        check(C, s("session", 0.933_333_333_333_333_3), "eeeeeeeeeeeeeeeeeeee", false, "compared");
        check(C, s("device", 1.0), "ffffffff-ffff-ffff-ffff-ffffffffffff", true, "rate_one");
        check(C, s("session", 1.0), "fffffffe000000000000", true, "rate_one");
        check(C, s("session", 0.5), "7fffffff000000000000", true, "compared");
        check(C, s("session", 0.5), "80000000000000000000", false, "compared");
        check(C, s("session", 0.1), "19999999000000000000", true, "compared");
        check(C, s("session", 0.1), "1999999a000000000000", false, "compared");
        check(C, s("session", 0.2), "33333333333333333333", false, "compared");
        check(C, s("session", 0.6), "99999999000000000000", false, "compared");
        check(C, s("session", 0.8), "cccccccc000000000000", false, "compared");
        check(C, s("session", 0.0), "00000000000000000000", false, "rate_zero");
        check(C, json!({}), "ffffffff", true, "no_sample_config");
        let d = Sampler::for_stream(C, None).decide(&Identifier::parse("00000000").unwrap());
        assert_eq!((d.in_sample, d.reason), (false, Reason::NotConfigured));
    }

    #[test]
    fn canonical_invalid_configs_are_out_and_name_the_field() {
        use Profile::Canonical as C;
        let field = |settings: Value| match decide(C, settings, "00000000").reason {
            Reason::InvalidConfig { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(json!({"sample": {"unit": "session", "rate": 5}})), "sample.rate");
        assert_eq!(field(json!({"sample": {"unit": "session", "rate": -0.1}})), "sample.rate");
        assert_eq!(field(json!({"sample": {"unit": "session", "rate": "0.5"}})), "sample.rate");
        assert_eq!(field(json!({"sample": {"unit": "session"}})), "sample.rate");
        assert_eq!(field(json!({"sample": {"unit": "coelacanth", "rate": 0.5}})), "sample.unit");
        assert_eq!(field(json!({"sample": {"rate": 0.5}})), "sample.unit");
        assert_eq!(field(json!({"sample": []})), "sample");
        // Integer 1 is a valid rate, as in production config.
        check(C, json!({"sample": {"unit": "device", "rate": 1}}), "ffffffff", true, "rate_one");
        // A legacy `sampling` block alone does not sample.
        check(C, json!({"sampling": {"identifier": "session", "rate": 0.0}}), "ffffffff", true, "no_sample_config");
    }

    #[test]
    fn js_number_is_ecmascript_to_number() {
        use serde_json::json;
        let n = |v: Value| js_number(Some(&v));
        assert!((n(json!("0x1")) - 1.0).abs() < f64::EPSILON);
        assert!((n(json!(" 0.5 ")) - 0.5).abs() < f64::EPSILON);
        assert!((n(json!("1e-1")) - 0.1).abs() < f64::EPSILON);
        assert!((n(json!([0.5])) - 0.5).abs() < f64::EPSILON);
        assert!((n(json!(".5")) - 0.5).abs() < f64::EPSILON);
        assert_eq!(n(json!("")), 0.0);
        assert_eq!(n(json!([])), 0.0);
        assert_eq!(n(json!(null)), 0.0);
        assert_eq!(n(json!(true)), 1.0);
        assert_eq!(n(json!("Infinity")), f64::INFINITY);
        for nan in
            [json!("inf"), json!("nan"), json!("0x"), json!("1_0"), json!([1, 2]), json!({}), json!("."), json!("1e")]
        {
            assert!(n(nan.clone()).is_nan(), "{nan}");
        }
        assert!(js_number(None).is_nan());
    }

    #[test]
    fn mp_js_reads_a_falsy_sample_block_as_no_sampling_and_coerces_rates() {
        use serde_json::json;
        // MPL js/src/SamplingController.js at 351eaee: `if ( !streamConfig.sample ) return true;`
        for sample in [json!(false), json!(0), json!("")] {
            let config = StreamConfig::new("s", json!({"sample": sample}).as_object().unwrap().clone());
            let d = Sampler::for_stream(Profile::MpJs, Some(&config)).decide(&Identifier::parse("ffffffff").unwrap());
            assert!(d.in_sample, "{sample}");
            assert_eq!(d.reason, Reason::NoSampleConfig);
        }
        // StreamConfig.js isValidSample with JS coercion: "0x1" and [0.5] are valid rates.
        assert!(mp_js_valid_sample(&json!({"unit": "session", "rate": "0x1"})));
        assert!(mp_js_valid_sample(&json!({"unit": "session", "rate": [0.5]})));
        assert!(!mp_js_valid_sample(&json!({"unit": "session", "rate": 0})));
        assert!(!mp_js_valid_sample(&json!({"unit": "session", "rate": "2"})));
        assert!(!mp_js_valid_sample(&json!(false)));
        let config =
            StreamConfig::new("s", json!({"sample": {"unit": "session", "rate": [0.5]}}).as_object().unwrap().clone());
        let sampler = Sampler::for_stream(Profile::MpJs, Some(&config));
        assert!(sampler.decide(&Identifier::parse("7fffffff").unwrap()).in_sample);
        assert!(!sampler.decide(&Identifier::parse("80000000").unwrap()).in_sample);
    }

    #[test]
    fn mp_js_differs_at_rate_one_rate_zero_and_bad_configs() {
        use Profile::MpJs as J;
        check(J, s("device", 1.0), "ffffffff-ffff-ffff-ffff-ffffffffffff", false, "unit_not_supported");
        check(J, s("session", 1.0), "ffffffffffffffffffff", false, "compared");
        check(J, s("session", 1.0), "fffffffe000000000000", true, "compared");
        check(J, s("session", 0.0), "00000000000000000000", false, "invalid_config");
        check(J, s("session", 5.0), "00000000000000000000", false, "invalid_config");
        check(J, s("coelacanth", 0.5), "00000000000000000000", false, "unit_not_supported");
        check(J, json!({"sample": {"rate": 0.5}}), "00000000", false, "invalid_config");
        check(J, json!({}), "ffffffff", true, "no_sample_config");
        check(J, s("pageview", 0.2), "33333333333333333333", false, "compared");
        check(J, s("pageview", 0.5), "7fffffff000000000000", true, "compared");
    }

    #[test]
    fn mp_java_reads_identifier_needs_producer_and_short_circuits() {
        use Profile::MpJava as M;
        let mp = |sample: Value| json!({"sample": sample, "producers": {"metrics_platform_client": {}}});
        check(
            M,
            mp(json!({"identifier": "device", "rate": 1.0})),
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            true,
            "rate_one",
        );
        check(M, mp(json!({"identifier": "session", "rate": 0.5})), "80000000", false, "compared");
        check(M, mp(json!({"identifier": "session", "rate": 5})), "ffffffff", true, "compared");
        // Production config says `unit`, which MP-Java does not bind.
        check(M, mp(json!({"unit": "session", "rate": 0.5})), "00000000", false, "client_exception");
        check(M, mp(json!({"unit": "session", "rate": 1})), "ffffffff", true, "rate_one");
        check(M, mp(json!({"unit": "session"})), "00000000", false, "rate_zero");
        // Without the MP producer block, `sample` is ignored.
        check(M, s("session", 0.0), "00000000", true, "sample_ignored");
    }

    #[test]
    fn android_defaults_missing_fields_and_randomises_unknown_units() {
        use Profile::{Android as A, AndroidTk as T};
        check(A, json!({"sample": {"rate": 0.5}}), "7fffffff", true, "compared");
        check(A, json!({"sample": {"unit": "device"}}), "ffffffff", true, "rate_one");
        check(A, s("session", 5.0), "ffffffff", true, "compared");
        check(A, s("session", -1.0), "00000000", false, "compared");
        check(A, s("device", 1.0), "ffffffff", true, "rate_one");
        let d = decide(A, s("coelacanth", 0.5), "00000000");
        assert_eq!(d.reason.code(), "random");
        check(T, s("coelacanth", 0.5), "00000000", false, "unit_not_supported");
        check(T, json!({"sample": {"rate": 0.5}}), "80000000", false, "compared");
    }

    #[test]
    fn ios_reads_legacy_sampling_only() {
        use Profile::Ios as I;
        check(I, s("session", 0.0), "ffffffff", true, "no_sample_config");
        check(I, json!({"sampling": {"identifier": "session", "rate": 0.5}}), "80000000", false, "compared");
        check(I, json!({"sampling": {"identifier": "device", "rate": 1.0}}), "ffffffff", false, "compared");
        check(I, json!({"sampling": {"rate": 0.5}}), "7fffffff", true, "compared");
        check(I, json!({"sampling": {"identifier": "session"}}), "ffffffff", true, "no_sample_config");
        check(I, json!({"sampling": {"identifier": "pageview", "rate": 0.5}}), "00000000", false, "unit_not_supported");
    }

    #[test]
    fn legacy_one_in_n_vectors() {
        // EL:tests/qunit/ext.eventLogging/utils.test.js, via epc-spec.md §2.5.
        assert!(is_in_sample_one_in_n(0xf4240, 10));
        assert!(!is_in_sample_one_in_n(0xf4241, 10));
        assert!(is_in_sample_one_in_n(0x3b9a_ca00, 1));
        assert!(!is_in_sample_one_in_n(0x3b9a_ca00, 7));
        assert!(!is_in_sample_one_in_n(0, 0));
        assert!(is_in_sample_one_in_n(12345, 1));
    }

    #[test]
    fn rates_parse_strictly() {
        assert_eq!("0.2".parse::<SamplingRate>().unwrap().get(), 0.2);
        assert_eq!("1".parse::<SamplingRate>().unwrap().get(), 1.0);
        for bad in ["1.5", "-0.1", "NaN", "inf", "x", ""] {
            assert!(bad.parse::<SamplingRate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn expected_fraction_counts_prefixes_exactly() {
        let c = |rate: f64, p: Profile| Sampler::for_rate(p, SamplingUnit::Session, SamplingRate::new(rate).unwrap());
        assert_eq!(c(1.0, Profile::Canonical).expected_fraction(), Some(1.0));
        assert_eq!(c(0.0, Profile::Canonical).expected_fraction(), Some(0.0));
        // 0.5: prefixes 0..=0x7fffffff are in.
        assert_eq!(c(0.5, Profile::Canonical).expected_fraction(), Some(0.5));
        // 0.2: 0x33333333 is exactly 0.2 and out, so 0x33333333 prefixes are in.
        assert_eq!(c(0.2, Profile::Canonical).expected_fraction(), Some(f64::from(0x3333_3333u32) / 4_294_967_296.0));
        // mp-js compares at rate 1: only ffffffff is out.
        assert_eq!(c(1.0, Profile::MpJs).expected_fraction(), Some(1.0 - 1.0 / 4_294_967_296.0));
    }

    #[test]
    fn simulation_counts_and_interval() {
        let sampler = Sampler::for_rate(Profile::Canonical, SamplingUnit::Session, SamplingRate::new(0.5).unwrap());
        let sims = simulate(&[sampler], [0u32, 0x7fff_ffff, 0x8000_0000, u32::MAX].into_iter());
        assert_eq!((sims[0].draws, sims[0].in_sample), (4, 2));
        assert_eq!(sims[0].fraction(), 0.5);
        let (lo, hi) = wilson_interval(500, 1000);
        assert!((lo - 0.469_1).abs() < 1e-3 && (hi - 0.530_9).abs() < 1e-3, "{lo} {hi}");
        assert_eq!(wilson_interval(0, 0), (0.0, 1.0));
        assert_eq!(wilson_interval(0, 1000).0, 0.0);
        assert_eq!(wilson_interval(10, 10).1, 1.0);
    }
}
