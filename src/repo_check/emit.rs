//! Writing a schema as jsonschema-tools 1.3.0 writes a materialized file,
//! byte for byte (schema-repos.md §3).
//!
//! jsonschema-tools serializes with `serializers` in `lib/jsonschema-tools.js`:
//!
//! - YAML: `yaml.dump(obj, { sortKeys: schemaKeyCompare })` with js-yaml
//!   3.15.2 (every other option at its default: indent 2, lineWidth 80,
//!   flowLevel -1, noRefs false, DEFAULT_FULL schema): [`to_yaml`], and
//!   [`to_yaml_shared`] for a value in which some objects are one JavaScript
//!   object (js-yaml then writes `&ref_N` and `*ref_N`).
//! - JSON: `jsonStableStringify(obj, { cmp, space: 2 })` with
//!   json-stable-stringify 1.3: [`to_json`].
//!
//! Both sort the keys of every mapping, at every depth (properties, examples,
//! everything), with `schemaKeyCompare`: [`schema_key_order`].
//!
//! Numbers print as JavaScript prints them (`String(n)`), after the value has
//! been a JavaScript number: an integer beyond 2^53 is first rounded to the
//! nearest double, as `JSON.parse` and js-yaml would have read it.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde_json::{Map, Number, Value};

// ---------------------------------------------------------------------------
// Key order

/// The keys jsonschema-tools puts first, in this order (`schemaKeySortOrder`).
const FIXED_KEYS: [&str; 10] = [
    "title",
    "description",
    "$id",
    "$schema",
    "type",
    "additionalProperties",
    "required",
    "properties",
    "allOf",
    "examples",
];

/// Names that JavaScript's `in` finds on every object (`Object.prototype`'s
/// properties): `k in schemaKeySortOrder` is true for them too.
const PROTOTYPE_KEYS: [&str; 12] = [
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "__proto__",
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// The order in which jsonschema-tools 1.3.0 sorts the keys of every mapping
/// it writes (`schemaKeyCompare` in `lib/jsonschema-tools.js`): first
/// `title`, `description`, `$id`, `$schema`, `type`, `additionalProperties`,
/// `required`, `properties`, `allOf`, `examples`, in that order; then every
/// other key by JavaScript's `k1.localeCompare(k2)` ([`locale_compare`]).
///
/// One divergence, for keys no schema has: JavaScript's `in` also finds
/// `Object.prototype`'s names (`constructor`, `toString`, `__proto__`, …) in
/// the fixed list, where their rank is `NaN`, which makes jsonschema-tools'
/// comparison inconsistent. Here they sort after the ten fixed keys and
/// before all others, among themselves by `localeCompare`.
#[must_use]
pub fn schema_key_order(a: &str, b: &str) -> Ordering {
    ranked_order((key_rank(a), a), (key_rank(b), b))
}

/// A key's place in the fixed list (the prototype names share one place
/// after it), or `None`.
fn key_rank(key: &str) -> Option<usize> {
    FIXED_KEYS.iter().position(|k| *k == key).or_else(|| PROTOTYPE_KEYS.contains(&key).then_some(FIXED_KEYS.len()))
}

/// [`schema_key_order`] of two keys whose [`key_rank`] is known.
fn ranked_order(a: (Option<usize>, &str), b: (Option<usize>, &str)) -> Ordering {
    match (a.0, b.0) {
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        _ => locale_compare(a.1, b.1),
    }
}

/// The primary weights of ASCII characters in ICU's root collation (CLDR
/// root, as Node 20 with full ICU sorts with `localeCompare`): 0 for the
/// completely ignorable control characters, otherwise the rank, with a
/// letter's two cases on one weight.
static ASCII_PRIMARY: LazyLock<[u16; 128]> = LazyLock::new(|| {
    // Measured with node v20 (ICU 78.2): every printable ASCII character
    // sorted with localeCompare; TAB..CR sort before the space.
    const ORDER: &str = "\t\n\u{b}\u{c}\r \
        _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";
    let mut table = [0u16; 128];
    for (rank, c) in ORDER.chars().enumerate() {
        let weight = u16::try_from(rank + 1).expect("fewer than 128 characters");
        table[c as usize] = weight;
        if c.is_ascii_lowercase() {
            table[c.to_ascii_uppercase() as usize] = weight;
        }
    }
    table
});

/// The collation element of one character: (primary, tertiary), or `None`
/// for a completely ignorable one. ASCII primaries are twice their rank, so
/// that NEL fits between CR and the space.
fn collation_element(c: char) -> Option<(u32, u8)> {
    let rank = |c: char| 2 * u32::from(ASCII_PRIMARY[c as usize]);
    if c.is_ascii() {
        let primary = rank(c);
        return (primary != 0).then(|| (primary, u8::from(c.is_ascii_uppercase())));
    }
    Some(match c {
        // NEL sorts right after CR, before the space (measured).
        '\u{85}' => (rank('\r') + 1, 0),
        // NO-BREAK SPACE: the space's primary weight, a tertiary difference.
        '\u{a0}' => (rank(' '), 1),
        // Fallback (no key in either repository has one): after everything
        // ASCII, in code point order, with no case or accent levels.
        _ => (1024 + c as u32, 0),
    })
}

/// JavaScript's `a.localeCompare(b)` as Node 20 (full ICU, root collation,
/// default strength tertiary, punctuation not ignored) compares the keys
/// schemas use: first the primary weights of the whole strings
/// (case-insensitive: `a` = `A`; order: whitespace, then
/// `` _-,;:!?.'"()[]{}@*/\&#%`^+<=>|~$ ``, then digits, then letters), then,
/// when all are equal, case (lowercase before uppercase), position by
/// position. Control characters other than TAB..CR are ignored; strings
/// equal at every level compare `Equal`.
///
/// Faithful for ASCII (verified with node against every pair of the 1,130
/// distinct keys of both repositories and against synthetic ASCII strings);
/// other characters sort after ASCII by code point, which is not ICU's order
/// (ICU puts `é` next to `e`), and no key in the repositories has one.
#[must_use]
pub fn locale_compare(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return ascii_locale_compare(a.as_bytes(), b.as_bytes());
    }
    // Primary level.
    fn primary(s: &str) -> impl Iterator<Item = u32> + '_ {
        s.chars().filter_map(collation_element).map(|(p, _)| p)
    }
    match primary(a).cmp(primary(b)) {
        Ordering::Equal => {}
        other => return other,
    }
    // Tertiary level (ASCII has no secondary differences): the primaries are
    // equal, so both sequences have the same length.
    let tertiary = |s: &str| s.chars().filter_map(collation_element).map(|(_, t)| t).collect::<Vec<_>>();
    tertiary(a).cmp(&tertiary(b))
}

/// [`locale_compare`] of two ASCII strings, without decoding characters.
fn ascii_locale_compare(a: &[u8], b: &[u8]) -> Ordering {
    let weight = |c: u8| ASCII_PRIMARY[usize::from(c)];
    let (mut i, mut j) = (0, 0);
    // The first case difference, which decides when the primaries are equal.
    let mut case = Ordering::Equal;
    loop {
        while i < a.len() && weight(a[i]) == 0 {
            i += 1;
        }
        while j < b.len() && weight(b[j]) == 0 {
            j += 1;
        }
        let (x, y) = match (a.get(i), b.get(j)) {
            (None, None) => return case,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (*x, *y),
        };
        match weight(x).cmp(&weight(y)) {
            Ordering::Equal => {}
            other => return other,
        }
        if case == Ordering::Equal {
            case = x.is_ascii_uppercase().cmp(&y.is_ascii_uppercase());
        }
        i += 1;
        j += 1;
    }
}

/// The keys of `map` in jsonschema-tools' order ([`schema_key_order`]); the
/// sort is stable, as V8's `Array.prototype.sort` is.
fn sorted_keys(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(Option<usize>, &String, &Value)> = map.iter().map(|(k, v)| (key_rank(k), k, v)).collect();
    entries.sort_by(|x, y| ranked_order((x.0, x.1), (y.0, y.1)));
    entries.into_iter().map(|(_, k, v)| (k, v)).collect()
}

// ---------------------------------------------------------------------------
// JavaScript numbers

/// `Number.prototype.toString()` (ECMA-262 Number::toString, radix 10) of a
/// finite double: the shortest digits that read back as `x`, in positional
/// notation for decimal exponents -6..=20, else as `1.5e+21` / `1e-7`. Both
/// zeros print `0`.
fn js_number_string(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned();
    }
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as JavaScript does.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} has an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let k = i32::try_from(digits.len()).expect("at most 17 digits");
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e >= 0 { '+' } else { '-' }, e.abs());
    }
    out
}

/// A serde_json number as the JavaScript number it would be, printed with
/// `String(n)`, and whether JavaScript sees an integer (`n % 1 === 0` and not
/// `-0`). Integers up to 2^53 print exactly; larger ones are rounded to the
/// nearest double first, as JavaScript reads them.
fn js_number(number: &Number) -> (String, bool, bool) {
    const EXACT: u64 = 1 << 53;
    if let Some(i) = number.as_i64()
        && i.unsigned_abs() <= EXACT
    {
        return (i.to_string(), true, false);
    }
    if let Some(u) = number.as_u64()
        && u <= EXACT
    {
        return (u.to_string(), true, false);
    }
    let x = number.as_f64().unwrap_or(f64::NAN);
    let negative_zero = x == 0.0 && x.is_sign_negative();
    (js_number_string(x), x.is_finite() && x.fract() == 0.0 && !negative_zero, negative_zero)
}

// ---------------------------------------------------------------------------
// YAML (js-yaml 3.15.2 dumper)

/// `value` as jsonschema-tools 1.3.0 writes a `.yaml` file: js-yaml 3.15.2
/// `yaml.dump(value, { sortKeys: schemaKeyCompare })`, ending with one
/// newline. The rules, from js-yaml's `lib/js-yaml/dumper.js`:
///
/// - Mappings and sequences in block style, indented by 2, keys sorted by
///   [`schema_key_order`]; a sequence under a key is indented (`key:\n  - a`),
///   a mapping in a sequence starts on the dash's line (`- a: 1\n    b: 2`),
///   as does a nested sequence (`- - a`). Empty ones are `{}` and `[]`.
/// - `null`, `true`, `false`; numbers as `String(n)` (`1e+21`, `0.1`), a
///   non-integer in exponent form gaining a dot (`1.e-7`), `-0` as `-0.0`.
/// - Strings: `''` when empty; single-quoted (`'yes'`) for YAML 1.1 booleans;
///   double-quoted with escapes (`\t`, `\x7F`, `\u2028` as `\L`, astral
///   characters as `\U0001F600`) when a character is not printable; a block
///   scalar when it has a line break (literal `|`) or a line longer than the
///   width, 80 minus the indentation and at least 40 (folded `>`, broken at
///   spaces), with indentation indicator `2` when it starts with a space and
///   chomping `-` (no final newline), none (one) or `+` (more); otherwise
///   plain unless it starts with an indicator (`-?:,[]{}#&*!|>'"%@` and
///   backquote), has `: ,[]{}` or a `#` after a space, ends with a space or
///   would read back as another type (null `~`, bool, int `0x1F`/`1_000`/
///   `1:30`, float `1.0`/`.5`/`.inf`, timestamp `2021-01-01T00:00:00.0Z`,
///   merge `<<`), then single-quoted.
/// - Keys as strings, never block scalars; a key written longer than 1024
///   characters becomes an explicit `? key` pair.
///
/// Every object is written in full (a `serde_json::Value` has no shared
/// objects); see [`to_yaml_shared`] for js-yaml's `&ref_N` anchors.
#[must_use]
pub fn to_yaml(value: &Value) -> String {
    to_yaml_shared(value, &[])
}

/// [`to_yaml`] for a value in which the nodes at the JSON pointers of each
/// group are one JavaScript object (as json-schema-ref-parser's dereference
/// leaves every `$ref` to one target, e.g. examples that `$ref`
/// `#/examples/0/meta`). js-yaml (noRefs false) numbers the shared objects in
/// the order it finds each one a second time, walking the value in its key
/// order before sorting, writes the first occurrence in sorted order as
/// `&ref_N` followed by the node, and every later one as `*ref_N`.
///
/// Pointers that do not resolve, or resolve to a scalar (JavaScript strings
/// and numbers have no identity), are ignored.
#[must_use]
pub fn to_yaml_shared(value: &Value, shared: &[Vec<String>]) -> String {
    let mut groups = HashMap::new();
    for (group, pointers) in shared.iter().enumerate() {
        for pointer in pointers {
            if let Some(node @ (Value::Object(_) | Value::Array(_))) = value.pointer(pointer) {
                groups.insert(std::ptr::from_ref(node) as usize, group);
            }
        }
    }
    let mut dumper = Dumper { groups, anchors: HashMap::new(), used: Vec::new(), out: String::new() };
    if !dumper.groups.is_empty() {
        let mut seen = vec![false; shared.len()];
        dumper.number_duplicates(value, &mut seen);
    }
    dumper.node(0, value, true, false);
    dumper.out.push('\n');
    dumper.out
}

/// The state of one dump.
struct Dumper {
    /// Address of a shared node → its group.
    groups: HashMap<usize, usize>,
    /// Group → its `ref_N` number (only groups found twice).
    anchors: HashMap<usize, usize>,
    /// `ref_N` → already written.
    used: Vec<bool>,
    out: String,
}

impl Dumper {
    /// js-yaml's `getDuplicateReferences`: a pre-order walk in key order that
    /// does not enter an object a second time; a group gets the next number
    /// when it is met the second time.
    fn number_duplicates(&mut self, node: &Value, seen: &mut [bool]) {
        if let Some(&group) = self.groups.get(&(std::ptr::from_ref(node) as usize)) {
            if seen[group] {
                if !self.anchors.contains_key(&group) {
                    self.anchors.insert(group, self.used.len());
                    self.used.push(false);
                }
                return;
            }
            seen[group] = true;
        }
        match node {
            Value::Object(map) => map.values().for_each(|v| self.number_duplicates(v, seen)),
            Value::Array(items) => items.iter().for_each(|v| self.number_duplicates(v, seen)),
            _ => {}
        }
    }

    /// The `ref_N` number of a node that appears more than once.
    fn anchor_of(&self, node: &Value) -> Option<usize> {
        if self.groups.is_empty() {
            return None;
        }
        let group = self.groups.get(&(std::ptr::from_ref(node) as usize))?;
        self.anchors.get(group).copied()
    }

    /// Whether the dump of `node` written with `compact` starts with a line
    /// break (js-yaml's `CHAR_LINE_FEED === state.dump.charCodeAt(0)`).
    fn starts_with_newline(&self, node: &Value, compact: bool) -> bool {
        let filled = match node {
            Value::Object(map) => !map.is_empty(),
            Value::Array(items) => !items.is_empty(),
            _ => false,
        };
        filled && !compact && self.anchor_of(node).is_none()
    }

    fn newline(&mut self, level: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', 2 * level));
    }

    /// js-yaml's `writeNode` with `block` true (flowLevel -1).
    fn node(&mut self, level: usize, node: &Value, mut compact: bool, is_key: bool) {
        if let Some(anchor) = self.anchor_of(node) {
            if self.used[anchor] {
                let _ = write!(self.out, "*ref_{anchor}");
                return;
            }
            self.used[anchor] = true;
            compact = false;
            let _ = write!(self.out, "&ref_{anchor}");
            if matches!(node, Value::Object(m) if m.is_empty()) || matches!(node, Value::Array(a) if a.is_empty()) {
                self.out.push(' ');
            }
        }
        match node {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                let (text, integer, negative_zero) = js_number(n);
                if negative_zero {
                    self.out.push_str("-0.0");
                } else if !integer && is_scientific_without_dot(&text) {
                    self.out.push_str(&text.replacen('e', ".e", 1));
                } else {
                    self.out.push_str(&text);
                }
            }
            Value::String(s) => write_scalar(&mut self.out, s, level, is_key),
            Value::Object(map) if map.is_empty() => self.out.push_str("{}"),
            Value::Array(items) if items.is_empty() => self.out.push_str("[]"),
            Value::Object(map) => self.block_mapping(level, map, compact),
            Value::Array(items) => self.block_sequence(level, items, compact),
        }
    }

    /// js-yaml's `writeBlockSequence`.
    fn block_sequence(&mut self, level: usize, items: &[Value], compact: bool) {
        for (index, item) in items.iter().enumerate() {
            if !compact || index != 0 {
                self.newline(level);
            }
            self.out.push_str(if self.starts_with_newline(item, true) { "-" } else { "- " });
            self.node(level + 1, item, true, false);
        }
    }

    /// js-yaml's `writeBlockMapping` with the keys sorted.
    fn block_mapping(&mut self, level: usize, map: &Map<String, Value>, compact: bool) {
        for (index, (key, value)) in sorted_keys(map).into_iter().enumerate() {
            if !compact || index != 0 {
                self.newline(level);
            }
            let mut key_text = String::new();
            write_scalar(&mut key_text, key, level + 1, true);
            let explicit = key_text.encode_utf16().count() > 1024;
            if explicit {
                self.out.push_str("? ");
            }
            self.out.push_str(&key_text);
            if explicit {
                self.newline(level);
            }
            self.out.push_str(if self.starts_with_newline(value, explicit) { ":" } else { ": " });
            self.node(level + 1, value, explicit, false);
        }
    }
}

/// js-yaml float's `SCIENTIFIC_WITHOUT_DOT`: `/^[-+]?[0-9]+e/`.
fn is_scientific_without_dot(text: &str) -> bool {
    let digits = text.trim_start_matches(['-', '+']);
    let run = digits.bytes().take_while(u8::is_ascii_digit).count();
    run > 0 && digits.as_bytes().get(run) == Some(&b'e')
}

/// YAML 1.1 booleans that js-yaml quotes for older readers (compat mode).
const DEPRECATED_BOOLEANS: [&str; 16] =
    ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"];

/// js-yaml's `isPrintable`, for a UTF-16 code unit or code point. Code
/// points above U+FFFF are surrogate pairs to js-yaml's `charCodeAt` loop,
/// and a surrogate is not printable: the caller handles those.
fn is_printable(c: u32) -> bool {
    (0x20..=0x7E).contains(&c)
        || ((0xA1..=0xD7FF).contains(&c) && c != 0x2028 && c != 0x2029)
        || ((0xE000..=0xFFFD).contains(&c) && c != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&c)
}

fn is_whitespace(c: u32) -> bool {
    c == 0x20 || c == 0x09
}

/// js-yaml's `isNsChar`.
fn is_ns_char(c: u32) -> bool {
    is_printable(c) && !is_whitespace(c) && c != 0xFEFF && c != 0x0D && c != 0x0A
}

/// js-yaml's `isPlainSafe` (a character after the first of a plain scalar).
fn is_plain_safe(c: u32, prev: Option<u32>) -> bool {
    is_printable(c)
        && c != 0xFEFF
        && !matches!(c, 0x2C | 0x5B | 0x5D | 0x7B | 0x7D | 0x3A)
        && (c != 0x23 || prev.is_some_and(is_ns_char))
}

/// js-yaml's `isPlainSafeFirst`.
fn is_plain_safe_first(c: u32) -> bool {
    is_printable(c)
        && c != 0xFEFF
        && !is_whitespace(c)
        && !matches!(
            char::from_u32(c),
            Some('-' | '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '=' | '>' | '\'' | '"')
                | Some('%' | '@' | '`')
        )
}

/// The scalar styles of js-yaml's `chooseScalarStyle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Literal,
    Folded,
    Double,
}

/// js-yaml's `chooseScalarStyle` for a non-empty string (indent per level 2).
fn choose_style(s: &str, single_line_only: bool, line_width: usize) -> Style {
    let mut chars = s.chars().map(u32::from);
    let first = chars.next().expect("non-empty");
    let last = s.chars().next_back().map(u32::from).expect("non-empty");
    let mut plain = is_plain_safe_first(first) && !is_whitespace(last);
    let mut has_line_break = false;
    let mut has_foldable_line = false;
    // Line length in UTF-16 units; every unit is one character here, as a
    // character outside the BMP returns Double before any length matters.
    let mut line_start = 0usize;
    let mut line_first: Option<u32> = None;
    let mut prev: Option<u32> = None;
    let mut i = 0usize;
    for c in s.chars().map(u32::from) {
        if !single_line_only && c == 0x0A {
            has_line_break = true;
            has_foldable_line = has_foldable_line || (i - line_start > line_width && line_first != Some(0x20));
            line_start = i + 1;
            line_first = None;
        } else {
            if c > 0xFFFF || !is_printable(c) {
                return Style::Double;
            }
            if line_first.is_none() && i == line_start {
                line_first = Some(c);
            }
        }
        plain = plain && is_plain_safe(c, prev);
        prev = Some(c);
        i += 1;
    }
    if !single_line_only {
        has_foldable_line = has_foldable_line || (i - line_start > line_width && line_first != Some(0x20));
    }
    if !has_line_break && !has_foldable_line {
        return if plain && !resolves_implicitly(s) { Style::Plain } else { Style::Single };
    }
    if has_foldable_line { Style::Folded } else { Style::Literal }
}

/// Whether `s`, written plain, would read back as something other than a
/// string: the `resolve` of each implicit type of js-yaml 3's DEFAULT_FULL
/// schema (null, bool, int, float, timestamp, merge).
fn resolves_implicitly(s: &str) -> bool {
    static FLOAT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(concat!(
            r"^(?:[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?",
            r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?",
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
            r"|[-+]?\.(?:inf|Inf|INF)",
            r"|\.(?:nan|NaN|NAN))$"
        ))
        .expect("valid regex")
    });
    static DATE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$").expect("valid regex"));
    static TIMESTAMP: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(concat!(
            r"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?",
            r"(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]",
            r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?$"
        ))
        .expect("valid regex")
    });
    if matches!(s, "~" | "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "<<") {
        return true;
    }
    // Every int, float and timestamp starts with a digit, a sign or a dot.
    if !matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.')) {
        return false;
    }
    resolves_as_int(s) || (FLOAT.is_match(s) && !s.ends_with('_')) || DATE.is_match(s) || TIMESTAMP.is_match(s)
}

/// js-yaml 3's `resolveYamlInteger`: decimal, `0b`, `0x`, octal `0…`, with
/// `_` separators, and base 60 (`1:30`).
fn resolves_as_int(s: &str) -> bool {
    static BASE60: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^(?::[0-5]?[0-9])+$").expect("valid regex"));
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut index = 0;
    if b[0] == b'-' || b[0] == b'+' {
        index = 1;
    }
    let at = |i: usize| b.get(i).copied();
    // A run of digits (of the given kind) and `_`, to the end: true when it
    // has a digit and does not end with `_`.
    let run = |from: usize, digit: fn(&u8) -> bool| {
        let rest = &b[from.min(b.len())..];
        rest.iter().all(|c| *c == b'_' || digit(c)) && rest.iter().any(digit) && rest.last() != Some(&b'_')
    };
    if at(index) == Some(b'0') {
        if index + 1 == b.len() {
            return true;
        }
        return match at(index + 1) {
            Some(b'b') => run(index + 2, |c| *c == b'0' || *c == b'1'),
            Some(b'x') => run(index + 2, u8::is_ascii_hexdigit),
            _ => run(index + 1, |c| (b'0'..=b'7').contains(c)),
        };
    }
    if at(index) == Some(b'_') {
        return false;
    }
    let mut has_digits = false;
    let mut last = None;
    let mut colon = None;
    for (i, &c) in b.iter().enumerate().skip(index) {
        last = Some(c);
        if c == b'_' {
            continue;
        }
        if c == b':' {
            colon = Some(i);
            break;
        }
        if !c.is_ascii_digit() {
            return false;
        }
        has_digits = true;
    }
    if !has_digits || last == Some(b'_') {
        return false;
    }
    match colon {
        None => true,
        Some(i) => BASE60.is_match(&s[i..]),
    }
}

/// js-yaml's `writeScalar` for a string at `level` (indent 2, width 80).
fn write_scalar(out: &mut String, s: &str, level: usize, is_key: bool) {
    if s.is_empty() {
        out.push_str("''");
        return;
    }
    if DEPRECATED_BOOLEANS.contains(&s) {
        out.push('\'');
        out.push_str(s);
        out.push('\'');
        return;
    }
    let indent = 2 * level.max(1);
    let line_width = 40usize.max(80usize.saturating_sub(indent));
    match choose_style(s, is_key, line_width) {
        Style::Plain => out.push_str(s),
        Style::Single => {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        Style::Literal => {
            block_header(out, '|', s);
            out.push_str(drop_ending_newline(&indent_string(s, indent)));
        }
        Style::Folded => {
            block_header(out, '>', s);
            out.push_str(drop_ending_newline(&indent_string(&fold_string(s, line_width), indent)));
        }
        Style::Double => {
            out.push('"');
            escape_double(out, s);
            out.push('"');
        }
    }
}

/// js-yaml's `blockHeader` (indent per level 2): the style character, `2`
/// when the text starts (after line breaks) with a space, the chomping
/// indicator and a line break.
fn block_header(out: &mut String, style: char, s: &str) {
    out.push(style);
    if s.trim_start_matches('\n').starts_with(' ') {
        out.push('2');
    }
    let clip = s.ends_with('\n');
    let keep = clip && (s.ends_with("\n\n") || s == "\n");
    out.push_str(if keep {
        "+"
    } else if clip {
        ""
    } else {
        "-"
    });
    out.push('\n');
}

fn drop_ending_newline(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

/// js-yaml's `indentString`: every line that is not empty gets `spaces`
/// spaces in front.
fn indent_string(s: &str, spaces: usize) -> String {
    let mut result = String::with_capacity(s.len() + 16 * spaces);
    for line in s.split_inclusive('\n') {
        if line != "\n" {
            result.extend(std::iter::repeat_n(' ', spaces));
        }
        result.push_str(line);
    }
    result
}

/// js-yaml's `foldString`: the text of a folded scalar, each content line
/// broken at spaces ([`fold_line`]) and an extra line break between two
/// lines that are not more-indented (folding would join them).
fn fold_string(s: &str, width: usize) -> String {
    let first_end = s.find('\n').unwrap_or(s.len());
    let mut result = fold_line(&s[..first_end], width);
    let mut prev_more_indented = s.starts_with('\n') || s.starts_with(' ');
    let mut rest = &s[first_end..];
    while !rest.is_empty() {
        let breaks = rest.len() - rest.trim_start_matches('\n').len();
        let after = &rest[breaks..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let line = &after[..line_end];
        let more_indented = line.starts_with(' ');
        result.push_str(&rest[..breaks]);
        if !prev_more_indented && !more_indented && !line.is_empty() {
            result.push('\n');
        }
        result.push_str(&fold_line(line, width));
        prev_more_indented = more_indented;
        rest = &after[line_end..];
    }
    result
}

/// js-yaml's `foldLine`: greedy breaking of one line at single spaces (a
/// space followed by a non-space), each piece at most `width` characters
/// where a break allows. A more-indented line (starting with a space) is not
/// broken.
fn fold_line(line: &str, width: usize) -> String {
    if line.is_empty() || line.starts_with(' ') {
        return line.to_owned();
    }
    // Character positions (every character is one UTF-16 unit here).
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let byte = |i: usize| chars.get(i).map_or(line.len(), |(b, _)| *b);
    let mut result = String::with_capacity(line.len() + 8);
    let (mut start, mut curr) = (0usize, 0usize);
    for next in 0..chars.len().saturating_sub(1) {
        if chars[next].1 != ' ' || chars[next + 1].1 == ' ' {
            continue;
        }
        if next - start > width {
            let end = if curr > start { curr } else { next };
            result.push('\n');
            result.push_str(&line[byte(start)..byte(end)]);
            start = end + 1;
        }
        curr = next;
    }
    result.push('\n');
    if chars.len() - start > width && curr > start {
        result.push_str(&line[byte(start)..byte(curr)]);
        result.push('\n');
        result.push_str(&line[byte(curr + 1)..]);
    } else {
        result.push_str(&line[byte(start)..]);
    }
    result.split_off(1)
}

/// js-yaml's `escapeString` (the inside of a double-quoted scalar).
fn escape_double(out: &mut String, s: &str) {
    for c in s.chars() {
        let code = u32::from(c);
        let escape = match code {
            0x00 => "\\0",
            0x07 => "\\a",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0A => "\\n",
            0x0B => "\\v",
            0x0C => "\\f",
            0x0D => "\\r",
            0x1B => "\\e",
            0x22 => "\\\"",
            0x5C => "\\\\",
            0x85 => "\\N",
            0xA0 => "\\_",
            0x2028 => "\\L",
            0x2029 => "\\P",
            _ if code > 0xFFFF => {
                let _ = write!(out, "\\U{code:08X}");
                continue;
            }
            _ if is_printable(code) => {
                out.push(c);
                continue;
            }
            _ if code <= 0xFF => {
                let _ = write!(out, "\\x{code:02X}");
                continue;
            }
            _ => {
                let _ = write!(out, "\\u{code:04X}");
                continue;
            }
        };
        out.push_str(escape);
    }
}

// ---------------------------------------------------------------------------
// JSON (json-stable-stringify 1.x)

/// `value` as jsonschema-tools 1.3.0 writes a `.json` file:
/// json-stable-stringify `(value, { cmp: schemaKeyCompare on keys, space: 2 })`
/// (its `index.js`): keys sorted by [`schema_key_order`] at every depth, each
/// member and item on its own line indented by 2 per level (`"key": value`),
/// the closing bracket on its own line, so an empty object or array is `{`,
/// a line break, the parent's indentation and `}` (`"a": [\n  ]`); strings
/// and numbers as `JSON.stringify` writes them (`-0` as `0`, `1e+21`); no
/// final newline.
#[must_use]
pub fn to_json(value: &Value) -> String {
    let mut out = String::new();
    json_node(&mut out, value, 0);
    out
}

fn json_node(out: &mut String, value: &Value, level: usize) {
    let indent = |out: &mut String, level: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', 2 * level));
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number(n).0),
        Value::String(s) => json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                json_node(out, item, level + 1);
            }
            indent(out, level);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in sorted_keys(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                json_string(out, key);
                out.push_str(": ");
                json_node(out, item, level + 1);
            }
            indent(out, level);
            out.push('}');
        }
    }
}

/// `JSON.stringify` of a string (ECMA-262 QuoteJSONString): `"` and `\`
/// escaped, `\b \t \n \f \r`, other control characters as `\u00xx`
/// (lowercase hex), everything else as is.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// `data/schemas-materialized-jst-1.3.0.tar.gz` unpacked once per test
    /// binary: the two repositories after jsonschema-tools 1.3.0
    /// `materialize-all`.
    fn reference() -> &'static Path {
        crate::schema::unpacked("schemas-materialized-jst-1.3.0.tar.gz")
    }

    /// Every regular `<X.Y.Z>.yaml` file under `dir` (not `current.yaml`,
    /// not symlinks), sorted.
    fn version_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            if meta.is_dir() {
                version_files(&path, out);
            } else if meta.is_file()
                && let Some(version) = name.strip_suffix(".yaml")
                && version.split('.').count() == 3
                && version.split('.').all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            {
                out.push(path);
            }
        }
        out.sort();
    }

    /// Where two texts first differ: the line number and both lines.
    fn first_difference(ours: &str, theirs: &str) -> String {
        let line = ours
            .lines()
            .zip(theirs.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(ours.lines().count().min(theirs.lines().count()));
        format!("line {}: ours {:?}, file {:?}", line + 1, ours.lines().nth(line), theirs.lines().nth(line))
    }

    /// The version files that jsonschema-tools 1.3.0 would not write as they
    /// are: older versions, committed by earlier jsonschema-tools releases,
    /// which `materialize-all` leaves alone (it writes only the version in
    /// each `current.yaml`). 95 are js-yaml dumps without `sortKeys`
    /// (`yaml.dump(obj)` reproduces them, measured); the other 6 differ in
    /// a trailing line break, a blank line, unquoted `$schema: https://…#`
    /// (primary test/event 0.0.2 and 0.0.3) or line folding. Measured with
    /// node: `serialize(safeLoad(file), 'yaml')` equals these files for the
    /// other 409, and differs for exactly these 101.
    const OLDER_FILES: &str = "
primary/jsonschema/error/0.0.3.yaml
primary/jsonschema/fragment/common/1.0.0.yaml
primary/jsonschema/fragment/http/1.0.0.yaml
primary/jsonschema/fragment/http/1.1.0.yaml
primary/jsonschema/fragment/mediawiki/common/1.0.0.yaml
primary/jsonschema/fragment/mediawiki/page/common/1.0.0.yaml
primary/jsonschema/fragment/mediawiki/revision/common/1.0.0.yaml
primary/jsonschema/mediawiki/api/request/0.0.1.yaml
primary/jsonschema/mediawiki/client/error/1.0.0.yaml
primary/jsonschema/mediawiki/revision/create/1.0.0.yaml
primary/jsonschema/mediawiki/revision/score/1.0.0.yaml
primary/jsonschema/mediawiki/user/blocks-change/1.0.0.yaml
primary/jsonschema/test/event/0.0.2.yaml
primary/jsonschema/test/event/0.0.3.yaml
secondary/jsonschema/analytics/legacy/autoblockipblock/1.0.0.yaml
secondary/jsonschema/analytics/legacy/centralnoticebannerhistory/1.0.0.yaml
secondary/jsonschema/analytics/legacy/centralnoticeimpression/1.0.0.yaml
secondary/jsonschema/analytics/legacy/codemirrorusage/1.0.0.yaml
secondary/jsonschema/analytics/legacy/contenttranslationabusefilter/1.0.0.yaml
secondary/jsonschema/analytics/legacy/cpubenchmark/1.0.0.yaml
secondary/jsonschema/analytics/legacy/cpubenchmark/1.1.0.yaml
secondary/jsonschema/analytics/legacy/desktopwebuiactionstracking/1.0.0.yaml
secondary/jsonschema/analytics/legacy/editattemptstep/1.0.0.yaml
secondary/jsonschema/analytics/legacy/featurepolicyviolation/1.0.0.yaml
secondary/jsonschema/analytics/legacy/helppanel/1.0.0.yaml
secondary/jsonschema/analytics/legacy/helppanel/1.0.1.yaml
secondary/jsonschema/analytics/legacy/helppanel/1.0.2.yaml
secondary/jsonschema/analytics/legacy/homepagemodule/1.0.0.yaml
secondary/jsonschema/analytics/legacy/homepagemodule/1.1.0.yaml
secondary/jsonschema/analytics/legacy/homepagevisit/1.0.0.yaml
secondary/jsonschema/analytics/legacy/homepagevisit/1.1.0.yaml
secondary/jsonschema/analytics/legacy/homepagevisit/1.1.1.yaml
secondary/jsonschema/analytics/legacy/inukapageview/1.0.0.yaml
secondary/jsonschema/analytics/legacy/kaiosappfeedback/1.0.0.yaml
secondary/jsonschema/analytics/legacy/kaiosappfirstrun/1.0.0.yaml
secondary/jsonschema/analytics/legacy/mobilewebuiactionstracking/1.0.0.yaml
secondary/jsonschema/analytics/legacy/navigationtiming/1.0.0.yaml
secondary/jsonschema/analytics/legacy/navigationtiming/1.1.0.yaml
secondary/jsonschema/analytics/legacy/newcomertask/1.0.0.yaml
secondary/jsonschema/analytics/legacy/painttiming/1.0.0.yaml
secondary/jsonschema/analytics/legacy/prefupdate/1.0.0.yaml
secondary/jsonschema/analytics/legacy/quicksurveyinitiation/1.0.0.yaml
secondary/jsonschema/analytics/legacy/quicksurveysresponses/1.0.0.yaml
secondary/jsonschema/analytics/legacy/referencepreviewsbaseline/1.0.0.yaml
secondary/jsonschema/analytics/legacy/referencepreviewscite/1.0.0.yaml
secondary/jsonschema/analytics/legacy/referencepreviewspopups/1.0.0.yaml
secondary/jsonschema/analytics/legacy/referencepreviewspopups/1.1.0.yaml
secondary/jsonschema/analytics/legacy/savetiming/1.0.0.yaml
secondary/jsonschema/analytics/legacy/searchsatisfaction/1.0.0.yaml
secondary/jsonschema/analytics/legacy/searchsatisfaction/1.1.0.yaml
secondary/jsonschema/analytics/legacy/searchsatisfaction/1.2.0.yaml
secondary/jsonschema/analytics/legacy/searchsatisfaction/1.3.0.yaml
secondary/jsonschema/analytics/legacy/searchsatisfaction/1.4.0.yaml
secondary/jsonschema/analytics/legacy/serversideaccountcreation/1.0.0.yaml
secondary/jsonschema/analytics/legacy/specialinvestigate/1.0.0.yaml
secondary/jsonschema/analytics/legacy/specialmutesubmit/1.0.0.yaml
secondary/jsonschema/analytics/legacy/suggestedtagsaction/1.0.0.yaml
secondary/jsonschema/analytics/legacy/templatedataapi/1.0.0.yaml
secondary/jsonschema/analytics/legacy/templatedataeditor/1.0.0.yaml
secondary/jsonschema/analytics/legacy/templatewizard/1.0.0.yaml
secondary/jsonschema/analytics/legacy/templatewizard/1.1.0.yaml
secondary/jsonschema/analytics/legacy/templatewizard/1.2.0.yaml
secondary/jsonschema/analytics/legacy/test/1.0.0.yaml
secondary/jsonschema/analytics/legacy/test/1.1.0.yaml
secondary/jsonschema/analytics/legacy/test/1.2.0.yaml
secondary/jsonschema/analytics/legacy/translationrecommendationapirequests/1.0.0.yaml
secondary/jsonschema/analytics/legacy/translationrecommendationuirequests/1.0.0.yaml
secondary/jsonschema/analytics/legacy/translationrecommendationuseraction/1.0.0.yaml
secondary/jsonschema/analytics/legacy/twocolconflictconflict/1.0.0.yaml
secondary/jsonschema/analytics/legacy/twocolconflictexit/1.0.0.yaml
secondary/jsonschema/analytics/legacy/universallanguageselector/1.0.0.yaml
secondary/jsonschema/analytics/legacy/universallanguageselector/1.1.0.yaml
secondary/jsonschema/analytics/legacy/universallanguageselector/1.2.0.yaml
secondary/jsonschema/analytics/legacy/universallanguageselector/1.3.0.yaml
secondary/jsonschema/analytics/legacy/virtualpageview/1.0.0.yaml
secondary/jsonschema/analytics/legacy/visualeditorfeatureuse/1.0.0.yaml
secondary/jsonschema/analytics/legacy/visualeditortemplatedialoguse/1.0.0.yaml
secondary/jsonschema/analytics/legacy/wikidatacompletionsearchclicks/1.0.0.yaml
secondary/jsonschema/analytics/legacy/wikipediaportal/1.0.0.yaml
secondary/jsonschema/analytics/legacy/wmdebannerevents/1.0.0.yaml
secondary/jsonschema/analytics/legacy/wmdebannerinteractions/1.0.0.yaml
secondary/jsonschema/analytics/legacy/wmdebannersizeissue/1.0.0.yaml
secondary/jsonschema/analytics/mediawiki/content_translation_event/1.0.0.yaml
secondary/jsonschema/analytics/mediawiki/mediasearch_interaction/1.0.0.yaml
secondary/jsonschema/analytics/mediawiki/mediasearch_interaction/1.1.0.yaml
secondary/jsonschema/analytics/mediawiki/mediasearch_interaction/1.2.0.yaml
secondary/jsonschema/analytics/mediawiki/mediasearch_interaction/1.3.0.yaml
secondary/jsonschema/analytics/mediawiki/structured_task/article/link_suggestion_interaction/1.0.0.yaml
secondary/jsonschema/analytics/mobile_apps/android_user_contribution_screen/1.0.0.yaml
secondary/jsonschema/analytics/mobile_apps/android_user_contribution_screen/2.0.0.yaml
secondary/jsonschema/analytics/mobile_apps/ios_edit_history_compare/1.0.0.yaml
secondary/jsonschema/analytics/mobile_apps/ios_edit_history_compare/2.0.0.yaml
secondary/jsonschema/analytics/session_tick/1.0.0.yaml
secondary/jsonschema/analytics/test/1.0.0.yaml
secondary/jsonschema/analytics/test/1.1.0.yaml
secondary/jsonschema/fragment/analytics/common/1.0.0.yaml
secondary/jsonschema/fragment/analytics/common/1.1.0.yaml
secondary/jsonschema/fragment/analytics/legacy/eventcapsule/1.0.0.yaml
secondary/jsonschema/fragment/analytics/legacy/eventcapsule/1.1.0.yaml
secondary/jsonschema/sparql/query/1.0.0.yaml
secondary/jsonschema/sparql/query/1.1.0.yaml
";

    /// The one file in which jsonschema-tools' value shares an object:
    /// `examples/1..3/meta` are `{$ref: '#/examples/0/meta'}` in its
    /// `current.yaml`, which json-schema-ref-parser replaces by that one object.
    const NETWORK_ERROR: &str = "primary/jsonschema/w3c/reportingapi/network_error/1.0.0.yaml";

    #[test]
    fn to_yaml_writes_every_materialized_file_as_jsonschema_tools() {
        let root = reference().join("schemas");
        let older: Vec<&str> = OLDER_FILES.trim().lines().collect();
        let (mut counts, mut matched, mut current_matched) = (Vec::new(), 0, 0);
        let mut mismatches = Vec::new();
        for repo in ["primary", "secondary"] {
            let mut files = Vec::new();
            version_files(&root.join(repo).join("jsonschema"), &mut files);
            counts.push(files.len());
            for file in files {
                let name = file.strip_prefix(&root).unwrap().display().to_string();
                let text = std::fs::read_to_string(&file).unwrap();
                let value = crate::schema::yaml::parse_yaml_str(&text, &name).unwrap_or_else(|e| panic!("{e}"));
                let ours = if name == NETWORK_ERROR {
                    let unshared = to_yaml(&value);
                    assert_eq!(
                        first_difference(&unshared, &text),
                        r#"line 177: ours Some("    meta:"), file Some("    meta: &ref_0")"#
                    );
                    let meta: Vec<String> = (0..4).map(|i| format!("/examples/{i}/meta")).collect();
                    to_yaml_shared(&value, &[meta])
                } else {
                    to_yaml(&value)
                };
                // Whatever the bytes, our output reads back as the same value.
                let again = crate::schema::yaml::parse_yaml_str(&ours, &name).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(again, value, "{name}: to_yaml does not read back as the file's value");
                let current = file.with_file_name("current.yaml");
                let current = crate::schema::yaml::load_file(&current).unwrap_or_else(|e| panic!("{e}"));
                let version = file.file_stem().unwrap().to_str().unwrap();
                let is_current = current["$id"].as_str().unwrap().ends_with(&format!("/{version}"));
                if ours == text {
                    matched += 1;
                    current_matched += usize::from(is_current);
                } else {
                    assert!(
                        !is_current,
                        "{name} (written by jsonschema-tools 1.3.0): {}",
                        first_difference(&ours, &text)
                    );
                    mismatches.push(name);
                }
            }
        }
        assert_eq!(counts, [83, 427]);
        // Every file written by the 1.3.0 run: one per title (53 + 149).
        assert_eq!(current_matched, 202);
        assert_eq!(matched, 409);
        assert_eq!(mismatches, older);
    }

    /// The input of [`to_yaml_and_to_json_write_what_jsonschema_tools_writes`]
    /// (`JSON.stringify` of it; `{KEY}` stands for 1,100 `k`s, `{U+XXXX}` for
    /// U+007F, U+0085, U+00A0, U+2028 and U+FEFF).
    const SYNTHETIC: &str = r###"{"strings":["","true","yes","No","~","null","1.0","1_000","0x1F","0b101","0755","09","+1","1:30","1:30.5",".5",".inf","-.inf",".NaN","1e5","2021-01-01T00:00:00.0Z","2021-01-01","2021-1-1 1:00:00","<<","-a","?a","a: b","a:b","a #b","a#b","#x","http://x","trailing "," leading","it's","tab\there","del{U+007F}","nel{U+0085}","nbsp{U+00A0}","ls{U+2028}","bom{U+FEFF}","emoji😀","é","a,b","[x]","{x}","@x","`x","%x","!x","&x","*x","|x",">x","=x","'x","\"x","x\"","x\\y","cr\rlf"],"blocks":["a\nb","a\nb\n","a\nb\n\n","\n","\n\n"," lead\nx","\n lead","x\n  more\ny\n","word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end\nword word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end\n\n  indented word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end\nword word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end","a  b c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c"],"deep":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{"q":{"r":{"s":{"t":"word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end"}}}}}}}}}}}}}}}}}}}},"numbers":[0,0,1.5,0.1,1e+21,1e-7,1.5e-7,123456789012345680000,9007199254740992,-6305039478318694,1e+300,5e-324,100,1,2.5,0.000001,100000000000000000000,-1e-7],"keys":{"1":2,"9":17,"10":16,"yes":1,"a b":3,"a:b":4,"":5,"-k":6,"Type":7,"type":8,"$schema":9,"title":10,"_x":11,"x-y":12,"x_y":13,"X":14,"x":15,"{KEY}":18,"multi\nline":19},"nest":[[],{},[[]],[{}],[[1,2],[3]],[{"a":1,"b":[1,{"c":[]}]}],{"a":[],"b":{},"c":[[{}]]},null,true,false]}"###;

    /// `jsonschema-tools` 1.3.0 `serialize(JSON.parse(SYNTHETIC), 'yaml')` (node v20).
    const SYNTHETIC_YAML: &str = r###"blocks:
  - |-
    a
    b
  - |
    a
    b
  - |+
    a
    b

  - |+

  - |+


  - |2-
     lead
    x
  - |2-

     lead
  - |
    x
      more
    y
  - >-
    word word word word word word word word word word word word word word word
    word word word word word word word word word word word word word word word
    end
  - >-
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
  - >-
    word word word word word word word word word word word word word word word
    word word word word word word word word word word word word word word word
    end

    word word word word word word word word word word word word word word word
    word word word word word word word word word word word word word word word
    end

      indented word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end
    word word word word word word word word word word word word word word word
    word word word word word word word word word word word word word word word
    end
  - >-
    a  b c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
    c c c c c c c c c c c c c c
deep:
  a:
    b:
      c:
        d:
          e:
            f:
              g:
                h:
                  i:
                    j:
                      k:
                        l:
                          m:
                            'n':
                              o:
                                p:
                                  q:
                                    r:
                                      s:
                                        t: >-
                                          word word word word word word word word
                                          word word word word word word word word
                                          word word word word word word word word
                                          word word word word word word end
keys:
  title: 10
  $schema: 9
  type: 8
  '': 5
  _x: 11
  '-k': 6
  '1': 2
  '10': 16
  '9': 17
  a b: 3
  'a:b': 4
  ? {KEY}
  : 18
  "multi\nline": 19
  Type: 7
  x: 15
  X: 14
  x_y: 13
  x-y: 12
  'yes': 1
nest:
  - []
  - {}
  - - []
  - - {}
  - - - 1
      - 2
    - - 3
  - - a: 1
      b:
        - 1
        - c: []
  - a: []
    b: {}
    c:
      - - {}
  - null
  - true
  - false
numbers:
  - 0
  - 0
  - 1.5
  - 0.1
  - 1e+21
  - 1.e-7
  - 1.5e-7
  - 123456789012345680000
  - 9007199254740992
  - -6305039478318694
  - 1e+300
  - 5.e-324
  - 100
  - 1
  - 2.5
  - 0.000001
  - 100000000000000000000
  - -1.e-7
strings:
  - ''
  - 'true'
  - 'yes'
  - 'No'
  - '~'
  - 'null'
  - '1.0'
  - '1_000'
  - '0x1F'
  - '0b101'
  - '0755'
  - 09
  - '+1'
  - '1:30'
  - '1:30.5'
  - '.5'
  - '.inf'
  - '-.inf'
  - '.NaN'
  - '1e5'
  - '2021-01-01T00:00:00.0Z'
  - '2021-01-01'
  - '2021-1-1 1:00:00'
  - '<<'
  - '-a'
  - '?a'
  - 'a: b'
  - 'a:b'
  - 'a #b'
  - a#b
  - '#x'
  - 'http://x'
  - 'trailing '
  - ' leading'
  - it's
  - "tab\there"
  - "del\x7F"
  - "nel\N"
  - "nbsp\_"
  - "ls\L"
  - "bom\uFEFF"
  - "emoji\U0001F600"
  - é
  - 'a,b'
  - '[x]'
  - '{x}'
  - '@x'
  - '`x'
  - '%x'
  - '!x'
  - '&x'
  - '*x'
  - '|x'
  - '>x'
  - '=x'
  - '''x'
  - '"x'
  - x"
  - x\y
  - "cr\rlf"
"###;

    /// `jsonschema-tools` 1.3.0 `serialize(JSON.parse(SYNTHETIC), 'json')` (node v20).
    const SYNTHETIC_JSON: &str = r###"{
  "blocks": [
    "a\nb",
    "a\nb\n",
    "a\nb\n\n",
    "\n",
    "\n\n",
    " lead\nx",
    "\n lead",
    "x\n  more\ny\n",
    "word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end\nword word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end\n\n  indented word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end\nword word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end",
    "a  b c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c"
  ],
  "deep": {
    "a": {
      "b": {
        "c": {
          "d": {
            "e": {
              "f": {
                "g": {
                  "h": {
                    "i": {
                      "j": {
                        "k": {
                          "l": {
                            "m": {
                              "n": {
                                "o": {
                                  "p": {
                                    "q": {
                                      "r": {
                                        "s": {
                                          "t": "word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end"
                                        }
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  },
  "keys": {
    "title": 10,
    "$schema": 9,
    "type": 8,
    "": 5,
    "_x": 11,
    "-k": 6,
    "1": 2,
    "10": 16,
    "9": 17,
    "a b": 3,
    "a:b": 4,
    "{KEY}": 18,
    "multi\nline": 19,
    "Type": 7,
    "x": 15,
    "X": 14,
    "x_y": 13,
    "x-y": 12,
    "yes": 1
  },
  "nest": [
    [
    ],
    {
    },
    [
      [
      ]
    ],
    [
      {
      }
    ],
    [
      [
        1,
        2
      ],
      [
        3
      ]
    ],
    [
      {
        "a": 1,
        "b": [
          1,
          {
            "c": [
            ]
          }
        ]
      }
    ],
    {
      "a": [
      ],
      "b": {
      },
      "c": [
        [
          {
          }
        ]
      ]
    },
    null,
    true,
    false
  ],
  "numbers": [
    0,
    0,
    1.5,
    0.1,
    1e+21,
    1e-7,
    1.5e-7,
    123456789012345680000,
    9007199254740992,
    -6305039478318694,
    1e+300,
    5e-324,
    100,
    1,
    2.5,
    0.000001,
    100000000000000000000,
    -1e-7
  ],
  "strings": [
    "",
    "true",
    "yes",
    "No",
    "~",
    "null",
    "1.0",
    "1_000",
    "0x1F",
    "0b101",
    "0755",
    "09",
    "+1",
    "1:30",
    "1:30.5",
    ".5",
    ".inf",
    "-.inf",
    ".NaN",
    "1e5",
    "2021-01-01T00:00:00.0Z",
    "2021-01-01",
    "2021-1-1 1:00:00",
    "<<",
    "-a",
    "?a",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#x",
    "http://x",
    "trailing ",
    " leading",
    "it's",
    "tab\there",
    "del{U+007F}",
    "nel{U+0085}",
    "nbsp{U+00A0}",
    "ls{U+2028}",
    "bom{U+FEFF}",
    "emoji😀",
    "é",
    "a,b",
    "[x]",
    "{x}",
    "@x",
    "`x",
    "%x",
    "!x",
    "&x",
    "*x",
    "|x",
    ">x",
    "=x",
    "'x",
    "\"x",
    "x\"",
    "x\\y",
    "cr\rlf"
  ]
}"###;

    fn unplaceholder(text: &str) -> String {
        let mut text = text.replace("{KEY}", &"k".repeat(1100));
        for c in ['\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{feff}'] {
            text = text.replace(&format!("{{U+{:04X}}}", u32::from(c)), &c.to_string());
        }
        text
    }

    #[test]
    fn to_yaml_and_to_json_write_what_jsonschema_tools_writes() {
        // Scalar styles, quoting, escapes, block scalars and folding (also
        // at depth 20, where the width is 40), key quoting and order, an
        // explicit `? key`, empty and nested collections, numbers.
        let value: Value = serde_json::from_str(&unplaceholder(SYNTHETIC)).unwrap();
        let yaml = to_yaml(&value);
        let expected = unplaceholder(SYNTHETIC_YAML);
        assert!(yaml == expected, "{}", first_difference(&yaml, &expected));
        let json = to_json(&value);
        let expected = unplaceholder(SYNTHETIC_JSON);
        assert!(json == expected, "{}", first_difference(&json, &expected));
    }

    #[test]
    fn to_json_writes_materialized_files_as_json_stable_stringify() {
        let root = reference().join("schemas");
        let load = |path: &str| crate::schema::yaml::load_file(&root.join(path)).unwrap_or_else(|e| panic!("{e}"));
        // jsonschema-tools 1.3.0 serialize(safeLoad(file), 'json'), node v20.
        let client_ip = r#"{
  "title": "fragment/http/client_ip",
  "description": "An http.client_ip property that can be{U+00A0}optionatlly added to the http object.",
  "$id": "/fragment/http/client_ip/1.0.0",
  "$schema": "https://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "http": {
      "type": "object",
      "properties": {
        "client_ip": {
          "description": "The http client's IP address, usually set from the X-Client-IP header, the value of which is extracted from X-Forwarded-For.",
          "type": "string"
        }
      }
    }
  },
  "examples": [
    {
      "http": {
        "client_ip": "dolor"
      }
    }
  ]
}"#;
        // (`{U+00A0}`: the file has a no-break space there.)
        assert_eq!(to_json(&load("primary/jsonschema/fragment/http/client_ip/1.0.0.yaml")), unplaceholder(client_ip));
        let index = r#"{
  "title": "fragment/cirrussearch/index",
  "description": "Common schema fields to locate an elastic search index",
  "$id": "/fragment/cirrussearch/index/1.0.0",
  "$schema": "https://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": [
    "cirrussearch_index_name",
    "cirrussearch_cluster_group"
  ],
  "properties": {
    "cirrussearch_cluster_group": {
      "description": "The elastic search cluster group",
      "type": "string",
      "minLength": 1
    },
    "cirrussearch_index_name": {
      "description": "The elastic search index name",
      "type": "string",
      "minLength": 1
    }
  },
  "examples": [
    {
      "cirrussearch_cluster_group": "dolor",
      "cirrussearch_index_name": "dolor"
    }
  ]
}"#;
        assert_eq!(to_json(&load("primary/jsonschema/fragment/cirrussearch/index/1.0.0.yaml")), index);
        // The ends of two larger files: an empty array, the 2^53 - 1 bounds.
        let wizard = to_json(&load("secondary/jsonschema/analytics/legacy/templatewizard/1.0.0.yaml"));
        let wizard_end = r#"
        "revision_id": 1234,
        "template_names": [
        ]
      },
      "meta": {
        "dt": "2020-04-02T19:11:20.942Z",
        "stream": "eventlogging_TemplateWizard"
      },
      "schema": "TemplateWizard"
    }
  ]
}"#;
        assert!(wizard.ends_with(wizard_end), "{wizard}");
        assert_eq!(wizard.len(), 6974); // bytes of node's output
        let common = to_json(&load("secondary/jsonschema/fragment/analytics/common/2.0.0.yaml"));
        for line in [
            "\n          \"maximum\": 9007199254740991,\n          \"minimum\": -9007199254740991\n",
            "\n        \"status_code\": -6305039478318694\n",
        ] {
            assert!(common.contains(line), "{common}");
        }
        assert_eq!(common.len(), 4005);
    }

    #[test]
    fn shared_objects_become_anchors_and_aliases() {
        // node: const s = {x: 1, y: []}, t = [1, 2], e = {};
        // serialize({c: s, a: {inner: s, list: t}, b: [s, t, e, e], d: t}, 'yaml')
        let value = serde_json::json!({
            "c": {"x": 1, "y": []},
            "a": {"inner": {"x": 1, "y": []}, "list": [1, 2]},
            "b": [{"x": 1, "y": []}, [1, 2], {}, {}],
            "d": [1, 2],
        });
        let shared = |pointers: &[&str]| pointers.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        let groups =
            [shared(&["/c", "/a/inner", "/b/0"]), shared(&["/a/list", "/b/1", "/d"]), shared(&["/b/2", "/b/3"])];
        assert_eq!(
            to_yaml_shared(&value, &groups),
            "a:\n  inner: &ref_0\n    x: 1\n    'y': []\n  list: &ref_1\n    - 1\n    - 2\nb:\n  - *ref_0\n  - *ref_1\n  - &ref_2 {}\n  - *ref_2\nc: *ref_0\nd: *ref_1\n"
        );
        // Without the groups every object is written out.
        assert_eq!(
            to_yaml(&value),
            "a:\n  inner:\n    x: 1\n    'y': []\n  list:\n    - 1\n    - 2\nb:\n  - x: 1\n    'y': []\n  - - 1\n    - 2\n  - {}\n  - {}\nc:\n  x: 1\n  'y': []\nd:\n  - 1\n  - 2\n"
        );
        // A pointer to a scalar or to nothing is ignored.
        assert_eq!(to_yaml_shared(&value, &[shared(&["/c/x", "/a/inner/x", "/nope"])]), to_yaml(&value));
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        // node v20: String(n), and js-yaml's float form.
        let cases: [(f64, &str, &str); 15] = [
            (0.1, "0.1", "0.1"),
            (1e21, "1e+21", "1e+21"),
            (1e20, "100000000000000000000", "100000000000000000000"),
            (1e-7, "1e-7", "1.e-7"),
            (-1e-7, "-1e-7", "-1.e-7"),
            (1.5e-7, "1.5e-7", "1.5e-7"),
            (0.000001, "0.000001", "0.000001"),
            (123456789012345680000.0, "123456789012345680000", "123456789012345680000"),
            (5e-324, "5e-324", "5.e-324"),
            (1e300, "1e+300", "1e+300"),
            (2.5, "2.5", "2.5"),
            (-0.0, "0", "-0.0"),
            (1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"),
            (1.0, "1", "1"),
        ];
        for (x, json, yaml) in cases {
            let value = serde_json::json!(x);
            assert_eq!(to_json(&value), json, "{x:e}");
            assert_eq!(to_yaml(&value), format!("{yaml}\n"), "{x:e}");
        }
        // Integers beyond 2^53 become the nearest double, as JavaScript reads them.
        assert_eq!(to_json(&serde_json::json!(9_007_199_254_740_993u64)), "9007199254740992");
        assert_eq!(to_json(&serde_json::json!(u64::MAX)), "18446744073709552000");
        assert_eq!(to_json(&serde_json::json!(i64::MIN)), "-9223372036854776000");
        assert_eq!(to_json(&serde_json::json!(-6_305_039_478_318_694i64)), "-6305039478318694");
    }

    #[test]
    fn key_order_is_node_localecompare_after_the_fixed_keys() {
        // node v20 (ICU 78.2): a.localeCompare(b).
        let cases: [(&str, &str, i8); 34] = [
            ("a", "A", -1),
            ("A", "a", 1),
            ("ab", "Aa", 1),
            ("aB", "Ab", -1),
            ("a-b", "ab", -1),
            ("a_b", "a-b", -1),
            ("x1", "x_", 1),
            ("a b", "ab", -1),
            ("a", "a ", -1),
            ("A", "a_", -1),
            ("$schema", "_a", 1),
            ("$ref", "0", -1),
            ("9", "10", 1),
            ("z", "0", 1),
            ("item.id", "item_id", 1),
            ("a.b", "a-b", 1),
            ("@type", "$id", -1),
            ("a\tb", "a b", -1),
            ("a\u{1}", "a", 0),
            ("Zeta", "alpha", 1),
            ("is_anon", "is-anon", -1),
            ("page_id", "pageId", -1),
            ("pageID", "pageId", 1),
            ("meta", "Meta", -1),
            ("a(b)", "a[b]", -1),
            ("a|b", "a~b", -1),
            ("a*", "a/", -1),
            ("a,b", "a;b", -1),
            ("x\"", "x'", 1),
            ("user-agent", "user_agent", 1),
            ("dt", "DT", -1),
            ("a1", "aa", -1),
            ("a\u{a0}b", "a b", 1),
            ("a\u{85}", "a\r", 1),
        ];
        let sign = |o: Ordering| o as i8;
        for (a, b, want) in cases {
            assert_eq!(sign(locale_compare(a, b)), want, "{a:?} {b:?}");
            assert_eq!(sign(locale_compare(b, a)), -want, "{b:?} {a:?}");
        }
        // node: the order of two keys in serialize({[a]: 1, [b]: 2}, 'json').
        let fixed: [(&str, &str, i8); 10] = [
            ("title", "$schema", -1),
            ("description", "title", 1),
            ("examples", "aaa", -1),
            ("$ref", "examples", 1),
            ("required", "type", 1),
            ("allOf", "properties", 1),
            ("additionalProperties", "$id", 1),
            ("$id", "$ref", -1),
            ("Title", "title", 1),
            ("properties", "Properties", -1),
        ];
        for (a, b, want) in fixed {
            assert_eq!(sign(schema_key_order(a, b)), want, "{a:?} {b:?}");
        }
    }
}
