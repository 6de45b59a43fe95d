//! JSON text as `serde_json` writes it.
//!
//! [`is_canonical`] tells whether a JSON text is byte for byte what
//! `serde_json::to_vec` writes for the value it parses to, so that a line read
//! can be sent as it is instead of being parsed and written again.

use serde_json::Value;

/// Whether `text`, which must be valid JSON (checked elsewhere: this does not
/// validate it), is exactly the compact serialization `serde_json` writes for
/// the value it parses to: no whitespace outside strings, strings escaped as
/// `serde_json` escapes them (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and
/// `\u00xx` in lowercase for the other control characters; nothing else, so
/// no `\/` and no `\u` escape of a printable character), and numbers written
/// as `serde_json` writes what it reads for them (`1`, not `1.0e0` or `-0`).
/// Repeated keys are not looked for: the callers' parsers refuse them.
///
/// For text that is not valid JSON the answer means nothing, but the
/// function never panics.
#[must_use]
pub fn is_canonical(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => match canonical_string_end(bytes, i + 1) {
                Some(end) => i = end,
                None => return false,
            },
            b'{' | b'}' | b'[' | b']' | b',' | b':' => i += 1,
            b't' if bytes[i..].starts_with(b"true") => i += 4,
            b'f' if bytes[i..].starts_with(b"false") => i += 5,
            b'n' if bytes[i..].starts_with(b"null") => i += 4,
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                if !canonical_number(&text[start..i]) {
                    return false;
                }
            }
            // Whitespace, or anything else.
            _ => return false,
        }
    }
    true
}

/// The index just past the closing quote of the string whose contents start
/// at `start`, when every escape in it is one `serde_json` writes; `None` otherwise.
fn canonical_string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    loop {
        i = skip_plain(bytes, i);
        match *bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                match *bytes.get(i + 1)? {
                    b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        // Only `\u00xx` (lowercase) for a control character without a short escape.
                        let hex = bytes.get(i + 2..i + 6)?;
                        let digit = |b: u8| match b {
                            b'0'..=b'9' => Some(b - b'0'),
                            b'a'..=b'f' => Some(b - b'a' + 10),
                            _ => None,
                        };
                        if hex[0] != b'0' || hex[1] != b'0' {
                            return None;
                        }
                        let c = digit(hex[2])? * 16 + digit(hex[3])?;
                        if c >= 0x20 || matches!(c, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                }
            }
            // A raw control character is not JSON; `serde_json` would escape it anyway.
            b if b < 0x20 => return None,
            _ => i += 1,
        }
    }
}

/// The index of the first byte at or after `i` that is a quote, a
/// backslash or a control character (or `bytes.len()`).
fn skip_plain(bytes: &[u8], i: usize) -> usize {
    bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20))
        .map_or(bytes.len(), |n| i + n)
}

/// Whether a number token is written as `serde_json` writes what it parses it to.
fn canonical_number(token: &str) -> bool {
    let digits = token.strip_prefix('-').unwrap_or(token);
    let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if plain && digits.len() <= 18 {
        // Fits an i64 either way: canonical unless it has a leading zero or is `-0` (a float).
        return digits == "0" && token.len() == 1 || !digits.starts_with('0');
    }
    // Long integers (which may not fit) and floats: as `serde_json` reads and writes them.
    serde_json::from_str::<Value>(token)
        .is_ok_and(|v| v.is_number() && serde_json::to_string(&v).is_ok_and(|t| t == token))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_canonical` agrees with parsing and writing again.
    fn agrees(text: &str) {
        let value: Value = serde_json::from_str(text).unwrap();
        let again = serde_json::to_string(&value).unwrap();
        assert_eq!(is_canonical(text), again == text, "{text} (written again: {again})");
    }

    #[test]
    fn canonical_text_is_what_serde_json_writes() {
        for text in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            r#"{"a": 1}"#,
            " {}",
            "{}\n",
            "[]",
            r#""\/""#,
            r#""\u00e9""#,
            r#""é""#,
            r#""\u0001\n\t\"\\\b\f\r""#,
            r#""\u001f""#,
            r#""\u001F""#,
            r#""\u000a""#,
            r#""\u0041""#,
            "0",
            "-0",
            "-1",
            "1.0",
            "1.5",
            "0.5",
            "1e5",
            "1E5",
            "100000.0",
            "1e20",
            "1e+20",
            "1.5e-7",
            "-0.0",
            "123456789012345678",
            "1234567890123456789",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "3.141592653589793",
            "3.1415926535897932384626",
            r#"{"x":"\u007f"}"#,
            r#""a long string, longer than a word: ok""#,
            r#""a long string, longer than a word\/ then""#,
            r#""a long string, longer than a word\u0041 then""#,
            r#""a long string, longer than a word\n then \"quoted\" and é…""#,
            r#"{"éééééééééé":"ünïcödé ünïcödé","k":"0123456789abcdef\u0000"}"#,
            "\"\u{7f}\"",
        ] {
            agrees(text);
        }
    }

    #[test]
    fn real_events_written_by_serde_json_are_canonical() {
        let value = serde_json::json!({"$schema": "/a/1.0.0", "meta": {"stream": "s", "dt": "2025-01-01T00:00:00Z"},
            "n": 0.25, "m": -3, "t": "tab\there \u{1} é \"q\"", "l": [1, 2.5e300, {"k": null}]});
        assert!(is_canonical(&serde_json::to_string(&value).unwrap()));
    }

    #[test]
    fn broken_text_is_never_a_panic() {
        for text in ["\"", "\"\\", "\"\\u00", "\"\\u00zz\"", "tru", "-", "{\"a\":--1}", "\"\\x\""] {
            let _ = is_canonical(text);
        }
    }
}
