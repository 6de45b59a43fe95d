//! Strings from a regular expression, as json-schema-faker 0.5.0-rcv.34's
//! bundled randexp (with its `ret` tokenizer and `drange` sets) makes them
//! when its random source always answers 0.15 (jsonschema-tools 1.3.0's
//! setting).
//!
//! The rules, from reading that bundle (`dist/main.cjs.js`) and checking
//! them with node:
//!
//! - The pattern is a string, read as UTF-16 code units. It is not checked
//!   with a real regex engine first; only randexp's own tokenizer can reject
//!   it (nothing to repeat, unterminated class or group, unmatched `)`,
//!   `(?` followed by something other than `:`, `=` or `!`).
//! - Before tokenizing, `\uXXXX` and `\xXX` (upper-case hex digits only),
//!   octal `\0?[0-7]{2}`, `\cX`, `\0 \t \n \v \f \r` and `[\b]` become the
//!   characters they name (escaped again if the character is special).
//! - Anchors and `\b \B` produce nothing; lookaheads produce nothing; `\1` is
//!   the text its group produced (or nothing).
//! - A repetition `{n,m}` produces `n + floor(0.15 * (m - n + 1))` copies;
//!   `*`, `+` and `{n,}` count as `{n, n + 10}` (jsf sets randexp's `max`
//!   to `defaultRandExpMax`, 10). So `?` and `*` produce nothing, `+` one.
//! - A choice `a|b|c` takes option `floor(0.15 * count)`.
//! - A character class is the set of its members intersected with printable
//!   ASCII (32–126), or for `[^…]`, `\W`, `\D`, `\S` and `.` printable ASCII
//!   minus the members; the members are kept in the order they were written
//!   (drange merges only touching ranges), and the character taken is the one
//!   at index `floor(0.15 * size)` in that order. An empty set produces
//!   nothing.

use std::collections::HashMap;

/// Why randexp gives no string for a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RandexpError {
    /// randexp's tokenizer throws a `SyntaxError` with this message.
    Syntax(String),
    /// The string would be larger than we build (or randexp gives a lone
    /// UTF-16 surrogate, which is no Rust string).
    Unsupported(String),
}

/// The constant every call to jsf's random source returns.
const R: f64 = 0.15;

/// The longest string we build, in UTF-16 code units.
const MAX_UNITS: usize = 1 << 20;

/// randexp's `randInt(a, b)` with the constant random source:
/// `a + floor(0.15 * (1 + b - a))`.
fn rand_int(a: f64, b: f64) -> f64 {
    a + (R * (1.0 + b - a)).floor()
}

/// A set of UTF-16 code units, as drange keeps it: ranges in the order they
/// were added, touching ones merged.
#[derive(Debug, Clone, Default)]
struct Ranges(Vec<(u32, u32)>);

impl Ranges {
    fn printable() -> Self {
        Ranges(vec![(32, 126)])
    }

    fn len(&self) -> u64 {
        self.0.iter().map(|&(lo, hi)| u64::from(hi - lo) + 1).sum()
    }

    /// drange `add`: merged into the first range it touches (and the ones
    /// after that touch it), else appended.
    fn add(&mut self, lo: u32, hi: u32) {
        let touches = |a: (u32, u32), b: (u32, u32)| !(a.1 + 1 < b.0 || a.0 > b.1 + 1);
        let mut sub = (lo, hi);
        let mut i = 0;
        while i < self.0.len() && !touches(sub, self.0[i]) {
            i += 1;
        }
        let mut out: Vec<(u32, u32)> = self.0[..i].to_vec();
        while i < self.0.len() && touches(sub, self.0[i]) {
            sub = (sub.0.min(self.0[i].0), sub.1.max(self.0[i].1));
            i += 1;
        }
        out.push(sub);
        out.extend_from_slice(&self.0[i..]);
        self.0 = out;
    }

    fn add_all(&mut self, other: &Ranges) {
        for &(lo, hi) in &other.0 {
            self.add(lo, hi);
        }
    }

    /// drange `subtract`, range by range of `other`.
    fn subtract(&mut self, other: &Ranges) {
        let overlaps = |a: (u32, u32), b: (u32, u32)| !(a.1 < b.0 || a.0 > b.1);
        for &sub in &other.0 {
            let mut i = 0;
            while i < self.0.len() && !overlaps(sub, self.0[i]) {
                i += 1;
            }
            let mut out: Vec<(u32, u32)> = self.0[..i].to_vec();
            while i < self.0.len() && overlaps(sub, self.0[i]) {
                let (lo, hi) = self.0[i];
                if sub.0 <= lo && sub.1 >= hi {
                } else if sub.0 > lo && sub.1 < hi {
                    out.push((lo, sub.0 - 1));
                    out.push((sub.1 + 1, hi));
                } else if sub.0 <= lo {
                    out.push((sub.1 + 1, hi));
                } else {
                    out.push((lo, sub.0 - 1));
                }
                i += 1;
            }
            out.extend_from_slice(&self.0[i..]);
            self.0 = out;
        }
    }

    /// drange `intersect`: for each range of `other` in its order, the
    /// overlaps with `self`.
    fn intersect(&self, other: &Ranges) -> Ranges {
        let overlaps = |a: (u32, u32), b: (u32, u32)| !(a.1 < b.0 || a.0 > b.1);
        let mut out = Vec::new();
        for &sub in &other.0 {
            let mut i = 0;
            while i < self.0.len() && !overlaps(sub, self.0[i]) {
                i += 1;
            }
            while i < self.0.len() && overlaps(sub, self.0[i]) {
                out.push((self.0[i].0.max(sub.0), self.0[i].1.min(sub.1)));
                i += 1;
            }
        }
        Ranges(out)
    }

    fn index(&self, mut index: u64) -> u32 {
        for &(lo, hi) in &self.0 {
            let len = u64::from(hi - lo) + 1;
            if index < len {
                return lo + index as u32;
            }
            index -= len;
        }
        // Not reached: callers pass an index below `len()`.
        self.0.last().map_or(0, |r| r.1)
    }
}

/// A member of a character class (or a predefined class).
#[derive(Debug, Clone)]
enum Member {
    Char(u32),
    Range(u32, u32),
    Set { members: Vec<Member>, not: bool },
}

#[derive(Debug, Clone)]
enum Token {
    /// A group (or the whole pattern): `id` numbers it for back-references.
    Group {
        id: usize,
        remember: bool,
        lookahead: bool,
        options: Vec<Vec<Token>>,
    },
    Position,
    Set {
        members: Vec<Member>,
        not: bool,
    },
    Repeat {
        min: f64,
        max: f64,
        value: Box<Token>,
    },
    Reference(u32),
    Char(u32),
}

fn words() -> Vec<Member> {
    vec![Member::Char(95), Member::Range(97, 122), Member::Range(65, 90), Member::Range(48, 57)]
}

fn ints() -> Vec<Member> {
    vec![Member::Range(48, 57)]
}

fn whitespace() -> Vec<Member> {
    let mut m: Vec<Member> = [9, 10, 11, 12, 13, 32, 160, 5760].into_iter().map(Member::Char).collect();
    m.push(Member::Range(8192, 8202));
    m.extend([8232, 8233, 8239, 8287, 12288, 65279].into_iter().map(Member::Char));
    m
}

/// `.`: anything but line terminators.
fn any_char() -> Token {
    Token::Set { members: [10, 13, 8232, 8233].into_iter().map(Member::Char).collect(), not: true }
}

/// The predefined class for `\w \d \s \W \D \S`, if `c` names one.
fn class_escape(c: u16) -> Option<(Vec<Member>, bool)> {
    Some(match c {
        0x77 => (words(), false),
        0x64 => (ints(), false),
        0x73 => (whitespace(), false),
        0x57 => (words(), true),
        0x44 => (ints(), true),
        0x53 => (whitespace(), true),
        _ => return None,
    })
}

fn is_upper_hex(c: u16) -> bool {
    (0x30..=0x39).contains(&c) || (0x41..=0x46).contains(&c)
}

fn is_octal(c: u16) -> bool {
    (0x30..=0x37).contains(&c)
}

fn hex_value(units: &[u16]) -> u16 {
    units.iter().fold(0u16, |acc, &c| acc * 16 + (if c <= 0x39 { c - 0x30 } else { c - 0x41 + 10 }))
}

/// Length and character of a character escape starting right after a `\`
/// at `s[i..]` (the `u…|x…|octal|c…|[0tnvfr]` alternatives, in that order).
fn char_escape(s: &[u16], i: usize) -> Option<(usize, u16)> {
    let c = *s.get(i)?;
    let at = |k: usize| s.get(i + k).copied();
    if c == u16::from(b'u') && (1..=4).all(|k| at(k).is_some_and(is_upper_hex)) {
        return Some((5, hex_value(&s[i + 1..i + 5])));
    }
    if c == u16::from(b'x') && (1..=2).all(|k| at(k).is_some_and(is_upper_hex)) {
        return Some((3, hex_value(&s[i + 1..i + 3])));
    }
    // 0?[0-7]{2}: greedy `0` first, then without it.
    let octal = |from: usize| -> Option<u16> {
        let a = s.get(from).copied().filter(|&c| is_octal(c))?;
        let b = s.get(from + 1).copied().filter(|&c| is_octal(c))?;
        Some((a - 0x30) * 8 + (b - 0x30))
    };
    if c == u16::from(b'0')
        && let Some(v) = octal(i + 1)
    {
        return Some((3, v));
    }
    if let Some(v) = octal(i) {
        return Some((2, v));
    }
    if c == u16::from(b'c') {
        const CTRL: &[u8] = b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^ ?";
        if let Some(n) = at(1)
            && let Some(pos) = b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^?".iter().position(|&b| u16::from(b) == n)
        {
            // `CTRL.indexOf(c)`: `?` is at index 33 (after the space).
            let ch = b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^?"[pos];
            let index = CTRL.iter().position(|&b| b == ch).unwrap_or(pos);
            return Some((2, index as u16));
        }
    }
    let simple = match c {
        0x30 => 0,
        0x74 => 9,
        0x6e => 10,
        0x76 => 11,
        0x66 => 12,
        0x72 => 13,
        _ => return None,
    };
    Some((1, simple))
}

/// randexp's `strToChars` pre-pass.
fn str_to_chars(s: &[u16]) -> Vec<u16> {
    let backslash = u16::from(b'\\');
    let special: Vec<u16> = "[]{}^$.|?*+()".encode_utf16().collect();
    let lit_b: Vec<u16> = "[\\b]".encode_utf16().collect();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(&lit_b) {
            out.push(8);
            i += 4;
            continue;
        }
        if s[i] == backslash {
            // `(\\)?\\(…)`: an escaped backslash before an escape is kept as is.
            if s.get(i + 1) == Some(&backslash)
                && let Some((len, _)) = char_escape(s, i + 2)
            {
                out.extend_from_slice(&s[i..i + 2 + len]);
                i += 2 + len;
                continue;
            }
            if let Some((len, code)) = char_escape(s, i + 1) {
                if special.contains(&code) {
                    out.push(backslash);
                }
                out.push(code);
                i += 1 + len;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

fn is_line_terminator(c: u16) -> bool {
    matches!(c, 10 | 13 | 0x2028 | 0x2029)
}

struct Parser<'a> {
    pattern: &'a str,
    groups: usize,
}

impl Parser<'_> {
    fn error(&self, message: String) -> RandexpError {
        RandexpError::Syntax(format!("Invalid regular expression: /{}/: {message}", self.pattern))
    }

    /// randexp's `tokenizeClass`: members of a class starting at `s[0]`
    /// (after `[` or `[^`), and the length read including the `]`.
    fn class(&self, s: &[u16]) -> Result<(Vec<Member>, usize), RandexpError> {
        let bs = u16::from(b'\\');
        let close = u16::from(b']');
        let dash = u16::from(b'-');
        let mut members = Vec::new();
        let mut p = 0;
        while p < s.len() {
            if s[p] == bs
                && let Some((set, not)) = s.get(p + 1).and_then(|&c| class_escape(c))
            {
                members.push(Member::Set { members: set, not });
                p += 2;
                continue;
            }
            // A range `from-to`.
            let from = if s[p] == bs && s.get(p + 1).is_some_and(|&c| !is_line_terminator(c)) {
                Some((s[p + 1], p + 2))
            } else if s[p] != close && s[p] != bs {
                Some((s[p], p + 1))
            } else {
                None
            };
            if let Some((from, q)) = from
                && s.get(q) == Some(&dash)
            {
                let to = if s.get(q + 1) == Some(&bs) && s.get(q + 2).is_some_and(|&c| c != close) {
                    Some((s[q + 2], q + 3))
                } else if s.get(q + 1).is_some_and(|&c| c != close) {
                    Some((s[q + 1], q + 2))
                } else {
                    None
                };
                if let Some((to, end)) = to {
                    members.push(Member::Range(u32::from(from), u32::from(to)));
                    p = end;
                    continue;
                }
            }
            if s[p] == close {
                return Ok((members, p + 1));
            }
            if s[p] == bs && p + 1 < s.len() {
                members.push(Member::Char(u32::from(s[p + 1])));
                p += 2;
            } else {
                members.push(Member::Char(u32::from(s[p])));
                p += 1;
            }
        }
        Err(self.error("Unterminated character class".into()))
    }

    fn parse(&mut self) -> Result<Token, RandexpError> {
        let units: Vec<u16> = self.pattern.encode_utf16().collect();
        let s = str_to_chars(&units);
        // The stack of open groups: (id, remember, lookahead, options).
        let mut stack: Vec<(usize, bool, bool, Vec<Vec<Token>>)> = vec![(0, false, false, vec![Vec::new()])];
        self.groups = 1;
        let mut i = 0;
        let nothing_to_repeat = |p: &Self, i: usize| p.error(format!("Nothing to repeat at column {}", i as i64 - 1));
        while i < s.len() {
            let c = s[i];
            i += 1;
            let last = &mut stack.last_mut().expect("root group").3;
            let last = last.last_mut().expect("an option");
            match c {
                0x5c => {
                    let Some(&e) = s.get(i) else {
                        // `str[i++]` is undefined: `/\d/.test(undefined)` is
                        // false and `undefined.charCodeAt` throws.
                        return Err(RandexpError::Unsupported(format!(
                            "pattern {:?} ends with a backslash",
                            self.pattern
                        )));
                    };
                    i += 1;
                    if e == u16::from(b'b') || e == u16::from(b'B') {
                        last.push(Token::Position);
                    } else if let Some((members, not)) = class_escape(e) {
                        last.push(Token::Set { members, not });
                    } else if (0x30..=0x39).contains(&e) {
                        last.push(Token::Reference(u32::from(e - 0x30)));
                    } else {
                        last.push(Token::Char(u32::from(e)));
                    }
                }
                0x5e | 0x24 => last.push(Token::Position),
                0x5b => {
                    let not = s.get(i) == Some(&u16::from(b'^'));
                    if not {
                        i += 1;
                    }
                    let (members, len) = self.class(&s[i..])?;
                    i += len;
                    let last = stack.last_mut().expect("root group").3.last_mut().expect("an option");
                    last.push(Token::Set { members, not });
                }
                0x2e => last.push(any_char()),
                0x28 => {
                    let mut remember = true;
                    let mut lookahead = false;
                    if s.get(i) == Some(&u16::from(b'?')) {
                        let k = s.get(i + 1).copied();
                        i += 2;
                        match k {
                            Some(0x3d) | Some(0x21) => lookahead = true,
                            Some(0x3a) => {}
                            other => {
                                let shown = other.map_or("undefined".to_owned(), |u| String::from_utf16_lossy(&[u]));
                                return Err(self.error(format!(
                                    "Invalid group, character '{shown}' after '?' at column {}",
                                    i - 1
                                )));
                            }
                        }
                        remember = false;
                    }
                    let id = self.groups;
                    self.groups += 1;
                    stack.push((id, remember, lookahead, vec![Vec::new()]));
                }
                0x29 => {
                    if stack.len() == 1 {
                        return Err(self.error(format!("Unmatched ) at column {}", i - 1)));
                    }
                    let (id, remember, lookahead, options) = stack.pop().expect("an open group");
                    let parent = stack.last_mut().expect("root group").3.last_mut().expect("an option");
                    parent.push(Token::Group { id, remember, lookahead, options });
                }
                0x7c => stack.last_mut().expect("root group").3.push(Vec::new()),
                0x7b => {
                    // /^(\d+)(,(\d+)?)?\}/
                    let digits = |from: usize| s[from..].iter().take_while(|&&c| (0x30..=0x39).contains(&c)).count();
                    let n1 = digits(i);
                    let mut parsed = None;
                    if n1 > 0 {
                        let min = String::from_utf16_lossy(&s[i..i + n1]).parse::<f64>().unwrap_or(f64::INFINITY);
                        let mut j = i + n1;
                        let mut max = min;
                        if s.get(j) == Some(&u16::from(b',')) {
                            j += 1;
                            let n2 = digits(j);
                            max = if n2 > 0 {
                                String::from_utf16_lossy(&s[j..j + n2]).parse::<f64>().unwrap_or(f64::INFINITY)
                            } else {
                                f64::INFINITY
                            };
                            j += n2;
                        }
                        if s.get(j) == Some(&u16::from(b'}')) {
                            parsed = Some((min, max, j + 1));
                        }
                    }
                    match parsed {
                        Some((min, max, end)) => {
                            let Some(value) = last.pop() else {
                                return Err(nothing_to_repeat(self, i));
                            };
                            i = end;
                            last.push(Token::Repeat { min, max, value: Box::new(value) });
                        }
                        None => last.push(Token::Char(123)),
                    }
                }
                0x3f | 0x2b | 0x2a => {
                    let Some(value) = last.pop() else {
                        return Err(nothing_to_repeat(self, i));
                    };
                    let (min, max) = match c {
                        0x3f => (0.0, 1.0),
                        0x2b => (1.0, f64::INFINITY),
                        _ => (0.0, f64::INFINITY),
                    };
                    last.push(Token::Repeat { min, max, value: Box::new(value) });
                }
                _ => last.push(Token::Char(u32::from(c))),
            }
        }
        if stack.len() != 1 {
            return Err(self.error("Unterminated group".into()));
        }
        let (id, remember, lookahead, options) = stack.pop().expect("root group");
        Ok(Token::Group { id, remember, lookahead, options })
    }
}

fn expand(members: &[Member], not: bool) -> Ranges {
    let mut set = Ranges::default();
    for m in members {
        match m {
            Member::Char(c) => set.add(*c, *c),
            Member::Range(a, b) => set.add(*a, *b),
            Member::Set { members, not } => set.add_all(&expand(members, *not)),
        }
    }
    if not {
        let mut all = Ranges::printable();
        all.subtract(&set);
        all
    } else {
        Ranges::printable().intersect(&set)
    }
}

struct Generator {
    /// Group id to its slot in `groups` (assigned on first visit).
    slots: HashMap<usize, usize>,
    groups: Vec<Option<Vec<u16>>>,
}

impl Generator {
    fn emit(&mut self, token: &Token, out: &mut Vec<u16>) -> Result<(), RandexpError> {
        if out.len() > MAX_UNITS {
            return Err(RandexpError::Unsupported(format!("randexp output over {MAX_UNITS} code units")));
        }
        match token {
            Token::Group { id, remember, lookahead, options } => {
                if *lookahead {
                    return Ok(());
                }
                if *remember && !self.slots.contains_key(id) {
                    self.groups.push(None);
                    self.slots.insert(*id, self.groups.len() - 1);
                }
                let chosen = if options.len() > 1 {
                    let k = rand_int(0.0, options.len() as f64 - 1.0) as usize;
                    &options[k]
                } else {
                    &options[0]
                };
                let mut text = Vec::new();
                for t in chosen {
                    self.emit(t, &mut text)?;
                }
                if *remember {
                    let slot = self.slots[id];
                    self.groups[slot] = Some(text.clone());
                }
                out.extend_from_slice(&text);
            }
            Token::Position => {}
            Token::Set { members, not } => {
                let set = expand(members, *not);
                let len = set.len();
                if len > 0 {
                    let k = rand_int(0.0, len as f64 - 1.0) as u64;
                    out.push(set.index(k) as u16);
                }
            }
            Token::Repeat { min, max, value } => {
                let top = if max.is_infinite() { min + 10.0 } else { *max };
                let n = rand_int(*min, top);
                if n > MAX_UNITS as f64 {
                    return Err(RandexpError::Unsupported(format!("randexp repetition of {n}")));
                }
                let mut k = 0.0;
                while k < n {
                    self.emit(value, out)?;
                    k += 1.0;
                }
            }
            Token::Reference(n) => {
                if let Some(Some(text)) = (*n as usize).checked_sub(1).and_then(|i| self.groups.get(i)) {
                    out.extend_from_slice(text);
                }
            }
            Token::Char(c) => out.push(*c as u16),
        }
        Ok(())
    }
}

/// The string jsf's `random.randexp(pattern)` gives (see the module docs).
pub(crate) fn randexp(pattern: &str) -> Result<String, RandexpError> {
    let mut parser = Parser { pattern, groups: 0 };
    let root = parser.parse()?;
    let mut g = Generator { slots: HashMap::new(), groups: Vec::new() };
    let mut out = Vec::new();
    g.emit(&root, &mut out)?;
    String::from_utf16(&out)
        .map_err(|_| RandexpError::Unsupported(format!("randexp gives a lone UTF-16 surrogate for {pattern:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from node: `new RandExp(p).gen()` with jsf's settings (random
    /// 0.15, max 10), through `jsf.generate({type: 'string', pattern: p})`.
    #[test]
    fn patterns_as_node_gives_them() {
        assert_eq!(randexp("^[0-9a-z]{20}$").unwrap(), "55555555555555555555");
        assert_eq!(
            randexp("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$").unwrap(),
            "33333333-3333-3333-3333-333333333333"
        );
        assert_eq!(randexp("(a|b|c)x\\1[^a-z]\\w\\W.+").unwrap(), "axa*i$..");
        // jsf's suffix for extra object keys.
        assert_eq!(randexp("_?[_a-f\\d]{1,3}").unwrap(), "b");
    }

    #[test]
    fn syntax_errors_are_randexps() {
        assert_eq!(
            randexp("*a"),
            Err(RandexpError::Syntax("Invalid regular expression: /*a/: Nothing to repeat at column 0".into()))
        );
        assert_eq!(
            randexp("[ab"),
            Err(RandexpError::Syntax("Invalid regular expression: /[ab/: Unterminated character class".into()))
        );
        assert_eq!(
            randexp("(a"),
            Err(RandexpError::Syntax("Invalid regular expression: /(a/: Unterminated group".into()))
        );
    }
}
