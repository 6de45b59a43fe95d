//! The example jsonschema-tools 1.3.0 generates for a schema that has none.
//!
//! With `shouldGenerateExample: true`, jsonschema-tools' `materializeSchema`
//! dereferences the schema (allOf merged), enforces the numeric bounds, and
//! then, when `schema.examples` is empty (`_.isEmpty`: absent, `[]`, `{}`),
//! `generateSchemaExample` sets `examples: [jsf.generate(schema)]`, with
//! json-schema-faker 0.5.0-rcv.34 configured once as
//!
//! ```text
//! jsf.option({useExamplesValue: false, useDefaultValue: true,
//!             alwaysFakeOptionals: true, random: () => 0.15})
//! jsf.format('uri-reference', () => 'http://example.org')
//! jsf.format('date-time', () => '2021-01-01T00:00:00.000Z')
//! ```
//!
//! and, if the example has a `$schema` member, sets it to the schema's
//! `$id`. [`generate`] does all of that but the `_.isEmpty(examples)` test
//! (the caller's), so its result is what ends up in `examples[0]`.
//!
//! With a constant random source json-schema-faker is deterministic. The
//! rules, read from its bundle (`dist/main.cjs.js`: `traverse`, `typecast`,
//! the type generators, `resolveSchema`, `clean`) and pinned with node (the
//! unit tests below hold node's answers):
//!
//! - Every "random" choice is `floor(0.15 * n)`: an integer in `[a, b]` is
//!   `a + floor(0.15 * (b - a + 1))`, a float is `a + 0.15 * (b - a)`, a pick
//!   from `n` things takes index `floor(0.15 * n)` (the first of up to six),
//!   a boolean is `0.15 > 0.5`, false. A shuffle is jsf's swap loop.
//! - Per schema, in this order (a schema directly under `properties` skips
//!   the first three): `default`, then `template`, then `const`, are the
//!   value; `pattern` (a string) gives randexp's string; `enum` picks
//!   (after `typecast`'s filter: for `integer`/`number`, values outside
//!   `[max(minimum, 0), maximum]` are dropped once either bound is set, so a
//!   negative value is never picked under enforced bounds); a `type` list
//!   picks its type (`[string, null]` gives a string, `[null, string]`
//!   null); no `type` is inferred from keywords (array, integer, object,
//!   string, number, in that order), or the schema is copied member by
//!   member, object members generated as schemas (so `{description: x}`
//!   gives `{description: x}`).
//! - `string`: the format callback (`date-time`, `uri-reference`), a
//!   built-in format (`ipv4` 38.38.38.38, `email`, `hostname`, `uri`,
//!   `uuid`… from randexp), else `pattern`, else words: the word is
//!   `dolor` (the first of jsf's shuffled lorem list), repeated (no space)
//!   until `minLength`, cut at `floor(0.15 * (maxLength - minLength + 1)) +
//!   minLength` (`maxLength` defaults to 2^53 - 1). Then `typecast` pads a
//!   string shorter than `minLength` with `'/' + itself` (or the pattern's
//!   string again), cuts it at `maxLength`, and for `format: date-time`
//!   rewrites it as `new Date(s).toISOString()` with
//!   `.replace(/([0-9])0+Z$/, '$1Z')`: that is why `2021-01-01T00:00:00.000Z`
//!   becomes `2021-01-01T00:00:00.0Z` (the run `000Z` is a digit `0` and
//!   `00Z`, replaced by `0Z`).
//! - `integer`/`number`: bounds default to ±100000000; `multipleOf` `m`
//!   (1 for integers) rounds them inwards; a truthy `exclusive*` moves a
//!   bound that still equals its keyword by `m`; an integer is then `m`
//!   times the integer drawn from `[min/m, max/m]`, a number is
//!   `min + 0.15 * (max - min)`. So `[0, 2^53-1]` gives 1351079888211148
//!   and `[-(2^53-1), 2^53-1]` gives -6305039478318694 (the double
//!   arithmetic is JavaScript's; a whole result above 2^53 is the integer
//!   JavaScript prints for it, as js-yaml writes it).
//! - `object` with `alwaysFakeOptionals`: every property is generated,
//!   `maxProperties` keeps the required ones and then shuffled optional
//!   ones; extra keys are added only while the count is below the minimum
//!   (`minProperties`, the required count, or, with a schema for
//!   `additionalProperties` and no `required`, one): a required key not in
//!   `properties` first, else `dolorb` (word + randexp `_?[_a-f\d]{1,3}`)
//!   with the `additionalProperties` schema (an integer, -70000000, for
//!   `true` or none). A pattern property gives the key randexp makes of its
//!   pattern.
//! - `array`: `maxItems` items if set, else `minItems` (absent: 1; `0`: 0);
//!   a tuple `items` gives one item each; `uniqueItems` keeps one of the
//!   (identical) items.
//! - `anyOf`/`oneOf`: the first alternative (of up to six) merged into the
//!   rest of the schema (jsf's `merge`: arrays unioned, objects deep-merged);
//!   the properties required only by other alternatives are removed. `allOf`
//!   is merged the same way.
//! - Under an object, an empty object value is removed unless the schema
//!   that made the object requires its key (jsf's `clean`); the top-level
//!   object's own members are not cleaned, so `{a: {type: object}}` gives
//!   `{a: {}}`, and array items that are empty objects are removed.
//!
//! What is not modelled makes an [`GenerateError`], never a guess: `$ref`
//! (materialized schemas have none), `not`, `dependencies` with schemas,
//! formats whose value comes from the clock (`date`, `time`, `datetime`),
//! `autoIncrement`/`sequentialDate`/`jsonPath`/`template` with `#{…}`, date
//! strings that `Date` would read in local time, and the cases where jsf
//! itself throws (unknown type or format, `minItems` without `items`, a bad
//! pattern), loops forever (an object needing more than one `dolorb`), or
//! gives `NaN` (`minimum` above `maximum`). Two jsf details are not modelled
//! because they can't change a schema repository's examples: a `oneOf`
//! alternative deleting members of a sibling member named `properties`, and
//! the numeric-first order of integer-like keys (the writer sorts keys).

mod randexp;

use crate::repo_check::Keyword;
use serde_json::{Map, Number, Value};
use thiserror::Error;

use randexp::{RandexpError, randexp};

/// The constant jsonschema-tools gives json-schema-faker as its random source.
const R: f64 = 0.15;
/// jsf's default integer bounds (`env.MIN_INTEGER`, `env.MAX_INTEGER`).
const MIN_INTEGER: f64 = -100_000_000.0;
const MAX_INTEGER: f64 = 100_000_000.0;
/// `Number.MAX_SAFE_INTEGER`, jsf's default `maxLength`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// The longest string or array we build.
const MAX_LEN: f64 = 1_048_576.0;
/// The date-time callback jsonschema-tools registers.
const DATE_TIME: &str = "2021-01-01T00:00:00.000Z";
/// The uri-reference callback jsonschema-tools registers.
const URI_REFERENCE: &str = "http://example.org";

/// jsf's lorem word list (`LIPSUM_WORDS`), in its order.
const LIPSUM: &[&str] = &[
    "Lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipisicing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "Ut",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "ut",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "Duis",
    "aute",
    "irure",
    "dolor",
    "in",
    "reprehenderit",
    "in",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "dolore",
    "eu",
    "fugiat",
    "nulla",
    "pariatur",
    "Excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "in",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum",
];

/// jsf's core formats made by randexp (`regexps` in its format generator).
fn core_format(name: &str) -> Option<&'static str> {
    Some(match name {
        "email" | "idn-email" => "[a-zA-Z\\d][a-zA-Z\\d-]{1,13}[a-zA-Z\\d]@{hostname}",
        "hostname" | "idn-hostname" => "[a-zA-Z]{1,33}\\.[a-z]{2,4}",
        "ipv6" => "[a-f\\d]{4}(:[a-f\\d]{4}){7}",
        "uri" => "https?://{hostname}(?:[a-zA-Z][a-zA-Z0-9+-.]*)+",
        "slug" => "[a-zA-Z\\d_-]+",
        "uri-reference" | "iri" | "iri-reference" => {
            "https?://{hostname}(?:[a-zA-Z][a-zA-Z0-9+-.]*)+(?:\\?([a-z]{1,7}(=\\w{1,5})?&){0,3})?"
        }
        "uri-template" => "https?://{hostname}(?:/\\{[a-z][:a-zA-Z0-9-]*\\}|[a-zA-Z][a-zA-Z0-9+-.]*)+",
        "json-pointer" => "(/(?:[a-zA-Z][a-zA-Z0-9+-./]*|~[01]))+",
        "uuid" => "^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$",
        _ => return None,
    })
}

/// The names jsf replaces in a core format's string (`ALLOWED_FORMATS`), in
/// its alternation order.
const FORMAT_NAMES: &[&str] = &[
    "email",
    "hostname",
    "ipv6",
    "uri",
    "slug",
    "uri-reference",
    "uri-template",
    "json-pointer",
    "uuid",
    "iri",
    "iri-reference",
    "idn-email",
    "idn-hostname",
];

/// Why no example could be made, and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} (at /{pointer})")]
pub struct GenerateError {
    /// The schema path jsf was at, `/`-separated as in jsf's own errors
    /// (`properties/meta/properties/dt`), empty for the top level.
    pub pointer: String,
    /// What went wrong.
    pub kind: GenerateErrorKind,
}

/// The kinds of [`GenerateError`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GenerateErrorKind {
    /// json-schema-faker itself throws here (its message, or ours when the
    /// throw is a JavaScript `TypeError`), so jsonschema-tools' materialize
    /// fails.
    #[error("json-schema-faker fails: {0}")]
    Fails(String),
    /// json-schema-faker never returns here (with a constant random source
    /// it retries the same choice forever).
    #[error("json-schema-faker never finishes: {0}")]
    Endless(String),
    /// The result would not be JSON (`NaN`, `Infinity`, a lone surrogate).
    #[error("json-schema-faker makes no JSON value: {0}")]
    NotJson(String),
    /// Something this model does not reproduce (see the module docs): the
    /// clock, the host's time zone, or a keyword we do not model.
    #[error("not modelled: {0}")]
    Unsupported(String),
}

/// The example json-schema-faker 0.5.0-rcv.34 makes for `schema` under
/// jsonschema-tools 1.3.0's options, with jsonschema-tools' `$schema` fix
/// applied: if the example is an object with a `$schema` member, that
/// member is set to `schema.$id` (removed if the schema has no `$id`, as
/// `JSON.stringify` would drop the `undefined`).
///
/// `schema` is the materialized schema (dereferenced, allOf merged, numeric
/// bounds enforced) without `examples` — or with an empty one: whether to
/// generate at all (`_.isEmpty(schema.examples)`) is the caller's test.
///
/// # Errors
///
/// A [`GenerateError`] when the schema is not an object, when jsf would
/// throw, never finish or give a non-JSON value, and for what is not
/// modelled (module docs).
pub fn generate(schema: &Value) -> Result<Value, GenerateError> {
    if !schema.is_object() {
        return Err(GenerateError {
            pointer: String::new(),
            kind: GenerateErrorKind::Fails(format!("Invalid input, expecting object but given {}", js_typeof(schema))),
        });
    }
    let mut faker = Faker { path: Vec::new() };
    let example = faker.traverse(schema.clone())?;
    let Some(mut example) = example else {
        return Err(GenerateError {
            pointer: String::new(),
            kind: GenerateErrorKind::NotJson("the example is undefined".into()),
        });
    };
    if let Value::Object(map) = &mut example
        && map.contains_key("$schema")
    {
        match schema.get("$id") {
            Some(id) => {
                map.insert("$schema".into(), id.clone());
            }
            None => {
                map.remove("$schema");
            }
        }
    }
    Ok(example)
}

/// A schema after jsf's `resolveSchema`: itself, or (for `anyOf`/`oneOf`)
/// the "thunk" that picks an alternative when traversed.
enum Node {
    Schema(Value),
    Thunk { base: Map<String, Value>, mix: Vec<Value> },
}

/// What `clean` needs of the schema that made a value (jsf's `shouldClean`).
struct CleanBy {
    required: Vec<Value>,
    was_cleaned: bool,
}

impl CleanBy {
    fn of(node: &Node) -> Self {
        match node {
            Node::Thunk { .. } => CleanBy { required: Vec::new(), was_cleaned: true },
            Node::Schema(v) => CleanBy {
                required: match v.kw("required") {
                    Some(Value::Array(r)) => r.clone(),
                    _ => Vec::new(),
                },
                was_cleaned: v.kw("additionalProperties").is_some_and(is_thunk),
            },
        }
    }

    fn should_clean(&self, key: &str) -> bool {
        let required = self.required.iter().any(|r| r.as_str() == Some(key));
        !required && !self.was_cleaned
    }
}

/// Whether `resolveSchema` turns `v` into a thunk (`oneOf || anyOf` is an
/// array).
fn is_thunk(v: &Value) -> bool {
    mix_of(v).is_some()
}

fn mix_of(v: &Value) -> Option<&Vec<Value>> {
    let Value::Object(m) = v else { return None };
    let chosen = match m.kw("oneOf") {
        Some(one) if truthy(one) => Some(one),
        _ => m.kw("anyOf"),
    };
    match chosen {
        Some(Value::Array(a)) => Some(a),
        _ => None,
    }
}

/// One step of jsf's schema path.
enum Seg {
    Key(String),
    Index(usize),
}

struct Faker {
    path: Vec<Seg>,
}

/// JavaScript truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn opt_truthy(v: Option<&Value>) -> bool {
    v.is_some_and(truthy)
}

fn js_typeof(v: &Value) -> &'static str {
    match v {
        Value::Null | Value::Array(_) | Value::Object(_) => "object",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
    }
}

/// JavaScript `===` on JSON values (objects and arrays: never, as two parsed
/// values are never the same object).
fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// The JSON value of a JavaScript number: an integer when it is one.
fn number_value(x: f64) -> Option<Value> {
    if !x.is_finite() {
        return None;
    }
    if x.fract() == 0.0 && x.abs() < 9.2e18 {
        // Beyond 2^53 JavaScript prints the shortest digits that read back
        // as the same double (2767011611056432600, not …640), and that text
        // is what js-yaml writes: keep that integer. Rust prints a double
        // the same way.
        return format!("{x}").parse::<i64>().ok().map(Value::from);
    }
    Number::from_f64(x).map(Value::Number)
}

/// `String(x)` for a number, where Rust prints it as JavaScript does.
fn js_number_string(x: f64) -> Option<String> {
    if x.is_nan() {
        return Some("NaN".into());
    }
    if x.is_infinite() {
        return Some(if x > 0.0 { "Infinity" } else { "-Infinity" }.into());
    }
    if x == 0.0 {
        return Some("0".into());
    }
    let a = x.abs();
    if (1e-6..1e21).contains(&a) {
        if x.fract() == 0.0 {
            return Some(format!("{}", x as i128));
        }
        return Some(format!("{x}"));
    }
    // Exponent form: Rust's `1.5e-7` is JavaScript's `1.5e-7`, `1e21` is `1e+21`.
    let s = format!("{x:e}");
    Some(match s.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => s,
    })
}

/// `String(value)`.
fn js_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number_string(n.as_f64()?)?,
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let mut parts = Vec::with_capacity(a.len());
            for x in a {
                parts.push(if x.is_null() { String::new() } else { js_string(x)? });
            }
            parts.join(",")
        }
        Value::Object(_) => "[object Object]".into(),
    })
}

/// `Number(s)` for a string (StringToNumber), enough for relational
/// comparisons: decimal literals, `Infinity`, and `0x`/`0o`/`0b` integers.
fn js_string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return u128::from_str_radix(digits, radix).map_or(f64::NAN, |v| v as f64);
        }
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let valid = t
        .trim_start_matches(['+', '-'])
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !valid || t.contains("inf") || t.contains("nan") {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// `ToNumber` of a value in `x >= min` comparisons.
fn js_to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => js_string_to_number(s),
        Value::Array(_) => js_string(v).map_or(f64::NAN, |s| js_string_to_number(&s)),
        Value::Object(_) => f64::NAN,
    }
}

/// The longest decimal literal at the start of `s` (after white space):
/// `parseFloat`.
fn parse_float(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if t[i..].starts_with("Infinity") {
        return if b.first() == Some(&b'-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if digits > 0 || j > frac_start {
            digits += j - frac_start;
            i = j;
        }
    }
    if digits == 0 {
        return f64::NAN;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    t[..i].parse::<f64>().unwrap_or(f64::NAN)
}

/// `parseInt(s, 10)`.
fn parse_int(s: &str) -> f64 {
    let t = s.trim_start();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    sign * digits.parse::<f64>().unwrap_or(f64::NAN)
}

/// jsf's `random.number`'s integer case, `getRandomInteger(min, max)`.
fn random_integer(min: f64, max: f64) -> f64 {
    (R * ((max - min) + 1.0)).floor() + min
}

/// jsf's `random.number(min, max, defMin = -100, defMax = 100, hasPrecision)`.
fn number(min: Option<f64>, max: Option<f64>, precision: bool) -> f64 {
    let min = min.unwrap_or(-100.0);
    let mut max = max.unwrap_or(100.0);
    if max < min {
        max += min;
    }
    if precision { R * (max - min) + min } else { random_integer(min, max) }
}

/// jsf's `random.pick` index for `len` things.
fn pick_index(len: usize) -> usize {
    (R * len as f64).floor() as usize
}

/// jsf's `random.shuffle`.
fn shuffle<T: Clone>(items: &[T]) -> Vec<T> {
    let mut copy = items.to_vec();
    let mut length = copy.len();
    while length > 0 {
        let key = (R * length as f64).floor() as usize;
        length -= 1;
        copy.swap(length, key);
    }
    copy
}

/// jsf's `utils.merge(a, b)`.
fn merge(a: &mut Map<String, Value>, b: &Map<String, Value>) {
    for (key, bv) in b {
        match bv {
            Value::Array(items) => {
                let slot = a.entry(key.clone()).or_insert(Value::Null);
                if !truthy(slot) {
                    *slot = Value::Array(Vec::new());
                }
                if let Value::Array(list) = slot {
                    for item in items {
                        if !list.iter().any(|x| strict_eq(x, item)) {
                            list.push(item.clone());
                        }
                    }
                }
            }
            Value::Object(bm) => match a.get_mut(key) {
                Some(Value::Object(am)) => merge(am, bm),
                _ => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, bm);
                    a.insert(key.clone(), Value::Object(fresh));
                }
            },
            _ => {
                a.insert(key.clone(), bv.clone());
            }
        }
    }
}

/// jsf's `utils.clean(obj, schema, isArray)`; `None` is `undefined`.
fn clean(v: Option<Value>, by: &CleanBy, is_array: bool) -> Option<Value> {
    match v? {
        Value::Array(items) => Some(Value::Array(items.into_iter().filter_map(|x| clean(Some(x), by, true)).collect())),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, x) in map {
                let empty = matches!(&x, Value::Object(m) if m.is_empty());
                if empty {
                    if !by.should_clean(&k) {
                        out.insert(k, x);
                    }
                } else if let Some(y) = clean(Some(x), by, false) {
                    out.insert(k, y);
                }
            }
            if out.is_empty() && is_array { None } else { Some(Value::Object(out)) }
        }
        other => Some(other),
    }
}

/// The length of a JavaScript string (UTF-16 code units).
fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `s.substr(0, n)` in UTF-16 code units.
fn js_prefix(s: &str, n: usize) -> Option<String> {
    let units: Vec<u16> = s.encode_utf16().take(n).collect();
    String::from_utf16(&units).ok()
}

/// The string properties of an object, in jsf's `props` order: a key set
/// twice keeps its first place; `None` is a key whose value is `undefined`.
#[derive(Default)]
struct Props(Vec<(String, Option<Value>)>);

impl Props {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.as_ref())
    }

    fn has_truthy(&self, key: &str) -> bool {
        self.get(key).is_some_and(truthy)
    }

    fn set(&mut self, key: String, value: Option<Value>) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }
}

/// jsf's `get(from)` in its object generator: shifts keys off `from` until
/// one is not set (truthy) in `props`; the last one shifted, if any.
fn take_unset(from: &mut Vec<String>, props: &Props) -> Option<String> {
    let mut one = None;
    while !from.is_empty() {
        let k = from.remove(0);
        let set = props.has_truthy(&k);
        one = Some(k);
        if !set {
            break;
        }
    }
    one
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`day` may overflow
/// the month, as `Date`'s MakeDay lets it).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m - 3) + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 + d - 1
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Milliseconds since the epoch of an ISO date string `new Date(s)` reads
/// without the host's time zone: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (UTC), or
/// `YYYY-MM-DDTHH:mm[:ss[.fff…]]` with `Z` or `±HH:mm`. `None` for anything
/// else (read in local time, or by V8's legacy parser).
fn parse_iso_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0i64, |a, &d| a * 10 + i64::from(d - b'0')))
    };
    let year = num(0, 4)?;
    let (mut month, mut day, mut i) = (1, 1, 4);
    if b.get(i) == Some(&b'-') {
        month = num(5, 2)?;
        i = 7;
        if b.get(i) == Some(&b'-') {
            day = num(8, 2)?;
            i = 10;
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let date_ms = days_from_civil(year, month, day) * 86_400_000;
    if i == b.len() {
        return Some(date_ms);
    }
    if b.get(i) != Some(&b'T') || i != 10 {
        return None;
    }
    let hour = num(11, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = num(14, 2)?;
    let (mut second, mut millis, mut j) = (0, 0, 16);
    if b.get(j) == Some(&b':') {
        second = num(17, 2)?;
        j = 19;
        if b.get(j) == Some(&b'.') {
            let start = j + 1;
            let mut k = start;
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            if k == start {
                return None;
            }
            let mut digits: Vec<i64> = b[start..k].iter().take(3).map(|&d| i64::from(d - b'0')).collect();
            digits.resize(3, 0);
            millis = digits[0] * 100 + digits[1] * 10 + digits[2];
            j = k;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_min = match &s[j..] {
        "Z" => 0,
        rest if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) && &rest[3..4] == ":" => {
            let oh = num(j + 1, 2)?;
            let om = num(j + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 60 + om)
        }
        _ => return None,
    };
    Some(date_ms + ((hour * 60 + minute - offset_min) * 60 + second) * 1000 + millis)
}

/// `Date.prototype.toISOString` for years 0–9999.
fn iso_string(ms: i64) -> Option<String> {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let (h, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (mi, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    Some(format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z"))
}

/// `.replace(/([0-9])0+Z$/, '$1Z')`: the leftmost digit followed only by
/// zeros and the final `Z` keeps its place, its zeros go.
fn strip_trailing_zeros(s: &str) -> String {
    let b = s.as_bytes();
    if b.last() != Some(&b'Z') {
        return s.to_owned();
    }
    let body = &b[..b.len() - 1];
    for i in 0..body.len() {
        if body[i].is_ascii_digit() && i + 1 < body.len() && body[i + 1..].iter().all(|&c| c == b'0') {
            return format!("{}Z", &s[..=i]);
        }
    }
    s.to_owned()
}

/// `opts` of jsf's `typecast` for strings.
#[derive(Clone, Copy)]
struct Lengths {
    min: f64,
    max: f64,
}

impl Faker {
    fn pointer(&self) -> String {
        self.path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    fn err(&self, kind: GenerateErrorKind) -> GenerateError {
        GenerateError { pointer: self.pointer(), kind }
    }

    fn unsupported(&self, what: impl Into<String>) -> GenerateError {
        self.err(GenerateErrorKind::Unsupported(what.into()))
    }

    fn fails(&self, what: impl Into<String>) -> GenerateError {
        self.err(GenerateErrorKind::Fails(what.into()))
    }

    fn last_is(&self, name: &str) -> bool {
        matches!(self.path.last(), Some(Seg::Key(k)) if k == name)
    }

    fn randexp(&self, pattern: &str) -> Result<String, GenerateError> {
        randexp(pattern).map_err(|e| match e {
            RandexpError::Syntax(m) => self.fails(m),
            RandexpError::Unsupported(m) => self.unsupported(m),
        })
    }

    fn with<T>(&mut self, seg: Seg, f: impl FnOnce(&mut Self) -> Result<T, GenerateError>) -> Result<T, GenerateError> {
        self.path.push(seg);
        let r = f(self);
        self.path.pop();
        r
    }

    /// jsf's `resolveSchema` on a schema about to be traversed.
    fn resolve(&self, mut v: Value) -> Result<Node, GenerateError> {
        let Value::Object(map) = &mut v else { return Ok(Node::Schema(v)) };
        self.resolve_in_place(map)?;
        if let Some(mix) = mix_of(&Value::Object(map.clone())) {
            let mix = mix.clone();
            let mut base = std::mem::take(map);
            if opt_truthy(base.kw("enum")) && opt_truthy(base.kw("oneOf")) {
                // Only values that not every alternative's bounds accept stay.
                let Some(Value::Array(values)) = base.kw("enum") else {
                    return Err(self.fails("schema.enum.filter is not a function"));
                };
                let kept: Vec<Value> = values
                    .iter()
                    .filter(|x| {
                        !mix.iter().all(|s| {
                            let n = js_to_number(x);
                            let (lo, hi) = (s.kw("minimum"), s.kw("maximum"));
                            (lo.is_some() || hi.is_some())
                                && lo.is_none_or(|m| n >= js_to_number(m))
                                && hi.is_none_or(|m| n <= js_to_number(m))
                        })
                    })
                    .cloned()
                    .collect();
                base.insert("enum".into(), Value::Array(kept));
            }
            return Ok(Node::Thunk { base, mix });
        }
        if !self.last_is("properties") && !self.last_is("items") {
            for key in map.keys() {
                let name = key.strip_prefix("x-").unwrap_or(key);
                if name == "autoIncrement" || name == "sequentialDate" {
                    return Err(self.unsupported(format!("the {key} keyword")));
                }
            }
        }
        Ok(Node::Schema(v))
    }

    /// The part of `resolveSchema` that changes the schema itself: `$id`
    /// cleanup, the `$ref` check, `allOf` merging.
    fn resolve_in_place(&self, map: &mut Map<String, Value>) -> Result<(), GenerateError> {
        let id = match map.get("$id") {
            Some(id) if truthy(id) => Some(id),
            _ => map.kw("id"),
        };
        if matches!(id, Some(Value::String(_))) {
            map.remove("id");
            map.remove("$id");
            map.remove("$schema");
        }
        if let Some(Value::String(r)) = map.get("$ref") {
            return Err(self.unsupported(format!("$ref {r:?} (materialized schemas are dereferenced)")));
        }
        if matches!(map.kw("allOf"), Some(Value::Array(_))) {
            let Some(Value::Array(items)) = map.remove("allOf") else { unreachable!("checked above") };
            for item in items {
                let resolved = match self.resolve(item)? {
                    Node::Schema(s) => s,
                    Node::Thunk { base, mix } => self.expand_thunk(base, &mix, Some(map))?,
                };
                match resolved {
                    Value::Object(m) => merge(map, &m),
                    other => return Err(self.unsupported(format!("an allOf member that is a {}", js_typeof(&other)))),
                }
                if matches!(map.kw("allOf"), Some(Value::Array(_))) {
                    self.resolve_in_place(map)?;
                }
            }
        }
        Ok(())
    }

    /// A thunk's choice: the schema without `anyOf`/`oneOf`, merged with the
    /// picked alternative, without the properties only the other
    /// alternatives require (also from `root.properties`, when given).
    fn expand_thunk(
        &self,
        base: Map<String, Value>,
        mix: &[Value],
        mut root: Option<&mut Map<String, Value>>,
    ) -> Result<Value, GenerateError> {
        let mut copy = base;
        copy.remove("anyOf");
        copy.remove("oneOf");
        if mix.is_empty() {
            return Err(self.fails("an empty anyOf/oneOf: Object.keys(undefined)"));
        }
        let fixed = pick_index(mix.len());
        match &mix[fixed] {
            Value::Object(m) => merge(&mut copy, m),
            other => return Err(self.unsupported(format!("an anyOf/oneOf member that is a {}", js_typeof(other)))),
        }
        for (i, omit) in mix.iter().enumerate() {
            if i == fixed || !opt_truthy(omit.kw("required")) {
                continue;
            }
            let Some(Value::Array(keys)) = omit.kw("required") else {
                return Err(self.fails("omit.required.forEach is not a function"));
            };
            for key in keys {
                let Some(key) = key.as_str() else { continue };
                let included = match copy.kw("required") {
                    Some(Value::Array(r)) => r.iter().any(|x| x.as_str() == Some(key)),
                    Some(Value::String(s)) => s.contains(key),
                    _ => false,
                };
                if !included && let Some(Value::Object(p)) = copy.get_mut("properties") {
                    p.remove(key);
                }
                if let Some(root) = root.as_deref_mut()
                    && let Some(Value::Object(p)) = root.get_mut("properties")
                {
                    p.remove(key);
                }
            }
        }
        Ok(Value::Object(copy))
    }

    /// jsf's `traverse`; `None` is `undefined`.
    fn traverse(&mut self, schema: Value) -> Result<Option<Value>, GenerateError> {
        let node = self.resolve(schema)?;
        self.traverse_node(node)
    }

    fn traverse_node(&mut self, node: Node) -> Result<Option<Value>, GenerateError> {
        let schema = match node {
            Node::Thunk { base, mix } => {
                let expanded = self.expand_thunk(base, &mix, None)?;
                return self.traverse(expanded);
            }
            Node::Schema(s) => s,
        };
        if !truthy(&schema) {
            return Ok(None);
        }
        let mut map = match schema {
            Value::Object(m) => m,
            Value::Array(items) => return self.copy_array(items).map(Some),
            other => return Err(self.fails(format!("Cannot use 'in' operator to search for 'default' in {other}"))),
        };
        if !self.last_is("properties") {
            if let Some(d) = map.kw("default") {
                return Ok(Some(d.clone()));
            }
            if let Some(t) = map.kw("template") {
                let has_placeholder = match t {
                    Value::String(s) => s.contains("#{"),
                    Value::Array(a) => a.iter().any(|x| x.as_str().is_some_and(|s| s.contains("#{"))),
                    _ => false,
                };
                if has_placeholder {
                    return Err(self.unsupported("a template with #{…} placeholders"));
                }
                return Ok(Some(t.clone()));
            }
            if let Some(c) = map.kw("const") {
                return Ok(Some(c.clone()));
            }
        }
        if matches!(map.kw("not"), Some(Value::Object(_) | Value::Array(_))) {
            return Err(self.unsupported("the not keyword (jsf answers it with Math.random)"));
        }
        if let Some(Value::String(p)) = map.kw("pattern") {
            let p = p.clone();
            return self
                .typecast(Some("string"), &mut map, |f, _, _| Ok(Some(Value::String(f.randexp(&p)?))))
                .map(Some);
        }
        if matches!(map.kw("enum"), Some(Value::Array(_))) {
            return self
                .typecast(None, &mut map, |_, m, _| {
                    let Some(Value::Array(values)) = m.kw("enum") else { return Ok(None) };
                    Ok(if values.is_empty() { None } else { Some(values[pick_index(values.len())].clone()) })
                })
                .map(Some);
        }
        if opt_truthy(map.kw("jsonPath")) {
            return Err(self.unsupported("the jsonPath keyword"));
        }
        let ty = match map.kw("type") {
            Some(Value::Array(types)) => {
                if types.is_empty() {
                    None
                } else {
                    Some(types[pick_index(types.len())].clone())
                }
            }
            None => {
                let inferred = self.infer_type(&map);
                if let Some(t) = inferred {
                    map.insert("type".into(), Value::String(t.into()));
                }
                inferred.map(|t| Value::String(t.into()))
            }
            Some(other) => Some(other.clone()),
        };
        match ty {
            Some(Value::String(t)) => self.generate_type(&t, map),
            _ => self.copy_object(map).map(Some),
        }
    }

    /// jsf's `inferType`: the first type one of whose keywords the schema
    /// has, unless the schema sits directly in a subschema container.
    fn infer_type(&self, map: &Map<String, Value>) -> Option<&'static str> {
        const CONTAINERS: &[&str] =
            &["additionalItems", "items", "additionalProperties", "dependencies", "patternProperties", "properties"];
        if let Some(Seg::Key(k)) = self.path.last()
            && CONTAINERS.contains(&k.as_str())
        {
            return None;
        }
        const NUMERIC: &[&str] = &["exclusiveMaximum", "exclusiveMinimum", "maximum", "minimum", "multipleOf"];
        let groups: [(&'static str, &[&str]); 5] = [
            ("array", &["additionalItems", "items", "maxItems", "minItems", "uniqueItems"]),
            ("integer", NUMERIC),
            (
                "object",
                &[
                    "additionalProperties",
                    "dependencies",
                    "maxProperties",
                    "minProperties",
                    "patternProperties",
                    "properties",
                    "required",
                ],
            ),
            ("string", &["maxLength", "minLength", "pattern", "format"]),
            ("number", NUMERIC),
        ];
        groups.into_iter().find(|(_, keys)| map.keys().any(|k| keys.contains(&k.as_str()))).map(|(t, _)| t)
    }

    fn generate_type(&mut self, ty: &str, mut map: Map<String, Value>) -> Result<Option<Value>, GenerateError> {
        match ty {
            "boolean" => Ok(Some(Value::Bool(R > 0.5))),
            "null" => Ok(Some(Value::Null)),
            "integer" | "number" => self.number_type(&map, ty == "integer").map(Some),
            "string" => self.string_type(&mut map).map(Some),
            "array" => self.array_type(&map).map(Some),
            "object" => self.object_type(&map),
            other => {
                Err(self
                    .fails(format!("unknown primitive {}", serde_json::to_string_pretty(other).unwrap_or_default())))
            }
        }
    }

    /// A schema with no type: its members, object members traversed and
    /// cleaned (jsf's fallback copy); `definitions` is copied as is.
    fn copy_object(&mut self, map: Map<String, Value>) -> Result<Value, GenerateError> {
        let mut copy = Map::new();
        for (k, v) in map {
            if matches!(v, Value::Object(_) | Value::Array(_) | Value::Null) && k != "definitions" {
                let r = self.with(Seg::Key(k.clone()), |f| {
                    let node = f.resolve(v)?;
                    let by = CleanBy::of(&node);
                    Ok(clean(f.traverse_node(node)?, &by, false))
                })?;
                if let Some(r) = r {
                    copy.insert(k, r);
                }
            } else {
                copy.insert(k, v);
            }
        }
        Ok(Value::Object(copy))
    }

    fn copy_array(&mut self, items: Vec<Value>) -> Result<Value, GenerateError> {
        let mut copy = Vec::with_capacity(items.len());
        for (i, v) in items.into_iter().enumerate() {
            if matches!(v, Value::Object(_) | Value::Array(_) | Value::Null) {
                let r = self.with(Seg::Index(i), |f| {
                    let node = f.resolve(v)?;
                    let by = CleanBy::of(&node);
                    Ok(clean(f.traverse_node(node)?, &by, false))
                })?;
                copy.extend(r);
            } else {
                copy.push(v);
            }
        }
        Ok(Value::Array(copy))
    }

    fn num_keyword(&self, map: &Map<String, Value>, key: &str) -> Result<Option<f64>, GenerateError> {
        match map.kw(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(self.unsupported(format!("{key}: {other} (not a number)"))),
        }
    }

    /// jsf's `typecast(type, schema, callback)`: bounds for the callback,
    /// then the value forced into the type.
    fn typecast(
        &mut self,
        ty: Option<&str>,
        map: &mut Map<String, Value>,
        produce: impl FnOnce(&mut Self, &Map<String, Value>, Lengths) -> Result<Option<Value>, GenerateError>,
    ) -> Result<Value, GenerateError> {
        let ty: Option<String> =
            ty.map(str::to_owned).or_else(|| map.kw("type").and_then(Value::as_str).map(str::to_owned));
        let mut lengths = Lengths { min: 0.0, max: MAX_SAFE_INTEGER };
        match ty.as_deref() {
            Some("integer" | "number") => {
                let minimum = self.num_keyword(map, "minimum")?;
                let maximum = self.num_keyword(map, "maximum")?;
                if map.kw("enum").is_some_and(truthy) {
                    let mut min = minimum.filter(|&m| m != 0.0).unwrap_or(0.0).max(0.0);
                    let mut max = maximum.filter(|&m| m != 0.0).unwrap_or(f64::INFINITY);
                    let step = self.num_keyword(map, "multipleOf").ok().flatten().filter(|&m| m != 0.0).unwrap_or(1.0);
                    if opt_truthy(map.kw("exclusiveMinimum")) && Some(min) == minimum {
                        min += step;
                    }
                    if opt_truthy(map.kw("exclusiveMaximum")) && Some(max) == maximum {
                        max -= step;
                    }
                    if min != 0.0 || max != f64::INFINITY {
                        let Some(Value::Array(values)) = map.kw("enum") else {
                            return Err(self.fails("schema.enum.filter is not a function"));
                        };
                        let kept: Vec<Value> = values
                            .iter()
                            .filter(|x| {
                                let n = js_to_number(x);
                                n >= min && n <= max
                            })
                            .cloned()
                            .collect();
                        map.insert("enum".into(), Value::Array(kept));
                    }
                }
            }
            Some("string") => {
                if let Some(m) = self.num_keyword(map, "minLength")? {
                    lengths.min = lengths.min.max(m);
                }
                if let Some(m) = self.num_keyword(map, "maxLength")? {
                    lengths.max = lengths.max.min(m);
                }
            }
            _ => {}
        }
        let value = produce(self, map, lengths)?;
        let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(Value::Null) };
        let not_json = |f: &Self, what: &str| f.err(GenerateErrorKind::NotJson(what.to_owned()));
        match ty.as_deref() {
            Some("number") => {
                let x = match &value {
                    Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                    other => parse_float(&js_string(other).unwrap_or_default()),
                };
                number_value(x).ok_or_else(|| not_json(self, &format!("parseFloat({value}) is {x}")))
            }
            Some("integer") => {
                let x = match &value {
                    Value::Number(n) => {
                        let f = n.as_f64().unwrap_or(f64::NAN);
                        let a = f.abs();
                        if a != 0.0 && !(1e-6..1e21).contains(&a) {
                            return Err(self.unsupported(format!("parseInt({f}) of a number printed with an exponent")));
                        }
                        f.trunc()
                    }
                    other => parse_int(&js_string(other).unwrap_or_default()),
                };
                number_value(x).ok_or_else(|| not_json(self, &format!("parseInt({value}) is {x}")))
            }
            Some("boolean") => Ok(Value::Bool(truthy(&value))),
            Some("string") => {
                let Some(s) = js_string(&value) else {
                    return Err(self.unsupported(format!("String({value})")));
                };
                self.fit_string(s, map, lengths).map(Value::String)
            }
            _ => Ok(value),
        }
    }

    /// The string part of `typecast`: padding to `minLength`, cutting at
    /// `maxLength`, and the date formats' rewriting.
    fn fit_string(&self, mut s: String, map: &Map<String, Value>, lengths: Lengths) -> Result<String, GenerateError> {
        let min = if lengths.min > 0.0 { lengths.min } else { 0.0 };
        let max = if lengths.max != 0.0 && !lengths.max.is_nan() { lengths.max } else { f64::INFINITY };
        if min > MAX_LEN {
            return Err(self.unsupported(format!("a string of at least {min} characters")));
        }
        while (js_len(&s) as f64) < min {
            let before = js_len(&s);
            if !opt_truthy(map.kw("pattern")) {
                // random.pick([' ', '/', '_', …]) is '/'.
                s = format!("{s}/{s}");
            } else {
                let Some(Value::String(p)) = map.kw("pattern") else {
                    return Err(self.fails("Expected a regexp or string"));
                };
                s.push_str(&self.randexp(p)?);
            }
            if js_len(&s) == before {
                break;
            }
        }
        if (js_len(&s) as f64) > max {
            s = js_prefix(&s, max as usize)
                .ok_or_else(|| self.unsupported("cutting a string inside a surrogate pair"))?;
        }
        match map.kw("format").and_then(Value::as_str) {
            Some("date-time" | "datetime") => {
                let iso = parse_iso_date(&s).and_then(iso_string).ok_or_else(|| {
                    self.unsupported(format!("new Date({s:?}) (read by the host's Date parser or time zone)"))
                })?;
                Ok(strip_trailing_zeros(&iso))
            }
            Some("date") => {
                let iso = parse_iso_date(&s).and_then(iso_string).ok_or_else(|| {
                    self.unsupported(format!("new Date({s:?}) (read by the host's Date parser or time zone)"))
                })?;
                Ok(iso[..10].to_owned())
            }
            Some("time") => Err(self.unsupported("format time (read in the host's time zone)")),
            _ => Ok(s),
        }
    }

    /// jsf's `numberType` (and `integerType`: `multipleOf` 1 by default).
    fn number_type(&self, map: &Map<String, Value>, integer: bool) -> Result<Value, GenerateError> {
        let multiple = match map.kw("multipleOf") {
            None if integer => Some(1.0),
            None => None,
            Some(Value::Number(n)) => n.as_f64().filter(|&m| m != 0.0),
            Some(v) if !truthy(v) => None,
            Some(other) => return Err(self.unsupported(format!("multipleOf: {other}"))),
        };
        let minimum = self.num_keyword(map, "minimum")?;
        let maximum = self.num_keyword(map, "maximum")?;
        let mut min = minimum.unwrap_or(MIN_INTEGER);
        let mut max = maximum.unwrap_or(MAX_INTEGER);
        if let Some(m) = multiple {
            if m < 0.0 {
                return Err(self.unsupported(format!("multipleOf {m}")));
            }
            max = (max / m).floor() * m;
            min = (min / m).ceil() * m;
        }
        let step = multiple.unwrap_or(1.0);
        if opt_truthy(map.kw("exclusiveMinimum")) && Some(min) == minimum {
            min += step;
        }
        if opt_truthy(map.kw("exclusiveMaximum")) && Some(max) == maximum {
            max -= step;
        }
        let not_json = |what: String| self.err(GenerateErrorKind::NotJson(what));
        if min > max {
            return Err(not_json(format!("NaN: no number in [{min}, {max}]")));
        }
        let x = match multiple {
            Some(m) => {
                let m_text = js_number_string(m).unwrap_or_default();
                if !m_text.contains('.') {
                    let mut base = number(Some((min / m).floor()), Some((max / m).floor()), false) * m;
                    while base < min {
                        base += m;
                    }
                    base
                } else {
                    let boundary = (max - min) / m;
                    let num = number(Some(0.0), Some(boundary), false) * m;
                    if (num / m) % 1.0 != 0.0 {
                        return Err(self.err(GenerateErrorKind::Endless(format!(
                            "{num} / {m} is not a whole number, and jsf retries the same draw"
                        ))));
                    }
                    min + num
                }
            }
            None => number(Some(min), Some(max), true),
        };
        number_value(x).ok_or_else(|| not_json(format!("{x}")))
    }

    /// jsf's `stringType`.
    fn string_type(&mut self, map: &mut Map<String, Value>) -> Result<Value, GenerateError> {
        self.typecast(Some("string"), map, |f, m, lengths| {
            if let Some(fmt) = m.kw("format").filter(|v| truthy(v)) {
                return f.generate_format(fmt).map(|s| Some(Value::String(s)));
            }
            if let Some(p) = m.kw("pattern").filter(|v| truthy(v)) {
                let Value::String(p) = p else { return Err(f.fails("Expected a regexp or string")) };
                return Ok(Some(Value::String(f.randexp(p)?)));
            }
            Ok(Some(Value::String(f.words(lengths)?)))
        })
    }

    /// jsf's `thunkGenerator(min, max)`: lorem words up to the lengths.
    fn words(&self, lengths: Lengths) -> Result<String, GenerateError> {
        let min = lengths.min.max(0.0);
        if min > MAX_LEN {
            return Err(self.unsupported(format!("a string of at least {min} characters")));
        }
        let cut = number(Some(min), Some(lengths.max), false);
        // produce(): random.number(1, 5) = 1 word of the shuffled list.
        let word = shuffle(LIPSUM)[0];
        let mut s = word.to_owned();
        while (js_len(&s) as f64) < min {
            s.push_str(word);
        }
        if (js_len(&s) as f64) > cut {
            s = js_prefix(&s, cut.max(0.0) as usize).unwrap_or_default();
        }
        Ok(s)
    }

    /// jsf's `generateFormat` with jsonschema-tools' two callbacks.
    fn generate_format(&self, format: &Value) -> Result<String, GenerateError> {
        let Value::String(name) = format else {
            return Err(self.fails(format!("unknown registry key {format}")));
        };
        match name.as_str() {
            "uri-reference" => Ok(URI_REFERENCE.into()),
            "date-time" => Ok(DATE_TIME.into()),
            "datetime" | "date" | "time" => {
                Err(self.unsupported(format!("format {name} (jsf draws it from the clock)")))
            }
            "ipv4" => {
                let part = js_number_string(number(Some(0.0), Some(255.0), false)).unwrap_or_default();
                Ok([part.as_str(); 4].join("."))
            }
            "regex" => Ok(".+?".into()),
            other => match core_format(other) {
                Some(pattern) => {
                    let s = self.randexp(pattern)?;
                    // The first `{name}` randexp copied literally is replaced
                    // by that format's string.
                    for (i, _) in s.match_indices('{') {
                        for n in FORMAT_NAMES {
                            let token = format!("{{{n}}}");
                            if s[i..].starts_with(&token) {
                                let inner = self.randexp(core_format(n).unwrap_or_default())?;
                                return Ok(format!("{}{}{}", &s[..i], inner, &s[i + token.len()..]));
                            }
                        }
                    }
                    Ok(s)
                }
                None => Err(self.fails(format!(
                    "unknown registry key {}",
                    serde_json::to_string_pretty(format).unwrap_or_default()
                ))),
            },
        }
    }

    /// jsf's `arrayType` with `alwaysFakeOptionals`.
    fn array_type(&mut self, map: &Map<String, Value>) -> Result<Value, GenerateError> {
        let items = map.kw("items");
        let additional = map.kw("additionalItems");
        if !opt_truthy(items) && !opt_truthy(additional) {
            if ["minItems", "maxItems", "uniqueItems"].iter().any(|k| map.contains_key(*k)) {
                return Err(self.fails("missing items"));
            }
            return Ok(Value::Array(Vec::new()));
        }
        if let Some(Value::Array(tuple)) = items {
            let mut out = Vec::new();
            for (k, item) in tuple.iter().enumerate() {
                let r = self.with(Seg::Key("items".into()), |f| f.with(Seg::Index(k), |f| f.traverse(item.clone())))?;
                out.extend(r);
            }
            return Ok(Value::Array(out));
        }
        let min_items = self.num_keyword(map, "minItems")?;
        let max_items = self.num_keyword(map, "maxItems")?;
        let drawn = number(Some(min_items.unwrap_or(1.0)), Some(max_items.unwrap_or(5.0)), false);
        let base = match max_items {
            Some(m) if m != 0.0 => m,
            _ => drawn,
        };
        let length = base.round().max(min_items.filter(|&m| m != 0.0).unwrap_or(0.0));
        if length > MAX_LEN {
            return Err(self.unsupported(format!("an array of {length} items")));
        }
        let sample = match additional {
            Some(v @ (Value::Object(_) | Value::Array(_) | Value::Null)) => v.clone(),
            _ => Value::Object(Map::new()),
        };
        let item_schema = match items {
            Some(i) if truthy(i) => i.clone(),
            _ => sample,
        };
        let mut out: Vec<Option<Value>> = Vec::new();
        let mut current = 0usize;
        while (current as f64) < length {
            let r = self
                .with(Seg::Key("items".into()), |f| f.with(Seg::Index(current), |f| f.traverse(item_schema.clone())))?;
            out.push(r);
            current += 1;
        }
        if opt_truthy(map.kw("uniqueItems")) {
            // jsf keeps the first of each JSON text and draws again for the
            // rest; every draw is the same item, so one stays.
            let mut seen: Vec<String> = Vec::new();
            let mut kept = Vec::new();
            for v in out {
                let text = v.as_ref().map_or("undefined".to_owned(), |v| serde_json::to_string(v).unwrap_or_default());
                if !seen.contains(&text) {
                    seen.push(text);
                    kept.push(v);
                }
            }
            out = kept;
        }
        Ok(Value::Array(out.into_iter().flatten().collect()))
    }

    fn object_member(&self, map: &Map<String, Value>, key: &str) -> Result<Map<String, Value>, GenerateError> {
        match map.kw(key) {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(v) if !truthy(v) => Ok(Map::new()),
            Some(other) => Err(self.unsupported(format!("{key} that is a {}", js_typeof(other)))),
        }
    }

    /// jsf's `objectType` with `alwaysFakeOptionals`: which keys, with which
    /// schemas; then the key→schema map is traversed as a schema.
    fn object_type(&mut self, value: &Map<String, Value>) -> Result<Option<Value>, GenerateError> {
        let mut properties = self.object_member(value, "properties")?;
        let pattern_properties = self.object_member(value, "patternProperties")?;
        let required: Vec<String> = match value.kw("required") {
            None | Some(Value::Bool(_)) => Vec::new(),
            Some(v) if !truthy(v) => Vec::new(),
            Some(Value::Array(r)) => {
                let mut out = Vec::with_capacity(r.len());
                for k in r {
                    match k {
                        Value::String(s) => out.push(s.clone()),
                        other => return Err(self.unsupported(format!("a required entry {other}"))),
                    }
                }
                out
            }
            Some(other) => return Err(self.unsupported(format!("required: {other}"))),
        };
        let allows_additional = value.kw("additionalProperties") != Some(&Value::Bool(false));
        let any_type = serde_json::json!({"type": ["integer", "number", "string", "boolean"]});
        let additional: Option<Value> = match value.kw("additionalProperties") {
            Some(Value::Bool(true)) => Some(any_type.clone()),
            other => other.cloned(),
        };
        let additional_is_false = additional == Some(Value::Bool(false));
        let property_keys: Vec<String> = properties.keys().cloned().collect();
        let pattern_keys: Vec<String> = pattern_properties.keys().cloned().collect();
        let optional: Vec<String> =
            property_keys.iter().chain(pattern_keys.iter()).filter(|k| !required.contains(k)).cloned().collect();
        let all_len = required.len() + optional.len();

        if !allows_additional
            && property_keys.is_empty()
            && pattern_keys.is_empty()
            && ["minProperties", "maxProperties", "dependencies", "required"].iter().any(|k| value.contains_key(*k))
        {
            return Ok(Some(Value::Null));
        }

        let max_properties = self.num_keyword(value, "maxProperties")?.filter(|&m| m != 0.0);
        let max = max_properties
            .unwrap_or(all_len as f64 + if allows_additional { number(Some(1.0), Some(5.0), false) } else { 0.0 });
        let mut min =
            self.num_keyword(value, "minProperties")?.filter(|&m| m != 0.0).unwrap_or(0.0).max(required.len() as f64);
        if all_len == 1 && required.is_empty() {
            min = number(Some(1.0), Some(max), false).max(min);
        }
        let needed = ((min - required.len() as f64) + (all_len as f64 - min)).round().max(0.0) as usize;
        let chosen: Vec<String> = shuffle(&optional).into_iter().take(needed).collect();
        let extra: Vec<String> = optional.iter().filter(|k| chosen.contains(k)).cloned().collect();
        let max_n = if max.is_finite() && max > 0.0 { max as usize } else { 0 };
        let mut keys: Vec<String> =
            required.iter().cloned().chain(shuffle(&extra).into_iter().take(max_n)).take(max_n).collect();

        if let Some(deps) = value.kw("dependencies").filter(|d| truthy(d)) {
            let Value::Object(deps) = deps else {
                return Err(self.unsupported("dependencies that is not an object"));
            };
            for (prop, dep) in deps {
                if keys.contains(prop) {
                    match dep {
                        Value::Array(subs) => {
                            for sub in subs {
                                let Some(sub) = sub.as_str() else { continue };
                                if !keys.iter().any(|k| k == sub) {
                                    keys.push(sub.to_owned());
                                }
                            }
                        }
                        _ => return Err(self.unsupported("schema dependencies")),
                    }
                }
            }
        }

        let mut props = Props::default();
        let mut compiled: Vec<(String, regex::Regex)> = Vec::new();
        for pk in &pattern_keys {
            let re =
                regex::Regex::new(pk).map_err(|e| self.unsupported(format!("patternProperties key {pk:?}: {e}")))?;
            compiled.push((pk.clone(), re));
        }
        for key in &keys {
            if additional_is_false && required.contains(key) {
                props.set(key.clone(), properties.kw(key).cloned());
            }
            if opt_truthy(properties.kw(key)) {
                props.set(key.clone(), properties.kw(key).cloned());
            }
            let mut found = false;
            for (pk, re) in &compiled {
                if re.is_match(key) {
                    found = true;
                    if props.has_truthy(key) {
                        let Some(Value::Object(extra)) = pattern_properties.get(pk) else { continue };
                        if let Some((_, Some(Value::Object(target)))) = props.0.iter_mut().find(|(k, _)| k == key) {
                            merge(target, extra);
                            // jsf merges into the same object `properties` holds.
                            properties.insert(key.clone(), Value::Object(target.clone()));
                        }
                    } else {
                        let word = self.randexp(key)?;
                        props.set(word, pattern_properties.get(pk).cloned());
                    }
                }
            }
            if !found {
                let own = pattern_properties.kw(key).filter(|v| truthy(v));
                let subschema = own.cloned().or_else(|| additional.clone().filter(truthy));
                if let Some(subschema) = subschema
                    && !additional_is_false
                {
                    let name = if own.is_some() { self.randexp(key)? } else { key.clone() };
                    let schema = properties.kw(key).filter(|v| truthy(v)).cloned().unwrap_or(subschema);
                    props.set(name, Some(schema));
                }
            }
        }

        let mut current = props.0.len();
        let additional_truthy = additional.as_ref().is_some_and(truthy);
        let mut min_props = min;
        if allows_additional && required.is_empty() {
            min_props = (if additional_truthy { number(Some(1.0), Some(max), false) } else { 0.0 }).max(min);
        }
        let mut queue = required.clone();
        loop {
            if pattern_keys.is_empty() && !allows_additional {
                break;
            }
            if current as f64 >= min_props {
                break;
            }
            let before = (current, queue.len());
            if allows_additional {
                if !pattern_keys.is_empty() && !additional_truthy {
                    let prop = &pattern_keys[pick_index(pattern_keys.len())];
                    let word = self.randexp(prop)?;
                    if !props.has_truthy(&word) {
                        props.set(word, pattern_properties.get(prop).cloned());
                        current += 1;
                    }
                } else {
                    let word = match take_unset(&mut queue, &props) {
                        Some(w) if !w.is_empty() => w,
                        _ => format!("{}{}", shuffle(LIPSUM)[0], self.randexp("_?[_a-f\\d]{1,3}")?),
                    };
                    if !props.has_truthy(&word) {
                        let schema = if additional_truthy { additional.clone() } else { Some(any_type.clone()) };
                        props.set(word, schema);
                        current += 1;
                    }
                }
            }
            let mut i = 0;
            while (current as f64) < min && i < pattern_keys.len() {
                let word = self.randexp(&pattern_keys[i])?;
                if !props.has_truthy(&word) {
                    props.set(word, pattern_properties.get(&pattern_keys[i]).cloned());
                    current += 1;
                }
                i += 1;
            }
            if (current, queue.len()) == before {
                return Err(self.err(GenerateErrorKind::Endless(format!(
                    "the object needs {min_props} properties and the next extra key is always the same"
                ))));
            }
        }
        if queue.is_empty() && !allows_additional {
            let maximum = number(Some(min), Some(max), false);
            let mut from = property_keys.clone();
            while (current as f64) < maximum {
                if let Some(word) = take_unset(&mut from, &props).filter(|w| !w.is_empty()) {
                    let schema = properties.get(&word).cloned();
                    props.set(word, schema);
                }
                current += 1;
            }
        }

        let map: Map<String, Value> = props.0.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
        self.with(Seg::Key("properties".into()), |f| {
            if map.kw("not").is_some_and(|v| v.is_object()) || map.kw("jsonPath").is_some_and(truthy) {
                return Err(f.unsupported("a property named not or jsonPath"));
            }
            f.traverse(Value::Object(map))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example(schema: Value) -> Value {
        generate(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"))
    }

    /// Each literal is what node printed for `jsf.generate(schema)` with
    /// jsonschema-tools 1.3.0's options (see `target/jst-npm`).
    #[test]
    fn strings() {
        assert_eq!(example(json!({"type": "string"})), json!("dolor"));
        assert_eq!(example(json!({"type": "string", "minLength": 1, "maxLength": 64})), json!("dolor"));
        assert_eq!(example(json!({"type": "string", "minLength": 30})), json!("dolordolordolordolordolordolor"));
        assert_eq!(example(json!({"type": "string", "maxLength": 3})), json!(""));
        assert_eq!(example(json!({"maxLength": 5})), json!(""));
        assert_eq!(example(json!({"type": "string", "enum": ["ab"], "minLength": 5})), json!("ab/ab"));
        assert_eq!(example(json!({"type": "string", "pattern": "^[0-9a-z]{20}$"})), json!("55555555555555555555"));
    }

    #[test]
    fn formats() {
        assert_eq!(example(json!({"type": "string", "format": "date-time"})), json!("2021-01-01T00:00:00.0Z"));
        assert_eq!(example(json!({"type": "string", "format": "uri-reference"})), json!("http://example.org"));
        assert_eq!(example(json!({"type": "string", "format": "email"})), json!("jjjj@hhhhh.dd"));
        assert_eq!(example(json!({"type": "string", "format": "uuid"})), json!("22222222-2222-2222-2222-222222222222"));
        assert_eq!(example(json!({"type": "string", "format": "ipv4"})), json!("38.38.38.38"));
        assert_eq!(example(json!({"type": "string", "format": "hostname"})), json!("hhhhh.dd"));
        assert_eq!(example(json!({"type": "string", "format": "uri"})), json!("http://hhhhh.ddhjhj"));
        // Cut at maxLength first ("2021-01-01"), then read back by Date (UTC).
        assert_eq!(
            example(
                json!({"type": "object", "properties": {"s": {"type": "string", "format": "date-time", "maxLength": 10}}})
            ),
            json!({"s": "2021-01-01T00:00:00.0Z"})
        );
        // Date lets the day overflow the month; trailing zeros of the
        // milliseconds go but one digit.
        assert_eq!(
            example(json!({"type": "string", "format": "date-time", "enum": ["2021-02-30T00:00:00Z", "x"]})),
            json!("2021-03-02T00:00:00.0Z")
        );
        assert_eq!(
            example(json!({"type": "string", "format": "date-time", "enum": ["2021-02-28T00:00:00.120Z"]})),
            json!("2021-02-28T00:00:00.12Z")
        );
        let e = generate(&json!({"type": "string", "format": "date"})).unwrap_err();
        assert!(matches!(e.kind, GenerateErrorKind::Unsupported(_)), "{e}");
        let e = generate(&json!({"type": "string", "format": "no-such"})).unwrap_err();
        assert_eq!(e.kind, GenerateErrorKind::Fails("unknown registry key \"no-such\"".into()));
    }

    #[test]
    fn numbers() {
        assert_eq!(example(json!({"type": "integer"})), json!(-70000000));
        assert_eq!(example(json!({"type": "number"})), json!(-70000000));
        assert_eq!(
            example(json!({"type": "integer", "minimum": 0, "maximum": 9007199254740991_i64})),
            json!(1351079888211148_i64)
        );
        assert_eq!(
            example(json!({"type": "integer", "minimum": -9007199254740991_i64, "maximum": 9007199254740991_i64})),
            json!(-6305039478318694_i64)
        );
        assert_eq!(
            example(json!({"type": "number", "minimum": -9007199254740991_i64, "maximum": 9007199254740991_i64})),
            json!(-6305039478318694_i64)
        );
        assert_eq!(
            example(json!({"type": "number", "minimum": 0, "maximum": 9007199254740991_i64})),
            json!(1351079888211148.5)
        );
        // A whole double above 2^53 is the integer JavaScript prints for it.
        assert_eq!(
            example(json!({"type": "integer", "minimum": 0, "maximum": 9223372036854775807_i64})),
            json!(1383505805528216300_i64)
        );
        assert_eq!(
            example(json!({"type": "integer", "minimum": 1, "maximum": 10, "exclusiveMinimum": true})),
            json!(3)
        );
        assert_eq!(example(json!({"type": "number", "minimum": 0, "maximum": 1, "multipleOf": 0.25})), json!(0));
        assert_eq!(example(json!({"type": "integer", "minimum": 0, "maximum": 100, "multipleOf": 7})), json!(14));
        // Under enforced bounds the negative enum value is filtered out.
        assert_eq!(example(json!({"type": "integer", "enum": [-5, 3, 7], "maximum": 9007199254740991_i64})), json!(3));
        // node prints null: JSON.stringify(NaN).
        let e = generate(&json!({"type": "integer", "minimum": 5, "maximum": 1})).unwrap_err();
        assert!(matches!(e.kind, GenerateErrorKind::NotJson(_)), "{e}");
    }

    #[test]
    fn scalars_enums_and_defaults() {
        assert_eq!(example(json!({"type": "boolean"})), json!(false));
        assert_eq!(example(json!({"type": "null"})), json!(null));
        assert_eq!(example(json!({"type": ["string", "null"]})), json!("dolor"));
        assert_eq!(example(json!({"type": ["null", "string"]})), json!(null));
        assert_eq!(example(json!({"enum": ["a", "b", "c"]})), json!("a"));
        assert_eq!(example(json!({"enum": [null, "x"]})), json!(null));
        assert_eq!(example(json!({"const": 42})), json!(42));
        assert_eq!(example(json!({"type": "string", "default": "dflt"})), json!("dflt"));
        assert_eq!(
            example(json!({"description": "x", "examples": ["e"]})),
            json!({"description": "x", "examples": ["e"]})
        );
        assert_eq!(example(json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})), json!("dolor"));
    }

    #[test]
    fn objects() {
        assert_eq!(example(json!({"type": "object"})), json!({}));
        assert_eq!(
            example(json!({"type": "object", "additionalProperties": {"type": "string"}})),
            json!({"dolorb": "dolor"})
        );
        assert_eq!(example(json!({"type": "object", "additionalProperties": true})), json!({"dolorb": -70000000}));
        assert_eq!(
            example(
                json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]})
            ),
            json!({"a": "dolor", "b": -70000000})
        );
        assert_eq!(example(json!({"type": "object", "properties": {"a": {"type": "object"}}})), json!({"a": {}}));
        assert_eq!(
            example(
                json!({"type": "object", "properties": {"a": {"type": "object", "properties": {"x": {"type": "object"}}, "required": ["x"]}}})
            ),
            json!({"a": {"x": {}}})
        );
        assert_eq!(example(json!({"type": "object", "required": ["zz"]})), json!({"zz": -70000000}));
        assert_eq!(
            example(json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false})),
            json!({"a": "dolor"})
        );
        assert_eq!(
            example(json!({"type": "object", "patternProperties": {"^x_[a-z]{2}$": {"type": "boolean"}}})),
            json!({"x_dd": false})
        );
        assert_eq!(
            example(
                json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}, "maxProperties": 2})
            ),
            json!({"b": "dolor", "c": "dolor"})
        );
        assert_eq!(
            example(json!({"oneOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]}],
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}})),
            json!({"a": "dolor"})
        );
        assert_eq!(
            example(
                json!({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"required": ["a"]}]})
            ),
            json!({"a": "dolor"})
        );
        // node never returns: the second extra key is `dolorb` again.
        let e = generate(&json!({"type": "object", "minProperties": 3, "additionalProperties": {"type": "string"}}))
            .unwrap_err();
        assert!(matches!(e.kind, GenerateErrorKind::Endless(_)), "{e}");
    }

    #[test]
    fn arrays() {
        assert_eq!(example(json!({"type": "array", "items": {"type": "string"}})), json!(["dolor"]));
        assert_eq!(example(json!({"type": "array", "items": {"type": "string"}, "minItems": 0})), json!([]));
        assert_eq!(
            example(json!({"type": "array", "items": {"type": "string"}, "maxItems": 4})),
            json!(["dolor", "dolor", "dolor", "dolor"])
        );
        assert_eq!(
            example(json!({"type": "array", "items": {"type": "string"}, "minItems": 3, "uniqueItems": true})),
            json!(["dolor"])
        );
        assert_eq!(example(json!({"type": "array", "items": {"type": "object"}})), json!([{}]));
        assert_eq!(
            example(json!({"type": "array", "items": [{"type": "string"}, {"type": "boolean"}]})),
            json!(["dolor", false])
        );
        assert_eq!(example(json!({"type": "array"})), json!([]));
        let e = generate(&json!({"type": "array", "minItems": 2})).unwrap_err();
        assert_eq!(e.kind, GenerateErrorKind::Fails("missing items".into()));
    }

    #[test]
    fn schema_member_is_set_to_the_id() {
        let schema = json!({"$id": "/x/1.0.0", "$schema": "https://json-schema.org/draft-07/schema#", "type": "object",
            "properties": {"$schema": {"type": "string"}}, "required": ["$schema"]});
        assert_eq!(example(schema), json!({"$schema": "/x/1.0.0"}));
    }

    /// A number that is a whole float (`1.0`) as the integer it is, all the
    /// way down: js-yaml writes JavaScript numbers, which have no such
    /// difference.
    fn whole_numbers(v: &Value) -> Value {
        match v {
            Value::Number(n) => n.as_f64().and_then(number_value).unwrap_or_else(|| v.clone()),
            Value::Array(a) => Value::Array(a.iter().map(whole_numbers).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), whole_numbers(x))).collect()),
            other => other.clone(),
        }
    }

    fn current_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                current_files(&path, out);
            } else if path.file_name().is_some_and(|n| n == "current.yaml") {
                out.push(path);
            }
        }
    }

    /// Acceptance: for every title whose `current.yaml` has no (or empty)
    /// `examples`, the example jsonschema-tools 1.3.0 wrote into the version
    /// `current`'s `$id` names (`schemas-materialized-jst-1.3.0.tar.gz`) is
    /// what [`generate`] makes of that materialized file without `examples`.
    #[test]
    fn generated_examples_match_jsonschema_tools() {
        let dir = crate::schema::unpacked("schemas-materialized-jst-1.3.0.tar.gz");
        let mut counts = Vec::new();
        let mut mismatches = Vec::new();
        let mut matched = 0;
        for repo in ["primary", "secondary"] {
            let mut currents = Vec::new();
            current_files(&dir.join("schemas").join(repo).join("jsonschema"), &mut currents);
            let mut generated = 0;
            for current in currents {
                let source = crate::schema::yaml::load_file(&current).unwrap();
                if source.kw("examples").is_some_and(|e| match e {
                    Value::Array(a) => !a.is_empty(),
                    Value::Object(m) => !m.is_empty(),
                    Value::Null => false,
                    _ => true,
                }) {
                    continue;
                }
                generated += 1;
                let id = source["$id"].as_str().unwrap();
                let version = id.rsplit('/').next().unwrap();
                let file = current.with_file_name(format!("{version}.yaml"));
                let mut schema = crate::schema::yaml::load_file(&file).unwrap();
                let reference = schema.as_object_mut().unwrap().remove("examples").expect("a generated example");
                let want = whole_numbers(&reference[0]);
                match generate(&schema) {
                    Ok(got) if whole_numbers(&got) == want => matched += 1,
                    Ok(got) => mismatches.push(format!("{}: got {got}, want {want}", file.display())),
                    Err(e) => mismatches.push(format!("{}: {e}", file.display())),
                }
            }
            counts.push(generated);
        }
        assert_eq!(mismatches, Vec::<String>::new());
        assert_eq!(counts, [17, 23]);
        assert_eq!(matched, 40);
    }
}
