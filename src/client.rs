//! The Event Platform Client as a library: what a client does to an event
//! before the network, and how its copies are batched for the intake.
//!
//! - [`Client::plan`]: the stream and its cc streams, each with its sampling
//!   decision on the identifier of the unit it samples on (decisions.md,
//!   "Sampling" and "Stream cc'ing"), and the intake the stream's
//!   `destination_event_service` names ([`IntakeChoice`]).
//! - [`Client::submit`]: decorates one event ([`crate::event::decorate`]),
//!   applies the stream's curation rules to Metrics Platform interactions, and
//!   makes one [`StreamCopy`] per stream to send.
//! - [`Client::check`]: validates a copy as the intake will see it: the
//!   intake's fills ([`Intake::fill`]: `meta.dt`, `meta.id`, header
//!   enrichment, schema defaults) go onto a scratch copy; the copy itself stays
//!   what a client sends.
//! - [`Batcher`]: groups copies into POST bodies of at most N events and B bytes.
//!
//! Nothing here prints or touches the network; `epc send` renders the plan and
//! delivers the batches with [`crate::intake::EventGate`]. See
//! `examples/submit.rs` for a program that embeds it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::event::{self, DecorateError, Decoration, Identifiers};
use crate::eventgate::{Intake, RequestHeaders};
use crate::identifier::{Identifier, IdentifierError};
use crate::intake::{ANALYTICS_INTAKE, Encoded, LOGGING_INTAKE};
use crate::sampling::{Decision, Profile, Sampler, SamplingConfig, SamplingUnit};
use crate::schema::SchemaUri;
use crate::schema::repository::SchemaResolver;
use crate::stream::{StreamConfig, StreamConfigs};
use crate::validate::EventReport;

/// What a client holds for a run: identifiers and what decoration adds.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The sampling profile (epc's canonical rule by default).
    pub profile: Profile,
    /// The identifiers: sampling units and identifier fields.
    pub ids: Identifiers,
    /// `meta.domain` for every event.
    pub domain: Option<String>,
    /// The `$schema` every event gets (an event's own must agree).
    pub schema: Option<String>,
    /// Identifier fields the schema declares (`web_session_id`, …).
    pub id_fields: Vec<String>,
    /// Build copies for out-of-sample streams too.
    pub ignore_sampling: bool,
    /// Send interactions that fail the stream's curation rules.
    pub ignore_curation: bool,
    /// The stream alone, no cc streams.
    pub no_cc: bool,
}

/// A stream an event goes to, with its sampling decision.
#[derive(Debug, Clone)]
pub struct Target {
    /// The stream.
    pub stream: String,
    /// Whether it is the submitted stream (else a cc stream).
    pub is_cc: bool,
    /// The unit it samples on, when its `sample` block is valid.
    pub unit: Option<SamplingUnit>,
    /// The identifier decided on.
    pub identifier: String,
    /// The decision (in-sample or not, and why).
    pub decision: Decision,
    /// The sampler's rate, for messages.
    pub rate: Option<f64>,
}

/// Where a stream's events go, from its `destination_event_service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeChoice {
    /// A public intake (`eventgate-analytics-external`, `eventgate-logging-external`).
    Public {
        /// The service.
        service: String,
        /// Its `…/v1/events` URL.
        url: &'static str,
    },
    /// A known internal service, not reachable from outside (`eventgate-main`, `eventgate-analytics`).
    Internal(String),
    /// A value that names no known event service (a typo: case 23).
    Unknown(String),
    /// No `destination_event_service` at all (or no stream config).
    Unset,
}

/// The stream and its cc streams, decided.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The submitted stream.
    pub stream: String,
    /// Whether the submitted stream itself is configured.
    pub configured: bool,
    /// The stream and its cc streams, in order, each with its decision.
    pub targets: Vec<Target>,
    /// The intake of the first configured target.
    pub intake: IntakeChoice,
    /// MP-JS's redirect (`producers.metrics_platform_client.stream_name`), under
    /// profiles that apply it: the target stream, and whether it is configured
    /// (MP-JS drops the event silently when it is not).
    pub redirect: Option<(String, bool)>,
}

impl Plan {
    /// The targets that get a copy (in-sample, or all with `ignore_sampling`).
    pub fn sending(&self, ignore_sampling: bool) -> impl Iterator<Item = &Target> {
        self.targets.iter().filter(move |t| t.decision.in_sample || ignore_sampling)
    }

    /// The sampling units some target samples on.
    #[must_use]
    pub fn units(&self) -> Vec<SamplingUnit> {
        let mut units: Vec<SamplingUnit> = Vec::new();
        for u in self.targets.iter().filter_map(|t| t.unit) {
            if !units.contains(&u) {
                units.push(u);
            }
        }
        units
    }
}

/// Why a plan cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The stream is not configured and has no configured cc stream.
    #[error("stream `{stream}` is not configured")]
    NotConfigured {
        /// The stream.
        stream: String,
        /// A configured stream with a close name.
        suggestion: Option<String>,
    },
    /// An identifier does not parse for sampling.
    #[error("cannot sample stream `{stream}`: {source}")]
    Identifier {
        /// The stream.
        stream: String,
        /// Why.
        source: IdentifierError,
    },
}

/// One decorated copy of an event for one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamCopy {
    /// The stream (its `meta.stream`).
    pub stream: String,
    /// The event as a client sends it.
    pub event: Value,
}

/// Why an event gets no copy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// It cannot be decorated (not an object, `$schema` or `meta.stream` conflicts).
    #[error(transparent)]
    NotDecorated(#[from] DecorateError),
    /// It fails the stream's Metrics Platform curation rules (one message per rule).
    #[error("fails the stream's curation rules: {}", .0.join("; "))]
    CurationFailed(Vec<String>),
    /// MP-JS redirects the stream's events (`producers.metrics_platform_client.stream_name`)
    /// to a stream that is not configured, and drops them silently
    /// (MPL `js/src/MetricsClient.js` `processSubmitCall` at 351eaee).
    #[error(
        "the stream redirects to `{0}` (producers.metrics_platform_client.stream_name), which is not configured: MP-JS drops the event"
    )]
    RedirectTargetMissing(String),
}

impl Refusal {
    /// The delivery status of a refused event: `not_decorated`, `curation_failed` or `dropped`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotDecorated(_) => "not_decorated",
            Self::CurationFailed(_) => "curation_failed",
            Self::RedirectTargetMissing(_) => "dropped",
        }
    }
}

/// Which curation rules [`Client::submit`] applies
/// (`producers.metrics_platform_client.curation`, epc-spec.md §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curation {
    /// None (plain events).
    Off,
    /// MP-JS's rules ([`event::curation_failures`]).
    MpJs,
    /// MP-Java's typed rules ([`crate::app_event::app_curation_failures`]).
    MpJava,
}

/// The client: stream config (if any), the run's settings, and optionally
/// the schema repositories, to find the identifier fields of each event's own
/// `$schema`.
#[derive(Debug, Clone)]
pub struct Client {
    configs: Option<Arc<StreamConfigs>>,
    settings: ClientSettings,
    schemas: Option<Arc<SchemaResolver>>,
    /// Identifier fields per `$schema`, found once.
    id_fields: Arc<Mutex<HashMap<String, Vec<String>>>>,
    /// The units whose identifier filled an identifier field (bits: session 1, pageview 2, device 4).
    filled: Arc<AtomicU8>,
}

impl Client {
    /// A client; without stream config every event goes to the stream alone,
    /// unsampled and unchecked.
    #[must_use]
    pub fn new(configs: Option<Arc<StreamConfigs>>, settings: ClientSettings) -> Self {
        Self { configs, settings, schemas: None, id_fields: Arc::default(), filled: Arc::default() }
    }

    /// The same client, finding the identifier fields (`web_session_id`,
    /// `app_install_id`, …) of each event's own `$schema` in `schemas` when
    /// [`ClientSettings::schema`] does not name one.
    #[must_use]
    pub fn with_schemas(mut self, schemas: Arc<SchemaResolver>) -> Self {
        self.schemas = Some(schemas);
        self
    }

    /// The units whose identifier filled an identifier field of some event so far.
    #[must_use]
    pub fn filled_units(&self) -> Vec<SamplingUnit> {
        let bits = self.filled.load(Ordering::Relaxed);
        [(1, SamplingUnit::Session), (2, SamplingUnit::Pageview), (4, SamplingUnit::Device)]
            .into_iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, u)| u)
            .collect()
    }

    /// The identifier fields to fill in `event`: those of its `$schema` (or the
    /// settings' schema) when the repositories are known, else the settings'.
    fn id_fields_for(&self, event: &Value) -> Vec<String> {
        self.id_fields_for_schema(event.get("$schema").and_then(Value::as_str))
    }

    /// [`Self::id_fields_for`] an event whose `$schema` (when a string) is `event_schema`.
    fn id_fields_for_schema(&self, event_schema: Option<&str>) -> Vec<String> {
        let uri = self.settings.schema.as_deref().or(event_schema);
        let (Some(schemas), Some(uri)) = (&self.schemas, uri) else { return self.settings.id_fields.clone() };
        let mut cache = self.id_fields.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(hit) = cache.get(uri) {
            return hit.clone();
        }
        let fields = SchemaUri::parse(uri)
            .ok()
            .and_then(|u| schemas.resolve(&u).ok())
            .map(|doc| event::declared_id_fields(&doc.value))
            .unwrap_or_else(|| self.settings.id_fields.clone());
        if cache.len() < 1024 {
            cache.insert(uri.to_owned(), fields.clone());
        }
        fields
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// The stream config, if any.
    #[must_use]
    pub fn configs(&self) -> Option<&StreamConfigs> {
        self.configs.as_deref()
    }

    /// Decides the stream and its cc streams (see the module documentation).
    ///
    /// # Errors
    /// [`ClientError::NotConfigured`] when stream config is given and neither
    /// the stream nor any cc stream of it is configured;
    /// [`ClientError::Identifier`] when the identifier for a unit does not parse.
    pub fn plan(&self, stream: &str) -> Result<Plan, ClientError> {
        let Some(configs) = self.configs.as_deref() else {
            let decision = Decision { in_sample: true, reason: crate::sampling::Reason::NoSampleConfig, value: 0.0 };
            return Ok(Plan {
                stream: stream.to_owned(),
                configured: false,
                targets: vec![Target {
                    stream: stream.to_owned(),
                    is_cc: false,
                    unit: None,
                    identifier: self.settings.ids.session.clone(),
                    decision,
                    rate: None,
                }],
                intake: IntakeChoice::Unset,
                redirect: None,
            });
        };
        let main = configs.resolve(stream).map(|r| r.config);
        let rules = rules(self.settings.profile);
        let cc: Vec<String> = if self.settings.no_cc || !rules.cc {
            Vec::new()
        } else {
            configs.cc_streams(stream).into_iter().map(str::to_owned).collect()
        };
        if main.is_none() && cc.is_empty() {
            return Err(ClientError::NotConfigured {
                stream: stream.to_owned(),
                suggestion: configs.suggest(stream).map(str::to_owned),
            });
        }
        let mut entries: Vec<(String, bool, Option<&StreamConfig>)> = vec![(stream.to_owned(), false, main)];
        entries.extend(cc.iter().map(|s| (s.clone(), true, configs.get_exact(s))));
        let mut targets = Vec::new();
        for (name, is_cc, config) in entries {
            let sampler = Sampler::for_stream(self.settings.profile, config);
            // The unit as the profile's sampler reads it (`sample.unit`, or MP-Java's `identifier`).
            // The unit as the profile's sampler reads it (`sample.unit`, or MP-Java's
            // `identifier`), when it compares an identifier at all.
            let unit = match sampler.unit().filter(|_| sampler.compares()) {
                Some(u) => SamplingUnit::parse(u),
                None => match config.map(StreamConfig::sample) {
                    Some(Ok(Some(SamplingConfig { unit, .. }))) if sampler.compares() => Some(unit),
                    _ => None,
                },
            };
            let identifier =
                unit.map_or_else(|| self.settings.ids.session.clone(), |u| self.settings.ids.for_unit(u).to_owned());
            let id = Identifier::parse(&identifier)
                .map_err(|source| ClientError::Identifier { stream: name.clone(), source })?;
            let decision = sampler.decide(&id);
            targets.push(Target { stream: name, is_cc, unit, identifier, decision, rate: sampler.rate() });
        }
        let service = main
            .or_else(|| cc.iter().find_map(|s| configs.get_exact(s)))
            .and_then(|c| c.settings().get("destination_event_service"));
        let redirect = if rules.redirect {
            main.and_then(|c| c.get_path("producers.metrics_platform_client.stream_name"))
                .filter(|v| crate::sampling::js_truthy(Some(v)))
                .and_then(Value::as_str)
                // `getStreamConfigInternal` looks the target up by its exact key.
                .map(|target| (target.to_owned(), configs.get_exact(target).is_some()))
        } else {
            None
        };
        Ok(Plan {
            stream: stream.to_owned(),
            configured: main.is_some(),
            targets,
            intake: intake_choice(service),
            redirect,
        })
    }

    /// Decorates `event` for the plan's stream and makes a copy per stream to
    /// send; `now` is the `dt` given to events without one
    /// ([`event::format_dt`]); `curation` picks which client's curation rules
    /// apply (Metrics Platform interactions only).
    ///
    /// # Errors
    /// [`Refusal`] when the event cannot be decorated or fails curation.
    pub fn submit(
        &self,
        plan: &Plan,
        event: Value,
        now: String,
        curation: Curation,
    ) -> Result<Vec<StreamCopy>, Refusal> {
        let s = &self.settings;
        let id_fields = self.id_fields_for(&event);
        let missing: Vec<&String> = id_fields.iter().filter(|f| event.get(f.as_str()).is_none()).collect();
        let mut bits = 0;
        for f in missing {
            bits |= match f.as_str() {
                "web_session_id" | "app_session_id" => 1,
                "web_pageview_id" => 2,
                "app_install_id" => 4,
                _ => 0,
            };
        }
        let decoration = Decoration {
            stream: plan.stream.clone(),
            schema_uri: s.schema.clone(),
            domain: s.domain.clone(),
            now,
            ids: s.ids.clone(),
            id_fields,
        };
        let rules = rules(s.profile);
        let mut event = event;
        if rules.client_owns_meta_and_dt
            && let Value::Object(map) = &mut event
        {
            // MP-JS `processSubmitCall`/`addRequiredMetadata`: `dt` is the call time (in
            // place, unless `client_dt` makes it a legacy event), `meta.stream` and
            // `meta.domain` are overwritten (the domain removed when there is none).
            if !crate::sampling::js_truthy(map.get("client_dt"))
                && let Some(dt) = map.get_mut("dt")
            {
                *dt = Value::String(decoration.now.clone());
            }
            if let Some(Value::Object(meta)) = map.get_mut("meta") {
                // Assigned in place, as `eventData.meta.stream = streamName` keeps the key's position.
                if let Some(stream) = meta.get_mut("stream") {
                    *stream = Value::String(plan.stream.clone());
                }
                if decoration.domain.is_none() {
                    meta.shift_remove("domain");
                }
            }
        }
        let mut decorated = event::decorate(event, &decoration)?;
        self.filled.fetch_or(bits, Ordering::Relaxed);
        if rules.js_numbers {
            for v in decorated.values_mut() {
                event::js_numbers(v);
            }
        }
        if let Some((target, configured)) = &plan.redirect {
            // MP-JS samples the original stream first, then redirects.
            if plan.sending(s.ignore_sampling).next().is_none() {
                return Ok(Vec::new());
            }
            if !configured {
                return Err(Refusal::RedirectTargetMissing(target.clone()));
            }
            let mut copy = decorated;
            if let Some(Value::Object(meta)) = copy.get_mut("meta") {
                meta.insert("stream".to_owned(), Value::String(target.clone()));
            }
            let sending = plan.sending(s.ignore_sampling).next().is_some();
            return Ok(if sending {
                vec![StreamCopy { stream: target.clone(), event: Value::Object(copy) }]
            } else {
                Vec::new()
            });
        }
        if curation != Curation::Off
            && !s.ignore_curation
            && let Some(config) = self.configs.as_deref().and_then(|c| c.resolve(&plan.stream)).map(|r| r.config)
        {
            let failures = match curation {
                Curation::MpJs => {
                    config.curation().map(|r| event::curation_failures(r, &decorated)).unwrap_or_default()
                }
                Curation::MpJava => crate::app_event::app_curation_failures(config, &decorated),
                Curation::Off => Vec::new(),
            };
            if !failures.is_empty() {
                return Err(Refusal::CurationFailed(failures));
            }
        }
        Ok(plan
            .sending(s.ignore_sampling)
            .map(|t| StreamCopy {
                stream: t.stream.clone(),
                event: Value::Object(event::copy_for_stream(&decorated, &t.stream)),
            })
            .collect())
    }

    /// [`Self::submit`] then [`Self::check`] for one event given as JSON
    /// text, without parsing it into a tree, for the common case where both
    /// leave the event as it is: `Some(report)` (a valid report) when the
    /// event gets one copy, for the plan's stream itself; decorating it adds
    /// or changes nothing (its `$schema`, `dt`, `meta.stream`, `meta.domain`
    /// and identifier fields are already what decoration would make them, no
    /// `client_dt`, a profile that neither rewrites `meta`/`dt`, numbers nor
    /// the stream, no curation to apply); the intake's fills change nothing
    /// ([`Intake::fills_nothing`]); the streaming check finds it valid
    /// ([`crate::validate::EventValidator::check_text`]); and the text is
    /// canonical ([`crate::json::is_canonical`]). The copy is then `text`
    /// itself, byte for byte what `submit` would make of it
    /// ([`Encoded::from_canonical_text`]), and the report the one `check`
    /// would give. `None` says nothing about the event: take the ordinary path.
    #[must_use]
    pub fn submit_text(
        &self,
        plan: &Plan,
        text: &str,
        curation: Curation,
        intake: &Intake,
        headers: &RequestHeaders,
    ) -> Option<EventReport> {
        let s = &self.settings;
        let rules = rules(s.profile);
        if rules.client_owns_meta_and_dt || rules.js_numbers || plan.redirect.is_some() {
            return None;
        }
        if curation != Curation::Off
            && !s.ignore_curation
            && self.configs.as_deref().and_then(|c| c.resolve(&plan.stream)).is_some()
        {
            return None;
        }
        let mut sending = plan.sending(s.ignore_sampling);
        match (sending.next(), sending.next()) {
            (Some(t), None) if t.stream == plan.stream => {}
            _ => return None,
        }
        let check = intake.validator().check_text(text)?;
        let probe = &check.probe;
        let has = |key: &str| probe.keys.iter().any(|k| k == key);
        let unchanged = probe.object
            && probe.schema.as_deref().is_some_and(|e| s.schema.as_deref().is_none_or(|g| g == e))
            && has("dt")
            && !has("client_dt")
            && probe.meta_object
            && probe.stream.as_deref() == Some(plan.stream.as_str())
            && s.domain.as_deref().is_none_or(|d| probe.domain.as_deref() == Some(d))
            && self.id_fields_for_schema(probe.schema.as_deref()).iter().all(|f| has(f));
        if !unchanged || !intake.fills_nothing(&check, headers) || !crate::json::is_canonical(text) {
            return None;
        }
        Some(check.report)
    }

    /// Validates a copy as `intake` will see it: its fills (with `headers`,
    /// the headers the client sends, and `now` as the receive time) are made on
    /// a scratch copy, which is validated; `copy` is not changed.
    #[must_use]
    pub fn check(intake: &Intake, copy: &StreamCopy, headers: &RequestHeaders, now: &str) -> EventReport {
        let mut scratch = copy.event.clone();
        intake.fill(&mut scratch, headers, now);
        intake.validator().validate(&scratch)
    }
}

/// How a client profile shapes what it sends, beyond sampling (epc-spec.md §4.2, §5, §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileRules {
    /// cc copies to configured child streams (only epc's canonical rule: no
    /// current client implements cc'ing, spec §4.2).
    pub cc: bool,
    /// MP-JS's `stream_name` redirect.
    pub redirect: bool,
    /// `dt` is the call time even when the caller gave one, and `meta.stream`/`meta.domain`
    /// are the client's (MP-JS `processSubmitCall`, `addRequiredMetadata`).
    pub client_owns_meta_and_dt: bool,
    /// Numbers as `JSON.stringify` writes them ([`event::js_numbers`]).
    pub js_numbers: bool,
}

/// The [`ProfileRules`] of a profile: the canonical rule cc's and keeps a
/// caller's `dt`; MP-JS redirects, stamps `dt` at call time, owns `meta` and
/// writes JavaScript numbers; the other clients neither cc nor redirect.
#[must_use]
pub fn rules(profile: Profile) -> ProfileRules {
    let js = profile == Profile::MpJs;
    ProfileRules { cc: profile == Profile::Canonical, redirect: js, client_owns_meta_and_dt: js, js_numbers: js }
}

/// The [`IntakeChoice`] for a `destination_event_service` value.
#[must_use]
pub fn intake_choice(service: Option<&Value>) -> IntakeChoice {
    match service {
        None | Some(Value::Null) => IntakeChoice::Unset,
        Some(Value::String(s)) => match s.as_str() {
            "eventgate-analytics-external" => IntakeChoice::Public { service: s.clone(), url: ANALYTICS_INTAKE },
            "eventgate-logging-external" => IntakeChoice::Public { service: s.clone(), url: LOGGING_INTAKE },
            "eventgate-main" | "eventgate-analytics" => IntakeChoice::Internal(s.clone()),
            _ => IntakeChoice::Unknown(s.clone()),
        },
        Some(other) => IntakeChoice::Unknown(other.to_string()),
    }
}

/// What a [`Batcher`] can batch: an event, and how many bytes it takes in a POST body.
pub trait BatchItem {
    /// Its length as compact JSON in the body's array (without the comma).
    fn body_len(&self) -> u64;
}

impl BatchItem for Value {
    fn body_len(&self) -> u64 {
        serde_json::to_vec(self).map_or(0, |b| b.len() as u64)
    }
}

impl BatchItem for Encoded {
    fn body_len(&self) -> u64 {
        self.bytes().len() as u64
    }
}

/// Groups events into POST bodies of at most `max_events` events and
/// `max_bytes` bytes of JSON array (an event larger than `max_bytes` goes alone).
/// Events are [`Value`]s, or [`Encoded`] events serialized once for the body.
#[derive(Debug)]
pub struct Batcher<T, E = Value> {
    max_events: usize,
    max_bytes: u64,
    pending: Vec<(T, E)>,
    bytes: u64,
}

impl<T, E: BatchItem> Batcher<T, E> {
    /// An empty batcher.
    #[must_use]
    pub fn new(max_events: usize, max_bytes: u64) -> Self {
        Self { max_events: max_events.max(1), max_bytes, pending: Vec::new(), bytes: 2 }
    }

    /// Adds an event with its tag; returns the full batch it closed, if any
    /// (the new event then starts the next one).
    pub fn push(&mut self, tag: T, event: E) -> Option<Vec<(T, E)>> {
        let size = event.body_len() + 1;
        let full =
            !self.pending.is_empty() && (self.pending.len() >= self.max_events || self.bytes + size > self.max_bytes);
        let closed = if full { Some(self.take()) } else { None };
        self.bytes += size;
        self.pending.push((tag, event));
        closed
    }

    /// The events not yet in a closed batch.
    pub fn take(&mut self) -> Vec<(T, E)> {
        self.bytes = 2;
        std::mem::take(&mut self.pending)
    }

    /// Whether nothing is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// The identifiers a stream or schema uses: the units of the plan's targets,
/// the identifier fields, and the context attributes of `provide_values`
/// (`performer_session_id`, `performer_pageview_id`, `agent_app_install_id`).
#[must_use]
pub fn used_units(plan: &Plan, id_fields: &[String], provide_values: &[&str]) -> Vec<SamplingUnit> {
    let mut units = plan.units();
    let mut add = |u: SamplingUnit| {
        if !units.contains(&u) {
            units.push(u);
        }
    };
    for f in id_fields {
        match f.as_str() {
            "web_session_id" | "app_session_id" => add(SamplingUnit::Session),
            "web_pageview_id" => add(SamplingUnit::Pageview),
            "app_install_id" => add(SamplingUnit::Device),
            _ => {}
        }
    }
    for p in provide_values {
        match *p {
            "performer_session_id" => add(SamplingUnit::Session),
            "performer_pageview_id" => add(SamplingUnit::Pageview),
            "agent_app_install_id" => add(SamplingUnit::Device),
            _ => {}
        }
    }
    units
}

/// A `Map` helper for embedding programs: an event object from pairs.
#[must_use]
pub fn event_from(pairs: impl IntoIterator<Item = (String, Value)>) -> Value {
    Value::Object(pairs.into_iter().collect::<Map<String, Value>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids() -> Identifiers {
        Identifiers {
            session: "33333333333333333333".into(),
            pageview: "ffffffffffffffffffff".into(),
            device: "00000000-0000-4000-8000-000000000000".into(),
        }
    }

    fn settings() -> ClientSettings {
        ClientSettings {
            profile: Profile::Canonical,
            ids: ids(),
            domain: None,
            schema: Some("/test/event/1.0.0".into()),
            id_fields: Vec::new(),
            ignore_sampling: false,
            ignore_curation: false,
            no_cc: false,
        }
    }

    fn configs() -> Arc<StreamConfigs> {
        Arc::new(
            StreamConfigs::from_value(
                json!({"streams": {
                    "a": {"destination_event_service": "eventgate-analytics-external", "sample": {"unit": "session", "rate": 0.5}},
                    "a.x": {"sample": {"unit": "pageview", "rate": 0.5}},
                    "t": {"destination_event_service": "eventgate-analyics-external"},
                    "m": {"destination_event_service": "eventgate-main"}
                }}),
                "test",
            )
            .unwrap(),
        )
    }

    #[test]
    fn plan_decides_each_stream_on_its_unit_and_names_the_intake() {
        let client = Client::new(Some(configs()), settings());
        let plan = client.plan("a").unwrap();
        let names: Vec<&str> = plan.targets.iter().map(|t| t.stream.as_str()).collect();
        assert_eq!(names, ["a", "a.x"]);
        assert!(plan.targets[0].decision.in_sample, "0x33333333 is 0.2 < 0.5");
        assert!(!plan.targets[1].decision.in_sample, "the pageview id ffff… is out");
        assert_eq!(plan.targets[1].identifier, "ffffffffffffffffffff");
        assert_eq!(
            plan.intake,
            IntakeChoice::Public { service: "eventgate-analytics-external".into(), url: ANALYTICS_INTAKE }
        );
        assert_eq!(client.plan("t").unwrap().intake, IntakeChoice::Unknown("eventgate-analyics-external".into()));
        assert_eq!(client.plan("m").unwrap().intake, IntakeChoice::Internal("eventgate-main".into()));
        assert!(matches!(client.plan("nope"), Err(ClientError::NotConfigured { .. })));
        assert_eq!(plan.units(), [SamplingUnit::Session, SamplingUnit::Pageview]);
    }

    #[test]
    fn submit_makes_a_copy_per_in_sample_stream() {
        let client = Client::new(Some(configs()), settings());
        let plan = client.plan("a").unwrap();
        let copies =
            client.submit(&plan, json!({"action": "x"}), "2026-01-01T00:00:00.000Z".into(), Curation::Off).unwrap();
        assert_eq!(copies.len(), 1);
        assert_eq!(copies[0].event["meta"]["stream"], "a");
        assert_eq!(copies[0].event["dt"], "2026-01-01T00:00:00.000Z");
        let mut s = settings();
        s.ignore_sampling = true;
        let client = Client::new(Some(configs()), s);
        let copies = client.submit(&plan, json!({}), "2026-01-01T00:00:00.000Z".into(), Curation::Off).unwrap();
        assert_eq!(
            copies.iter().map(|c| c.event["meta"]["stream"].clone()).collect::<Vec<_>>(),
            [json!("a"), json!("a.x")]
        );
        let refused = client.submit(&plan, json!({"meta": {"stream": "b"}}), String::new(), Curation::Off);
        assert!(matches!(refused, Err(Refusal::NotDecorated(DecorateError::StreamConflict { .. }))));
    }

    #[test]
    fn batches_close_on_count_and_bytes() {
        let mut b: Batcher<u32> = Batcher::new(2, 1_000_000);
        assert!(b.push(1, json!(1)).is_none());
        assert!(b.push(2, json!(2)).is_none());
        let closed = b.push(3, json!(3)).unwrap();
        assert_eq!(closed.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(b.take().len(), 1);
        let mut b: Batcher<u32> = Batcher::new(100, 10);
        assert!(b.push(1, json!("aaaaaaaaaaaa")).is_none(), "an event over the limit goes alone");
        assert!(b.push(2, json!(1)).is_some());
        assert!(!b.is_empty());
    }
}
