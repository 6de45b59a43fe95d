//! Sampling identifiers: session, pageview and device ids.
//!
//! Every EPC client samples on an identifier whose first eight characters are
//! hexadecimal (epc-spec.md §2.1, §2.3): the 20-hex-character session and
//! pageview tokens of MediaWiki and the apps (80 random bits, §3.1), and the
//! `app_install_id` UUIDs of the apps (upper case on iOS, lower case on
//! Android). epc accepts exactly these shapes (decisions.md, "Sampling"):
//!
//! - a run of at least 8 hexadecimal characters and nothing else, in either case;
//! - a hyphenated UUID (`8-4-4-4-12` hexadecimal characters), in either case.
//!
//! Anything else is an [`IdentifierError`]; there is never a partial parse
//! (unlike JavaScript's `parseInt`, which reads `0aac0zzz` as `0xaac0`).

use std::fmt;
use std::str::FromStr;

/// A sampling identifier, validated on construction.
///
/// Holds the identifier as given (case kept) and its numeric prefix: the first
/// eight characters read as a big-endian hexadecimal `u32`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    text: String,
    prefix: u32,
}

/// Why a string is not a sampling identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// Fewer than eight characters.
    #[error("identifier `{0}` is too short: it needs at least 8 hexadecimal characters")]
    TooShort(String),
    /// A character that is neither hexadecimal nor a UUID hyphen.
    #[error(
        "identifier `{id}` is not hexadecimal: `{ch}` at position {position}; expected at least 8 hexadecimal characters or a UUID"
    )]
    NotHex {
        /// The identifier as given.
        id: String,
        /// The first offending character.
        ch: char,
        /// Its 1-based character position.
        position: usize,
    },
    /// Hyphens that do not make the `8-4-4-4-12` UUID shape.
    #[error("identifier `{0}` is not a UUID: hyphens must make the 8-4-4-4-12 shape")]
    BadUuid(String),
}

impl Identifier {
    /// Parses an identifier; see the module documentation for the accepted shapes.
    ///
    /// # Errors
    /// [`IdentifierError`] naming the identifier and what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        let bytes = text.as_bytes();
        // Fast path, the common shape: a run of at least 8 hex digits. Checked
        // without a branch per character, since random hex defeats branch prediction.
        if bytes.len() >= 8 && all_hex(bytes) {
            return Ok(Self { text: text.to_owned(), prefix: hex8_unchecked(&bytes[..8]) });
        }
        if text.contains('-') {
            // Must be a UUID: 8-4-4-4-12.
            const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
            let parts: Vec<&str> = text.split('-').collect();
            let shape_ok = parts.len() == 5 && parts.iter().zip(GROUPS).all(|(p, n)| p.len() == n);
            if let Some((position, ch)) = text.chars().enumerate().find(|(_, c)| *c != '-' && !c.is_ascii_hexdigit()) {
                return Err(IdentifierError::NotHex { id: text.to_owned(), ch, position: position + 1 });
            }
            if !shape_ok {
                return Err(IdentifierError::BadUuid(text.to_owned()));
            }
        } else {
            if let Some((position, ch)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit()) {
                return Err(IdentifierError::NotHex { id: text.to_owned(), ch, position: position + 1 });
            }
            if bytes.len() < 8 {
                return Err(IdentifierError::TooShort(text.to_owned()));
            }
        }
        let prefix = hex8(&bytes[..8]).ok_or_else(|| IdentifierError::TooShort(text.to_owned()))?;
        Ok(Self { text: text.to_owned(), prefix })
    }

    /// Builds an identifier straight from its numeric prefix, as the canonical
    /// 8-character lower-case hex text (used by simulations and benchmarks).
    #[must_use]
    pub fn from_prefix(prefix: u32) -> Self {
        Self { text: format!("{prefix:08x}"), prefix }
    }

    /// The identifier as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first eight characters read as hexadecimal, `0..=u32::MAX`.
    #[must_use]
    pub fn prefix(&self) -> u32 {
        self.prefix
    }

    /// The normalised sampling value in `[0, 1]`: `prefix / 4294967295`
    /// (divisor 2^32 − 1, not 2^32; epc-spec.md §2.1).
    #[must_use]
    pub fn value(&self) -> f64 {
        normalise(self.prefix)
    }
}

/// `prefix / (2^32 − 1)`: the value every rate sampler compares with the rate
/// (epc-spec.md §2.1).
#[must_use]
#[inline]
pub fn normalise(prefix: u32) -> f64 {
    f64::from(prefix) / f64::from(u32::MAX)
}

/// Marks a byte that is not an ASCII hex digit in [`HEX_DIGIT`].
const NOT_HEX: u8 = 0x80;

/// The value of every ASCII hex digit (either case), [`NOT_HEX`] for any other byte.
const HEX_DIGIT: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)]
        let c = b as u8;
        table[b] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => NOT_HEX,
        };
        b += 1;
    }
    table
};

/// Whether every byte is an ASCII hex digit (no early exit, no per-byte branch).
#[inline]
fn all_hex(bytes: &[u8]) -> bool {
    bytes.iter().fold(0, |acc, &b| acc | HEX_DIGIT[usize::from(b)]) & NOT_HEX == 0
}

/// Reads eight bytes already known to be ASCII hex digits as a big-endian `u32`.
#[inline]
fn hex8_unchecked(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, &b| (acc << 4) | u32::from(HEX_DIGIT[usize::from(b)] & 0x0f))
}

/// Reads exactly eight ASCII hex digits as a `u32`; `None` if any is not hex.
#[inline]
fn hex8(bytes: &[u8]) -> Option<u32> {
    all_hex(bytes).then(|| hex8_unchecked(bytes))
}

impl FromStr for Identifier {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The kind of identifier to generate, named after the sampling unit it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierKind {
    /// A session id: 20 lower-case hex characters (80 bits).
    Session,
    /// A pageview id: 20 lower-case hex characters (80 bits).
    Pageview,
    /// A device id (`app_install_id`): a lower-case UUID v4.
    Device,
}

/// Generates a fresh standard identifier from the operating system's random
/// generator (decisions.md, "Identifiers"; epc-spec.md §3.1):
/// session and pageview ids are 80 random bits as 20 lower-case hex characters
/// (as `mw.user.generateRandomSessionId()`), device ids are lower-case UUID v4
/// (as the Android app's `app_install_id`).
///
/// # Errors
/// Fails only if the operating system's random generator fails.
pub fn generate(kind: IdentifierKind) -> Result<String, getrandom::Error> {
    match kind {
        IdentifierKind::Session | IdentifierKind::Pageview => {
            let mut bytes = [0u8; 10];
            getrandom::fill(&mut bytes)?;
            Ok(hex_lower(&bytes))
        }
        IdentifierKind::Device => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes)?;
            Ok(uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string())
        }
    }
}

/// Lower-case hexadecimal text of `bytes`.
fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn ok(id: &str, prefix: u32) {
        let parsed = Identifier::parse(id).unwrap();
        assert_eq!(parsed.prefix(), prefix, "{id}");
        assert_eq!(parsed.as_str(), id);
    }

    #[track_caller]
    fn err(id: &str) -> IdentifierError {
        Identifier::parse(id).unwrap_err()
    }

    #[test]
    fn accepts_hex_tokens_and_uuids_in_either_case() {
        ok("0aac0b2976c12a600a58", 0x0aac_0b29);
        ok("0AAC0B2976C12A600A58", 0x0aac_0b29);
        ok("00000000", 0);
        ok("ffffffff", u32::MAX);
        ok("00C0FFEE-1234-4ABC-8DEF-0123456789AB", 0x00c0_ffee);
        ok("7fffffff-0000-4000-8000-000000000000", 0x7fff_ffff);
        // iOS 2020 session ids were 32 hex characters.
        ok("0123456789abcdef0123456789abcdef", 0x0123_4567);
    }

    #[test]
    fn rejects_short_non_hex_and_malformed_uuids_without_partial_parse() {
        assert_eq!(err("abc"), IdentifierError::TooShort("abc".into()));
        assert_eq!(err(""), IdentifierError::TooShort(String::new()));
        assert!(matches!(err("0aac0zzz76c1"), IdentifierError::NotHex { ch: 'z', position: 6, .. }));
        assert!(matches!(err(" 0aac0b29"), IdentifierError::NotHex { ch: ' ', position: 1, .. }));
        assert!(matches!(err("0x0aac0b29"), IdentifierError::NotHex { ch: 'x', .. }));
        assert_eq!(err("0aac0b29-12"), IdentifierError::BadUuid("0aac0b29-12".into()));
        assert_eq!(
            err("0aac-0b29-1234-1234-123456789abc"),
            IdentifierError::BadUuid("0aac-0b29-1234-1234-123456789abc".into())
        );
    }

    #[test]
    fn table_driven_parse_agrees_with_a_char_by_char_reading() {
        for b in 0..=u8::MAX {
            for position in 0..10 {
                let mut bytes = *b"0aAc0B2976";
                bytes[position] = b;
                let Ok(text) = std::str::from_utf8(&bytes) else { continue };
                let expected =
                    text.chars().all(|c| c.is_ascii_hexdigit()).then(|| u32::from_str_radix(&text[..8], 16).unwrap());
                assert_eq!(Identifier::parse(text).ok().map(|id| id.prefix()), expected, "{text:?}");
            }
        }
    }

    #[test]
    fn value_uses_divisor_two_to_the_32_minus_one() {
        assert!((Identifier::parse("33333333").unwrap().value() - 0.2).abs() < f64::EPSILON);
        assert_eq!(Identifier::parse("ffffffff").unwrap().value(), 1.0);
        assert_eq!(Identifier::parse("00000000").unwrap().value(), 0.0);
        // From case 05's table.
        assert_eq!(
            Identifier::parse("00C0FFEE-1234-4ABC-8DEF-0123456789AB").unwrap().value(),
            0.002_944_942_098_796_587
        );
        assert_eq!(Identifier::parse("0AAC0B2976C12A600A58").unwrap().value(), 0.041_687_676_925_605_086);
    }

    #[test]
    fn generated_identifiers_have_the_standard_shapes() {
        for kind in [IdentifierKind::Session, IdentifierKind::Pageview] {
            let id = generate(kind).unwrap();
            assert_eq!(id.len(), 20);
            assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
            Identifier::parse(&id).unwrap();
        }
        let device = generate(IdentifierKind::Device).unwrap();
        assert_eq!(device.len(), 36);
        assert_eq!(device, device.to_lowercase());
        assert_eq!(&device[14..15], "4", "UUID version 4: {device}");
        assert!(matches!(&device[19..20], "8" | "9" | "a" | "b"), "RFC 4122 variant: {device}");
        Identifier::parse(&device).unwrap();
        assert_ne!(generate(IdentifierKind::Session).unwrap(), generate(IdentifierKind::Session).unwrap());
    }
}
