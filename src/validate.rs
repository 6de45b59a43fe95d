//! Event validation: an event's `$schema` resolved in the schema repositories,
//! the event checked against it, and its stream checked against stream config.
//!
//! This is what EventGate does for every event (schema-repos.md §5), with
//! epc's stricter choices (decisions.md, "Validation"): the schema's own
//! `$schema` picks the draft (draft-07 when absent); `format` is asserted
//! (RFC 3339 `date-time` with a time zone, case 08); `1.0` is an integer and
//! integers up to 2^64 compare exactly (case 09); `maxLength` counts code
//! points (case 13). The JSON Schema work is done by the `jsonschema` crate;
//! `$ref`s are fetched only through the [`SchemaResolver`], so validation never
//! reads outside the schema repositories nor touches the network.
//!
//! With stream config, an event must also name a configured stream in
//! `meta.stream`, and that stream's `schema_title` must equal the schema's
//! `title` exactly (EventGate's rule; case 03).
//!
//! Every schema is compiled once per [`EventValidator`] and cached by its
//! `$schema` string; the validator is shareable across threads.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use serde_json::Value;

pub mod defaults;
pub mod fast;
pub mod streaming;

use crate::schema::SchemaUri;
use crate::schema::repository::{SchemaDocument, SchemaError, SchemaResolver};
use crate::stream::StreamConfigs;

/// The scheme of the absolute base URI each schema is compiled under, so that
/// path-only `$id`s and `$ref`s (`/fragment/common/1.0.0`) resolve by RFC 3986
/// and reach the [`SchemaResolver`] (case 12).
const BASE_SCHEME: &str = "epc-schema";

/// The most distinct `$schema` strings (compiled or failed) kept per validator.
const MAX_CACHED_SCHEMAS: usize = 4096;

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Valid against its schema (and its stream, when stream config is given).
    Valid,
    /// Not valid: see the violations.
    Invalid,
    /// Its schema could not be found, loaded or compiled; or it has no `$schema`.
    Unresolved,
}

impl Outcome {
    /// `valid`, `invalid` or `unresolved`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::Unresolved => "unresolved",
        }
    }
}

/// One reason an event is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the event (`/meta/stream`; empty for the whole event).
    pub instance_path: String,
    /// JSON pointer into the schema (`/properties/meta/required`), or for
    /// Event Platform checks a name such as `stream/schema_title`.
    pub schema_path: String,
    /// The keyword or check (`required`, `format`, `schema_title`, `$schema`).
    pub keyword: String,
    /// A readable message.
    pub message: String,
}

/// The result of validating one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventReport {
    /// The schema URI the event was checked against (its `$schema`, or the forced one).
    pub schema_uri: Option<String>,
    /// The event's `meta.stream`, when it is a string.
    pub stream: Option<String>,
    /// Valid, invalid or unresolved.
    pub outcome: Outcome,
    /// Why it is invalid or unresolved (empty when valid).
    pub violations: Vec<Violation>,
}

impl EventReport {
    /// An invalid report with one violation about the event as a whole (empty
    /// instance path): not an object, not JSON, a duplicate key.
    #[must_use]
    pub fn whole_event_invalid(keyword: &str, message: String) -> Self {
        Self {
            schema_uri: None,
            stream: None,
            outcome: Outcome::Invalid,
            violations: vec![Violation {
                instance_path: String::new(),
                schema_path: String::new(),
                keyword: keyword.to_owned(),
                message,
            }],
        }
    }
}

/// A schema given with `--schema` that cannot be used: the run cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The schema cannot be found or loaded.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The schema does not compile (an invalid schema or an unresolvable `$ref`).
    #[error("schema {uri} cannot be compiled: {message}")]
    Compile {
        /// The schema URI or file.
        uri: String,
        /// The compiler's message.
        message: String,
    },
    /// `--schema` (see [`EventValidator::force_schema`]) named neither a file
    /// nor a schema the repositories serve: both were tried, and both are named.
    #[error("--schema {arg}: no such file ({path}), and as a schema URI: {source}")]
    ForcedNotFound {
        /// The `--schema` text as given.
        arg: String,
        /// The file path tried: the text as a path, made absolute against the working folder.
        path: std::path::PathBuf,
        /// Why the text did not resolve as a schema URI (it names the URI tried).
        source: Box<SchemaError>,
    },
}

/// A compiled schema and the title it carries.
struct Compiled {
    uri: String,
    title: Option<String>,
    validator: jsonschema::Validator,
    /// The streaming check of valid events, when the schema's keywords are
    /// all covered ([`streaming::Program`]).
    program: Option<streaming::Program>,
    /// Otherwise, the same schema compiled for [`fast::FastNode`] events, if it compiles.
    fast: Option<jsonschema::Validator<fast::Fast>>,
    /// The schema's `default`s, as EventGate's ajv `useDefaults` writes them.
    defaults: defaults::Defaults,
    /// The document, its base URI, and how it declares the fields asked about so far.
    root: Arc<Value>,
    base: SchemaUri,
    /// Whether the schema declares `meta.dt`, `meta.id` and (for `analytics/legacy/…`) `dt`,
    /// asked once at compile time: the intake fills them for every event.
    fills_meta: [bool; 3],
    declared: RwLock<HashMap<String, defaults::Declared>>,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").field("uri", &self.uri).field("title", &self.title).finish_non_exhaustive()
    }
}

type CacheEntry = Result<Arc<Compiled>, String>;

/// A compiled schema as the intake asks about it (see [`EventValidator::schema_of`]).
#[derive(Debug, Clone)]
pub struct CompiledSchema<'a> {
    validator: &'a EventValidator,
    compiled: Arc<Compiled>,
}

impl CompiledSchema<'_> {
    /// How the schema declares a dotted field path ([`defaults::declares`]),
    /// computed once per schema and path.
    #[must_use]
    pub fn declares(&self, path: &str) -> defaults::Declared {
        let compiled = &self.compiled;
        if let Some(d) = compiled.declared.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(path) {
            return *d;
        }
        let d = defaults::declares(&self.validator.resolver, &compiled.base, &compiled.root, path);
        let mut cache = compiled.declared.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() < 256 {
            cache.insert(path.to_owned(), d);
        }
        d
    }

    /// Whether the schema declares `meta.dt`, `meta.id`, and is a legacy
    /// `analytics/legacy/…` schema declaring `dt` ([`defaults::declares`], computed at compile time).
    #[must_use]
    pub fn fills_meta(&self) -> [bool; 3] {
        self.compiled.fills_meta
    }

    /// Validates `event` against this schema (and its stream, with stream
    /// config), as [`EventValidator::validate`] does for an event whose
    /// `$schema` names it, without looking the schema up again.
    #[must_use]
    pub fn validate(&self, event: &Value) -> EventReport {
        if !event.is_object() {
            return self.validator.validate(event);
        }
        let stream = event.get("meta").and_then(|m| m.get("stream")).and_then(Value::as_str).map(str::to_owned);
        self.validator.validate_with(&self.compiled, stream, event)
    }

    /// The schema's `title`, if it has one.
    #[must_use]
    pub fn title(&self) -> Option<&str> {
        self.compiled.title.as_deref()
    }

    /// Whether the schema has `default`s ([`Self::apply_defaults`] may write something).
    #[must_use]
    pub fn has_defaults(&self) -> bool {
        !self.compiled.defaults.is_empty()
    }

    /// The JSON pointers of the schema's `default`s ([`defaults::Defaults::pointers`]).
    #[must_use]
    pub fn default_pointers(&self) -> Vec<String> {
        self.compiled.defaults.pointers()
    }

    /// Writes the schema's `default`s into `event` ([`defaults::Defaults::apply`]);
    /// the JSON pointers written.
    pub fn apply_defaults(&self, event: &mut Value) -> Vec<String> {
        if self.compiled.defaults.is_empty() { Vec::new() } else { self.compiled.defaults.apply(event) }
    }
}

/// A valid event checked on its text ([`EventValidator::check_text`]).
#[derive(Debug)]
pub struct TextCheck<'v, 't> {
    /// The report (valid).
    pub report: EventReport,
    /// The event's compiled schema.
    pub schema: CompiledSchema<'v>,
    /// What was read of the event's top level and `meta` on the way.
    pub probe: streaming::MetaStream<'t>,
}

/// Validates events; build once per run and share.
#[derive(Debug)]
pub struct EventValidator {
    resolver: Arc<SchemaResolver>,
    streams: Option<StreamConfigs>,
    forced: Option<Arc<Compiled>>,
    cache: RwLock<HashMap<String, CacheEntry>>,
    /// Compile only the reference validator ([`Self::validate_only`]).
    lean: bool,
}

/// Hands `$ref` targets to the jsonschema compiler, from the schema repositories only.
struct Retriever(Arc<SchemaResolver>);

impl jsonschema::Retrieve for Retriever {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = uri.as_str();
        let prefix = format!("{BASE_SCHEME}://");
        let schema_uri = match text.strip_prefix(&prefix) {
            Some(path) => SchemaUri::parse(path)?,
            None => SchemaUri::parse(text)?,
        };
        Ok(Value::clone(&self.0.resolve(&schema_uri)?.value))
    }
}

impl EventValidator {
    /// A validator resolving schemas with `resolver`; with `streams`, events'
    /// streams are checked too.
    #[must_use]
    pub fn new(resolver: Arc<SchemaResolver>, streams: Option<StreamConfigs>) -> Self {
        Self { resolver, streams, forced: None, cache: RwLock::default(), lean: false }
    }

    /// This validator, compiling for [`Self::validate`] only: no fast-path
    /// validator (so [`Self::validate_fast`] always answers `None`) and no
    /// defaults (so [`Self::schema_of`] sees a schema without `default`s and
    /// without the intake's `meta` fields). A third of the compile work;
    /// `validate`'s reports are unchanged. For `epc validate --repo`'s R7,
    /// which compiles every versioned schema once to check its examples.
    #[must_use]
    pub fn validate_only(mut self) -> Self {
        self.lean = true;
        self
    }

    /// Checks every event against one schema (`--schema`): a schema URI
    /// resolved in the repositories, or a schema file.
    ///
    /// # Errors
    /// [`ValidateError`] when the schema cannot be loaded or compiled: the run
    /// cannot go on, since no event could be checked. Text that is not a file
    /// and does not resolve as a URI is [`ValidateError::ForcedNotFound`],
    /// naming the file path and the URI tried.
    pub fn force_schema(&mut self, uri_or_file: &str) -> Result<(), ValidateError> {
        let path = std::path::Path::new(uri_or_file);
        let document = if path.is_file() {
            Arc::new(self.resolver.load_file(path)?)
        } else {
            SchemaUri::parse(uri_or_file)
                .map_err(SchemaError::from)
                .and_then(|uri| self.resolver.resolve(&uri))
                .map_err(|source| ValidateError::ForcedNotFound {
                    arg: uri_or_file.to_owned(),
                    path: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
                    source: Box::new(source),
                })?
        };
        let compiled = self
            .compile(&document, uri_or_file)
            .map_err(|message| ValidateError::Compile { uri: uri_or_file.to_owned(), message })?;
        self.forced = Some(compiled);
        Ok(())
    }

    /// The compiled schema of an event (its `$schema`, or the forced one), to
    /// ask what it declares; `None` when it cannot be resolved or compiled.
    #[must_use]
    pub fn schema_of(&self, event: &Value) -> Option<CompiledSchema<'_>> {
        Some(CompiledSchema { validator: self, compiled: self.compiled_for_event(event)? })
    }

    fn compiled_for_event(&self, event: &Value) -> Option<Arc<Compiled>> {
        if let Some(forced) = &self.forced {
            return Some(Arc::clone(forced));
        }
        self.compiled_for(event.get("$schema")?.as_str()?).ok()
    }

    /// The stream config the validator checks streams against, if any.
    #[must_use]
    pub fn streams(&self) -> Option<&StreamConfigs> {
        self.streams.as_ref()
    }

    /// Validates one event; never fails (problems are in the report).
    #[must_use]
    pub fn validate(&self, event: &Value) -> EventReport {
        if !event.is_object() {
            let message = format!("an event must be a JSON object, found {}", crate::stream::json_type(event));
            return EventReport::whole_event_invalid("type", message);
        }
        let stream = event.get("meta").and_then(|m| m.get("stream")).and_then(Value::as_str).map(str::to_owned);
        let declared = event.get("$schema");
        let compiled = if let Some(forced) = &self.forced {
            Arc::clone(forced)
        } else {
            let uri = match declared {
                Some(Value::String(s)) => s.as_str(),
                Some(other) => {
                    let message = format!("`$schema` must be a string, found {}", crate::stream::json_type(other));
                    return unresolved(None, stream, "/$schema", message);
                }
                None => return unresolved(None, stream, "", "the event has no `$schema`".to_owned()),
            };
            match self.compiled_for(uri) {
                Ok(c) => c,
                Err(message) => return unresolved(Some(uri.to_owned()), stream, "/$schema", message),
            }
        };
        self.validate_with(&compiled, stream, event)
    }

    /// The rest of [`Self::validate`], once the event's schema is known.
    fn validate_with(&self, compiled: &Compiled, stream: Option<String>, event: &Value) -> EventReport {
        // `is_valid` short-circuits and builds no error. Most events are
        // valid: errors are collected (a second pass) only for the others.
        let mut violations: Vec<Violation> = if compiled.validator.is_valid(event) {
            Vec::new()
        } else {
            compiled
                .validator
                .iter_errors(event)
                .map(|e| Violation {
                    instance_path: e.instance_path().to_string(),
                    schema_path: e.schema_path().to_string(),
                    keyword: e.kind().keyword().to_owned(),
                    message: bounded(e.to_string()),
                })
                .collect()
        };
        if let Some(configs) = &self.streams {
            violations.extend(stream_violations(
                configs,
                event.pointer("/meta/stream").is_some(),
                stream.as_deref(),
                compiled.title.as_deref(),
            ));
        }
        let outcome = if violations.is_empty() { Outcome::Valid } else { Outcome::Invalid };
        EventReport { schema_uri: Some(compiled.uri.clone()), stream, outcome, violations }
    }

    /// Validates one event given as JSON text, on the fast path: `None` when
    /// the text or the event needs the reference path ([`Self::validate`] on
    /// the parsed value): a parse error, a missing or unresolved `$schema`,
    /// an invalid event. A `Some` report is the one `validate` would give.
    #[must_use]
    pub fn validate_fast(&self, text: &str) -> Option<EventReport> {
        if let Some(forced) = &self.forced {
            return self.fast_with(forced, text);
        }
        match streaming::top_level_schema(text) {
            Some(uri) => {
                let compiled = self.compiled_for(&uri).ok()?;
                self.fast_with(&compiled, text)
            }
            // `$schema` not a top-level string found before anything refused:
            // the tree says which, and where.
            None => self.fast_tree(None, text),
        }
    }

    /// The streaming check of one event given as JSON text, for a sender
    /// that would send the text as it is: `Some` when the event's schema (its
    /// `$schema`, or the forced one) has a streaming program and the event is
    /// valid on it, as [`Self::validate_fast`] decides: then with the report
    /// [`Self::validate`] gives for the parsed event, the schema (to ask what
    /// the intake fills), and what was read of the event's top level and `meta`.
    /// `None` for anything else, which the reference path then judges.
    #[must_use]
    pub fn check_text<'t>(&self, text: &'t str) -> Option<TextCheck<'_, 't>> {
        let compiled = match &self.forced {
            Some(forced) => Arc::clone(forced),
            None => self.compiled_for(&streaming::top_level_schema(text)?).ok()?,
        };
        let probe = compiled.program.as_ref()?.check(text)?;
        let report = self.fast_report(&compiled, probe.present, probe.stream.as_deref())?;
        Some(TextCheck { report, schema: CompiledSchema { validator: self, compiled }, probe })
    }

    /// The fast path with the event's schema known: its streaming program if
    /// it has one, else its tree validator.
    fn fast_with(&self, compiled: &Arc<Compiled>, text: &str) -> Option<EventReport> {
        let Some(program) = &compiled.program else { return self.fast_tree(Some(compiled), text) };
        let meta = program.check(text)?;
        let stream = meta.stream.as_deref();
        self.fast_report(compiled, meta.present, stream)
    }

    /// The fast path on a [`fast::FastNode`] tree of the event.
    fn fast_tree(&self, compiled: Option<&Arc<Compiled>>, text: &str) -> Option<EventReport> {
        let event = fast::FastNode::parse(text)?;
        if !matches!(event, fast::FastNode::Object(_)) {
            return None;
        }
        let meta_stream = event.get("meta").and_then(|m| m.get("stream"));
        let stream = meta_stream.and_then(fast::FastNode::as_str);
        let compiled = match compiled {
            Some(c) => Arc::clone(c),
            None => self.compiled_for(event.get("$schema")?.as_str()?).ok()?,
        };
        if !compiled.fast.as_ref()?.is_valid(&event) {
            return None;
        }
        self.fast_report(&compiled, meta_stream.is_some(), stream)
    }

    /// The report of an event the fast path found valid, unless its stream
    /// is not configured for its schema (the reference path reports that).
    fn fast_report(&self, compiled: &Compiled, has_stream: bool, stream: Option<&str>) -> Option<EventReport> {
        if let Some(configs) = &self.streams
            && !stream_violations(configs, has_stream, stream, compiled.title.as_deref()).is_empty()
        {
            return None;
        }
        Some(EventReport {
            schema_uri: Some(compiled.uri.clone()),
            stream: stream.map(str::to_owned),
            outcome: Outcome::Valid,
            violations: Vec::new(),
        })
    }

    /// The compiled schema for a `$schema` string, compiling it on first use.
    fn compiled_for(&self, uri: &str) -> CacheEntry {
        if let Some(hit) = self.cache.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(uri) {
            return hit.clone();
        }
        let entry = SchemaUri::parse(uri)
            .map_err(|e| e.to_string())
            .and_then(|u| self.resolver.resolve(&u).map_err(|e| e.to_string()))
            .and_then(|doc| self.compile(&doc, uri));
        let mut cache = self.cache.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= MAX_CACHED_SCHEMAS && !cache.contains_key(uri) {
            // A long-running `epc serve` must not grow without bound on clients
            // sending ever new `$schema` values: past the cap, compile per event.
            return entry;
        }
        cache.entry(uri.to_owned()).or_insert(entry).clone()
    }

    /// Compiles a schema document: checks that every `$ref` it (and what it
    /// references) holds resolves, for a message naming the reference, then
    /// builds the validator with formats asserted.
    fn compile(&self, document: &Arc<SchemaDocument>, uri: &str) -> Result<Arc<Compiled>, String> {
        let id = document.id().and_then(|id| SchemaUri::parse(id).ok()).unwrap_or_else(|| document.uri.clone());
        check_refs(&self.resolver, &id, &document.value, &mut Vec::new()).map_err(|e| e.to_string())?;
        let base = if id.is_path_absolute() {
            format!("{BASE_SCHEME}://{}", id.document().as_str())
        } else {
            id.document().as_str().to_owned()
        };
        let mut options = jsonschema::options()
            .should_validate_formats(true)
            .with_base_uri(base.clone())
            .with_retriever(Retriever(Arc::clone(&self.resolver)));
        if document.value.get("$schema").is_none() {
            options = options.with_draft(jsonschema::Draft::Draft7);
        }
        let validator = options.build(&document.value).map_err(|e| e.to_string())?;
        let mut fast_options = jsonschema::options_for::<fast::Fast>()
            .should_validate_formats(true)
            .with_base_uri(base)
            .with_retriever(Retriever(Arc::clone(&self.resolver)));
        if document.value.get("$schema").is_none() {
            fast_options = fast_options.with_draft(jsonschema::Draft::Draft7);
        }
        let title = document.value.get("title").and_then(Value::as_str).map(str::to_owned);
        let root = Arc::clone(&document.value);
        if self.lean {
            return Ok(Arc::new(Compiled {
                uri: uri.to_owned(),
                title,
                validator,
                program: None,
                fast: None,
                defaults: defaults::Defaults::default(),
                root,
                base: id,
                fills_meta: [false; 3],
                declared: RwLock::default(),
            }));
        }
        // One fast path per schema: the streaming program, or (for keywords
        // it does not cover) a second compile for event trees.
        let program = streaming::Program::build(&document.value);
        let fast = if program.is_some() { None } else { fast_options.build(&document.value).ok() };
        let defaults = defaults::Defaults::from_schema(&self.resolver, &id, &root);
        let field = |path: &str| defaults::declares(&self.resolver, &id, &root, path) == defaults::Declared::Field;
        let legacy = title.as_deref().is_some_and(|t| t.starts_with("analytics/legacy/"));
        let fills_meta = [field("meta.dt"), field("meta.id"), legacy && field("dt")];
        Ok(Arc::new(Compiled {
            uri: uri.to_owned(),
            title,
            validator,
            program,
            fast,
            defaults,
            root,
            base: id,
            fills_meta,
            declared: RwLock::default(),
        }))
    }
}

/// The longest message kept whole: a validator message quotes the offending
/// value, and a 16 MiB string must not become a 16 MiB line of output.
const MAX_MESSAGE_CHARS: usize = 1000;

/// `message`, cut after [`MAX_MESSAGE_CHARS`] characters with a note of how much was left out.
fn bounded(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => message,
        Some((cut, _)) => {
            let left = message[cut..].chars().count();
            format!("{}… ({left} more characters)", &message[..cut])
        }
    }
}

/// Resolves every non-local `$ref` under `value` (whose base is `base`), and
/// recursively those of the documents they reach, so that a broken reference
/// is reported with what it was written as and resolved to (case 12).
fn check_refs(
    resolver: &SchemaResolver,
    base: &SchemaUri,
    value: &Value,
    seen: &mut Vec<SchemaUri>,
) -> Result<(), SchemaError> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && !reference.starts_with('#')
            {
                let resolved = resolver.resolve_ref(base, reference)?;
                let target = resolved.target.document();
                if !seen.contains(&target) {
                    seen.push(target.clone());
                    let doc = &resolved.document;
                    let next_base = doc.id().and_then(|id| SchemaUri::parse(id).ok()).unwrap_or(target);
                    check_refs(resolver, &next_base, &doc.value, seen)?;
                }
            }
            for (key, v) in map {
                // `enum`, `const` and `examples` hold data, not schemas.
                if !matches!(key.as_str(), "enum" | "const" | "examples" | "default") {
                    check_refs(resolver, base, v, seen)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|v| check_refs(resolver, base, v, seen)),
        _ => Ok(()),
    }
}

fn unresolved(schema_uri: Option<String>, stream: Option<String>, path: &str, message: String) -> EventReport {
    EventReport {
        schema_uri,
        stream,
        outcome: Outcome::Unresolved,
        violations: vec![Violation {
            instance_path: path.to_owned(),
            schema_path: String::new(),
            keyword: "$schema".to_owned(),
            message,
        }],
    }
}

/// EventGate's stream checks: `meta.stream` is configured and its
/// `schema_title` equals the schema's `title`, exactly (no `/` stripped, no
/// version allowed; case 03).
fn stream_violations(
    configs: &StreamConfigs,
    has_meta_stream: bool,
    stream: Option<&str>,
    schema_title: Option<&str>,
) -> Vec<Violation> {
    let violation = |schema_path: &str, keyword: &str, message: String| Violation {
        instance_path: "/meta/stream".to_owned(),
        schema_path: schema_path.to_owned(),
        keyword: keyword.to_owned(),
        message,
    };
    let Some(stream) = stream else {
        let message = if has_meta_stream {
            "`meta.stream` must be a string naming the stream".to_owned()
        } else {
            "the event has no `meta.stream`, so its stream cannot be checked".to_owned()
        };
        return vec![violation("stream", "stream", message)];
    };
    let Some(resolved) = configs.resolve(stream) else {
        return vec![violation(
            "stream",
            "stream",
            format!("stream `{stream}` is not configured in the stream config"),
        )];
    };
    let config_title = resolved.config.schema_title();
    match (config_title, schema_title) {
        (Some(c), Some(s)) if c == s => Vec::new(),
        (Some(c), Some(s)) => vec![violation(
            "stream/schema_title",
            "schema_title",
            format!(
                "stream `{stream}` has schema_title `{c}`, but the event's schema has title `{s}`; they must be equal{}",
                title_hint(c, s)
            ),
        )],
        (None, _) => vec![violation(
            "stream/schema_title",
            "schema_title",
            format!("stream `{stream}` has no schema_title in the stream config"),
        )],
        (Some(c), None) => vec![violation(
            "stream/schema_title",
            "schema_title",
            format!("stream `{stream}` has schema_title `{c}`, but the event's schema has no title"),
        )],
    }
}

/// A hint for the two mistakes seen in practice: a leading `/` and a version.
fn title_hint(config: &str, schema: &str) -> &'static str {
    if config.strip_prefix('/') == Some(schema) {
        " (schema_title must not start with `/`)"
    } else if config.starts_with(schema) && config[schema.len()..].starts_with('/') {
        " (schema_title carries no version)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::repository::SchemaRepository;
    use serde_json::json;

    fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, Arc<SchemaResolver>) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join("jsonschema").join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let resolver = SchemaResolver::new(vec![SchemaRepository::open(dir.path()).unwrap()], &[], false).unwrap();
        (dir, Arc::new(resolver))
    }

    const COMMON: &str = "title: fragment/common\n$id: /fragment/common/1.0.0\n$schema: https://json-schema.org/draft-07/schema#\ntype: object\nproperties:\n  dt:\n    type: string\n    format: date-time\n    maxLength: 128\n  meta:\n    type: object\n    required: [stream]\n    properties:\n      stream: {type: string}\n";
    const EVENT_SCHEMA: &str = "title: test/event\n$id: /test/event/1.0.0\n$schema: https://json-schema.org/draft-07/schema#\ntype: object\nallOf:\n  - $ref: /fragment/common/1.0.0#\nproperties:\n  n: {type: integer, minimum: 1}\n  label: {type: string, maxLength: 4}\nrequired: [n]\n";

    fn fixture() -> (tempfile::TempDir, Arc<SchemaResolver>) {
        repo(&[("fragment/common/1.0.0.yaml", COMMON), ("test/event/1.0.0.yaml", EVENT_SCHEMA)])
    }

    fn event(extra: Value) -> Value {
        let mut e = json!({"$schema": "/test/event/1.0.0", "meta": {"stream": "test.event"}, "dt": "2021-03-02T11:35:04.000Z", "n": 1});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    }

    #[test]
    fn long_messages_are_cut() {
        assert_eq!(bounded("short".into()), "short");
        let long = bounded("é".repeat(1500));
        assert!(long.starts_with(&"é".repeat(1000)) && long.ends_with("… (500 more characters)"), "{long}");
    }

    #[test]
    fn valid_event_through_a_path_absolute_ref() {
        let (_d, resolver) = fixture();
        let v = EventValidator::new(resolver, None);
        let r = v.validate(&event(json!({})));
        assert_eq!(r.outcome, Outcome::Valid, "{r:?}");
        assert_eq!(r.schema_uri.as_deref(), Some("/test/event/1.0.0"));
        assert_eq!(r.stream.as_deref(), Some("test.event"));
    }

    #[test]
    fn violations_carry_instance_path_schema_path_and_keyword() {
        let (_d, resolver) = fixture();
        let v = EventValidator::new(resolver, None);
        let r =
            v.validate(&event(json!({"dt": "2021-03-02T11:35:04+0000", "n": 1.5, "label": "🙂🙂🙂🙂🙂", "meta": {}})));
        assert_eq!(r.outcome, Outcome::Invalid);
        let mut got: Vec<(&str, &str)> =
            r.violations.iter().map(|v| (v.instance_path.as_str(), v.keyword.as_str())).collect();
        got.sort_unstable();
        assert_eq!(got, [("/dt", "format"), ("/label", "maxLength"), ("/meta", "required"), ("/n", "type")]);
    }

    #[test]
    fn validate_only_reports_what_the_full_compile_reports() {
        let (_d, resolver) = fixture();
        let mut full = EventValidator::new(Arc::clone(&resolver), None);
        full.force_schema("/test/event/1.0.0").unwrap();
        let mut lean = EventValidator::new(resolver, None).validate_only();
        lean.force_schema("/test/event/1.0.0").unwrap();
        let bad = event(json!({"dt": "2021-03-02T11:35:04+0000", "n": 1.5, "label": "🙂🙂🙂🙂🙂", "meta": {}}));
        for e in [event(json!({})), bad] {
            assert_eq!(format!("{:?}", lean.validate(&e)), format!("{:?}", full.validate(&e)));
        }
        assert_eq!(lean.validate(&event(json!({"n": 1.5}))).violations.len(), 1);
        // No fast-path validator was compiled, so the fast path always defers.
        let text = event(json!({})).to_string();
        assert!(full.validate_fast(&text).is_some());
        assert!(lean.validate_fast(&text).is_none());
    }

    #[test]
    fn integers_and_code_points_follow_the_spec() {
        let (_d, resolver) = fixture();
        let v = EventValidator::new(resolver, None);
        for n in [json!(1234.0), json!(1.234e3), json!(u64::MAX)] {
            assert_eq!(v.validate(&event(json!({"n": n}))).outcome, Outcome::Valid, "{n}");
        }
        assert_eq!(v.validate(&event(json!({"n": "7"}))).outcome, Outcome::Invalid);
        assert_eq!(v.validate(&event(json!({"label": "👩🏾‍🚀"}))).outcome, Outcome::Valid);
    }

    #[test]
    fn unresolved_schemas_are_reported_not_errors() {
        let (_d, resolver) = fixture();
        let v = EventValidator::new(resolver, None);
        let r = v.validate(&event(json!({"$schema": "/test/missing/1.0.0"})));
        assert_eq!(r.outcome, Outcome::Unresolved);
        assert!(r.violations[0].message.contains("/test/missing/1.0.0"), "{r:?}");
        let mut no_schema = event(json!({}));
        no_schema.as_object_mut().unwrap().remove("$schema");
        assert_eq!(v.validate(&no_schema).outcome, Outcome::Unresolved);
        assert_eq!(v.validate(&event(json!({"$schema": 3}))).violations[0].instance_path, "/$schema");
    }

    #[test]
    fn an_unresolvable_ref_names_the_reference_and_suggests_the_slash() {
        let (_d, resolver) = repo(&[
            ("fragment/common/1.0.0.yaml", COMMON),
            (
                "test/bad/1.0.0.yaml",
                "title: test/bad\n$id: /test/bad/1.0.0\nallOf:\n  - $ref: fragment/common/1.0.0#\n",
            ),
        ]);
        let mut v = EventValidator::new(resolver, None);
        let e = v.force_schema("/test/bad/1.0.0").unwrap_err().to_string();
        assert!(e.contains("fragment/common/1.0.0#") && e.contains("/test/bad/fragment/common/1.0.0"), "{e}");
    }

    #[test]
    fn stream_checks_compare_schema_title_exactly() {
        let (_d, resolver) = fixture();
        let streams =
            |title: &str| StreamConfigs::from_value(json!({"test.event": {"schema_title": title}}), "t").unwrap();
        let check =
            |title: &str| EventValidator::new(Arc::clone(&resolver), Some(streams(title))).validate(&event(json!({})));
        assert_eq!(check("test/event").outcome, Outcome::Valid);
        let r = check("/test/event");
        assert_eq!((r.outcome, r.violations[0].keyword.as_str()), (Outcome::Invalid, "schema_title"));
        assert!(r.violations[0].message.contains("must not start with `/`"), "{r:?}");
        assert!(check("test/event/1.0.0").violations[0].message.contains("no version"));
        let r = EventValidator::new(Arc::clone(&resolver), Some(streams("test/event")))
            .validate(&event(json!({"meta": {"stream": "other"}})));
        assert!(r.violations[0].message.contains("`other` is not configured"), "{r:?}");
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use crate::schema::repository::SchemaRepository;
    use crate::schema::yaml::parse_json_str;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use serde_json::json;
    use std::path::Path;

    /// The fast path agrees with the reference path on `text`: it parses
    /// exactly what the strict parser parses, to the same value, and a report
    /// it gives is the reference one; it gives one for every valid event.
    /// Returns whether the fast path answered.
    fn agree(v: &EventValidator, text: &str) -> bool {
        let strict = parse_json_str(text, "t");
        let fast = fast::FastNode::parse(text);
        assert_eq!(fast.is_some(), strict.is_ok(), "parse verdicts differ on {text:?}: {strict:?}");
        let (Some(fast), Ok(strict)) = (fast, strict) else {
            assert!(v.validate_fast(text).is_none());
            return false;
        };
        assert_eq!(
            serde_json::to_string(&fast.to_value()).unwrap(),
            serde_json::to_string(&strict).unwrap(),
            "values differ on {text:?}"
        );
        let reference = v.validate(&strict);
        match v.validate_fast(text) {
            Some(report) => {
                assert_eq!(report, reference, "reports differ on {text:?}");
                true
            }
            None => {
                assert_ne!(reference.outcome, Outcome::Valid, "a valid event missed the fast path: {text:?}");
                false
            }
        }
    }

    fn validators() -> Vec<EventValidator> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut repos = vec![SchemaRepository::open(root.join("fixtures/schemas/primary")).unwrap()];
        let shared = root.join("../shared/data/schemas");
        for name in ["secondary", "primary"] {
            if shared.join(name).join("jsonschema").is_dir() {
                repos.push(SchemaRepository::open(shared.join(name)).unwrap());
            }
        }
        let resolver = Arc::new(SchemaResolver::new(repos, &[], false).unwrap());
        let streams = crate::stream::StreamConfigs::from_value(
            serde_json::from_str(&std::fs::read_to_string(root.join("fixtures/streamconfigs-validate.json")).unwrap())
                .unwrap(),
            "streamconfigs-validate.json",
        );
        let mut forced = EventValidator::new(Arc::clone(&resolver), None);
        forced.force_schema("/test/event/1.0.0").unwrap();
        let mut out = vec![EventValidator::new(Arc::clone(&resolver), None), forced];
        if let Ok(streams) = streams {
            out.push(EventValidator::new(resolver, Some(streams)));
        }
        out
    }

    /// Every event file under `dir` (recursively): whole, and line by line.
    fn texts_under(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                texts_under(&path, out);
            } else if path.extension().is_some_and(|e| e == "json" || e == "ndjson" || e == "jsonl") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.extend(text.lines().map(str::to_owned));
                out.push(text);
            }
        }
    }

    /// One of `options`, the first (a valid value) most often.
    fn pick<'a>(rng: &mut SmallRng, options: &[&'a str]) -> &'a str {
        if rng.random_bool(0.8) { options[0] } else { options[rng.random_range(0..options.len())] }
    }

    /// A random event for the test/event schemas, as JSON text: valid and
    /// invalid values, duplicate and escaped keys, big integers, floats,
    /// unicode escapes, lone surrogates, now and then broken text.
    fn generated(rng: &mut SmallRng) -> String {
        let numbers = [
            "0",
            "1",
            "-1",
            "1.0",
            "1e3",
            "1E+2",
            "1.5",
            "-0",
            "-0.0",
            "9007199254740991",
            "9007199254740992",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "1e308",
            "1e400",
            "01",
            "1.",
            ".5",
            "\"3\"",
            "true",
            "null",
            "[]",
            "{}",
        ];
        let strings = [
            "\"click\"",
            "\"\\u00e9\"",
            "\"\\ud83d\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ude00\"",
            "\"a\\u0000b\"",
            "\"\\\"\\\\\\/\"",
            "\"維基百科\"",
            "\"👩🏾‍🚀\"",
            "\"123456789\"",
            "\"\t\"",
            "\"\\x\"",
            "\"\"",
            "12",
            "null",
        ];
        let dts = [
            "\"2024-05-01T10:00:00Z\"",
            "\"2024-05-01T10:00:00.000+02:00\"",
            "\"2024-05-01t08:00:00z\"",
            "\"2024-05-01T10:00:00+0000\"",
            "\"2024-13-01T10:00:00Z\"",
            "\"2024-05-01\"",
            "1714557600000",
        ];
        let schemas = [
            "\"/test/event/1.0.0\"",
            "\"/test/event/1.1.0\"",
            "\"/test/event/latest\"",
            "\"\\/test\\/event\\/1.1.0\"",
            "\"/no/such/1.0.0\"",
            "12",
            "null",
            "\"/analytics/product_metrics/web/base/1.3.0\"",
        ];
        let streams = ["\"test.event\"", "\"no.such.stream\"", "5", "\"\"", "\"test.\\u0065vent\""];
        let mut members: Vec<(String, String)> = Vec::new();
        let mut add = |rng: &mut SmallRng, key: &str, value: String| {
            if rng.random_bool(0.95) {
                members.push((format!("\"{key}\""), value));
            }
        };
        let v = pick(rng, &schemas).to_owned();
        add(rng, "$schema", v);
        let mut meta = format!("{{\"stream\": {}", pick(rng, &streams));
        if rng.random_bool(0.3) {
            meta.push_str(&format!(", \"domain\": {}", pick(rng, &strings)));
        }
        if rng.random_bool(0.05) {
            meta.push_str(", \"stream\": \"test.event\"");
        }
        meta.push('}');
        let meta = if rng.random_bool(0.05) { "[]".to_owned() } else { meta };
        add(rng, "meta", meta);
        let v = pick(rng, &dts).to_owned();
        add(rng, "dt", v);
        let v = pick(rng, &strings).to_owned();
        add(rng, "action", v);
        let v = pick(rng, &numbers).to_owned();
        add(rng, "count", v);
        if rng.random_bool(0.5) {
            let v = pick(rng, &strings).to_owned();
            add(rng, "label", v);
        }
        if rng.random_bool(0.2) {
            let v = format!("[{}, {{\"a\": {}}}]", pick(rng, &numbers), pick(rng, &strings));
            add(rng, "extra", v);
        }
        if rng.random_bool(0.1) {
            let (k, v) =
                members[rng.random_range(0..members.len().max(1)).min(members.len().saturating_sub(1))].clone();
            members.push((k, v));
        }
        if rng.random_bool(0.05) && !members.is_empty() {
            members[0].0 = "\"\\u0024schema\"".to_owned();
        }
        if rng.random_bool(0.05) {
            for i in 0..40 {
                members.push((format!("\"k{}\"", i % 39 + usize::from(rng.random_bool(0.02))), "1".to_owned()));
            }
        }
        let sep = pick(rng, &[",", ", ", " ,\n"]);
        let body: Vec<String> = members.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let mut text = format!("{{{}}}", body.join(sep));
        match rng.random_range(0..40) {
            0 => {
                let mut cut = text.len() / 2;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            1 => text.push_str(" x"),
            2 => text = format!("  {text}\r"),
            3 => text = format!("[{text}]"),
            4 => text = "\"text\"".to_owned(),
            5 => text.push(','),
            _ => {}
        }
        text
    }

    #[test]
    fn the_fast_path_agrees_with_the_reference_path() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = Vec::new();
        texts_under(&root.join("fixtures/events"), &mut texts);
        texts_under(&root.join("../shared/cases"), &mut texts);
        let mut rng = SmallRng::seed_from_u64(7);
        texts.extend((0..4000).map(|_| generated(&mut rng)));
        let validators = validators();
        let mut fast = 0;
        for text in &texts {
            for v in &validators {
                fast += usize::from(agree(v, text));
            }
        }
        assert!(fast > texts.len() / 10, "only {fast} of {} events took the fast path", texts.len());
    }

    /// Every version file of both real schema repositories: how many get a
    /// streaming program (the rest keep the tree path). The product metrics
    /// base schemas, which most analytics events use, must be among them.
    #[test]
    fn streaming_programs_cover_the_real_schemas() {
        let schemas = crate::schema::shared("data/schemas").unwrap();
        let (mut files, mut covered) = (0, 0);
        let mut missing = Vec::new();
        for repo in ["primary", "secondary"] {
            let mut stack = vec![schemas.join(repo).join("jsonschema")];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    let path = entry.path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    if path.is_dir() {
                        stack.push(path);
                    } else if name.ends_with(".yaml") && name.as_bytes()[0].is_ascii_digit() {
                        let text = std::fs::read_to_string(&path).unwrap();
                        let Ok(schema) = crate::schema::yaml::parse_yaml_str(&text, &name) else { continue };
                        files += 1;
                        if streaming::Program::build(&schema).is_some() {
                            covered += 1;
                        } else if path.to_string_lossy().contains("product_metrics/web/base") {
                            missing.push(path.display().to_string());
                        }
                    }
                }
            }
        }
        assert_eq!(missing, Vec::<String>::new(), "product_metrics/web/base versions without a program");
        assert_eq!((files, covered), (510, STREAMING_COVERED), "version files, with a streaming program");
    }

    /// Version files of the real repositories with a streaming program,
    /// counted by [`streaming_programs_cover_the_real_schemas`].
    const STREAMING_COVERED: usize = 495;

    /// Text-level changes no `Value` can express: a repeated key, an
    /// escaped key, `$schema` moved from the front, nesting deeper than the
    /// parser allows, numbers the reference parser refuses or rounds.
    fn text_mutation(rng: &mut SmallRng, text: &str) -> String {
        let keys: Vec<usize> = text.match_indices("\":").map(|(i, _)| i).collect();
        let mut out = text.to_owned();
        match rng.random_range(0..9) {
            0 if !keys.is_empty() => {
                // Repeat one member: `"k":` → `"k":<value>,"k":`.
                let at = keys[rng.random_range(0..keys.len())];
                let start = text[..at].rfind('"').unwrap();
                let key = &text[start..at + 2];
                out.insert_str(start, &format!("{key}null,"));
            }
            1 if !keys.is_empty() => {
                let at = keys[rng.random_range(0..keys.len())];
                let start = text[..at].rfind('"').unwrap();
                if at > start + 1 {
                    let c = text.as_bytes()[start + 1];
                    out.replace_range(start + 1..start + 2, &format!("\\u{:04x}", c));
                }
            }
            2 => out = out.replacen("{\"$schema\":", "{\"_pad\":1,\"$schema\":", 1),
            3 => {
                let deep = format!("{}1{}", "[".repeat(130), "]".repeat(130));
                out = out.replacen("{", &format!("{{\"deep\":{deep},"), 1);
            }
            4 => {
                let n = ["1e400", "-0", "1.0", "2.2250738585072011e-308", "18446744073709551616", "0.5e0", "1E2"];
                out = out.replacen(":0,", &format!(":{},", n[rng.random_range(0..n.len())]), 1);
            }
            5 => out = out.replacen("\":\"", "\":\"\\u00e9", 1),
            6 => out = out.replacen("\":\"", "\":\"\t", 1),
            7 => out.push(' '),
            _ => {}
        }
        out
    }

    /// A random change to an event value: a member removed, added or set
    /// to another value (types, lengths, bounds and formats near the edges).
    fn value_mutation(rng: &mut SmallRng, event: &mut Value) {
        let pool = [
            json!(null),
            json!(true),
            json!(0),
            json!(-1),
            json!(1.0),
            json!(0.5),
            json!(1.5),
            json!(4294967296u64),
            json!(""),
            json!("x"),
            json!("x".repeat(64)),
            json!("é".repeat(65)),
            json!("x".repeat(300)),
            json!("2025-03-01T00:00:00Z"),
            json!("2025-03-01"),
            json!("not a uri or a date"),
            json!("https://en.wikipedia.org/wiki/X"),
            json!("c17af08a-1745-46d8-be57-0ddf827050a8"),
            json!([]),
            json!(["*"]),
            json!([1]),
            json!({}),
            json!({"a": 1}),
        ];
        // A random object or array inside the event (as a JSON pointer), and one of its members.
        let mut pointer = String::new();
        let mut at = &*event;
        for _ in 0..rng.random_range(1..4) {
            let (step, next) = match at {
                Value::Object(m) if !m.is_empty() => {
                    let (k, v) = m.iter().nth(rng.random_range(0..m.len())).unwrap();
                    (k.replace('~', "~0").replace('/', "~1"), v)
                }
                Value::Array(a) if !a.is_empty() => {
                    let i = rng.random_range(0..a.len());
                    (i.to_string(), &a[i])
                }
                _ => break,
            };
            if !(next.is_object() || next.is_array()) {
                break;
            }
            pointer.push('/');
            pointer.push_str(&step);
            at = next;
        }
        let at = event.pointer_mut(&pointer).unwrap();
        match at {
            Value::Object(m) => match rng.random_range(0..3) {
                0 if !m.is_empty() => {
                    let key = m.keys().nth(rng.random_range(0..m.len())).unwrap().clone();
                    m.shift_remove(&key);
                }
                1 => {
                    m.insert("unknown_member".into(), pool[rng.random_range(0..pool.len())].clone());
                }
                _ if !m.is_empty() => {
                    let key = m.keys().nth(rng.random_range(0..m.len())).unwrap().clone();
                    m[&key] = pool[rng.random_range(0..pool.len())].clone();
                }
                _ => {}
            },
            Value::Array(a) => a.push(pool[rng.random_range(0..pool.len())].clone()),
            other => *other = pool[rng.random_range(0..pool.len())].clone(),
        }
    }

    /// The streaming path agrees with the reference path on real events:
    /// every `examples` event of the real repositories' version files that
    /// have a streaming program, and 20 mutations of each (value changes and
    /// text changes), with and without the fixture stream config. Valid
    /// events must take the streaming path.
    #[test]
    fn the_streaming_path_agrees_with_the_reference_path_on_real_events() {
        let schemas = crate::schema::shared("data/schemas").unwrap();
        let repos = vec![
            SchemaRepository::open(schemas.join("secondary")).unwrap(),
            SchemaRepository::open(schemas.join("primary")).unwrap(),
        ];
        let resolver = Arc::new(SchemaResolver::new(repos, &[], false).unwrap());
        let validator = EventValidator::new(Arc::clone(&resolver), None);
        let mut rng = SmallRng::seed_from_u64(14);
        let (mut texts, mut streamed, mut valid) = (0, 0, 0);
        for repo in ["secondary", "primary"] {
            let mut stack = vec![schemas.join(repo).join("jsonschema")];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    let path = entry.path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    if !(name.ends_with(".yaml") && name.as_bytes()[0].is_ascii_digit()) {
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).unwrap();
                    let Ok(schema) = crate::schema::yaml::parse_yaml_str(&text, &name) else { continue };
                    let Some(program) = streaming::Program::build(&schema) else { continue };
                    for example in schema.get("examples").and_then(Value::as_array).into_iter().flatten() {
                        if !example.is_object() || example.get("$schema").is_none() {
                            continue;
                        }
                        for round in 0..21 {
                            let mut event = example.clone();
                            if round > 0 && rng.random_bool(0.7) {
                                value_mutation(&mut rng, &mut event);
                            }
                            let mut line = event.to_string();
                            if round > 0 && rng.random_bool(0.4) {
                                line = text_mutation(&mut rng, &line);
                            }
                            texts += 1;
                            let answered = agree(&validator, &line);
                            valid += usize::from(answered);
                            streamed += usize::from(answered && program.check(&line).is_some());
                        }
                    }
                }
            }
        }
        assert!(texts > 2000, "{texts} texts");
        assert_eq!(streamed, valid, "every valid event of a covered schema takes the streaming path");
        assert!(valid > texts / 4 && valid < texts, "{valid} of {texts} valid");
    }
}
