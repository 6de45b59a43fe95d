//! Event inputs: files or standard input holding one JSON event, a JSON array
//! of events, NDJSON (one event per line) or YAML.
//!
//! NDJSON is read line by line, so any size streams in flat memory; the lines
//! are handed out as raw text ([`Raw::Text`]) to be parsed where they are
//! validated (possibly on another thread). Whole documents (a JSON object or
//! array, YAML) are parsed at once. Every event carries its [`Position`]:
//! `file:line` for NDJSON, `file[index]` for arrays, `file` for one event.
//!
//! The format comes from the file name (`.ndjson`, `.jsonl`; `.yaml`, `.yml`)
//! or, for `.json`, other names and stdin, from the content: a first line that
//! is a complete JSON value followed by more content is NDJSON; a leading `[`
//! or `{` otherwise is one JSON document; anything else is YAML.
//!
//! Duplicate keys are errors in every format (case 15), and malformed text is
//! reported per event ([`Raw::Malformed`]), never skipped.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::schema::yaml;

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file name, or `<stdin>`.
    pub source: Arc<str>,
    /// Where in it.
    pub locator: Locator,
}

/// Where in a source an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locator {
    /// The whole source is one event.
    Whole,
    /// 1-based line of an NDJSON source.
    Line(usize),
    /// 0-based index in a JSON or YAML array.
    Index(usize),
}

impl fmt::Display for Position {
    /// `file`, `file:3` or `file[2]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.locator {
            Locator::Whole => write!(f, "{}", self.source),
            Locator::Line(n) => write!(f, "{}:{n}", self.source),
            Locator::Index(i) => write!(f, "{}[{i}]", self.source),
        }
    }
}

/// The shape of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// One JSON document: an event or an array of events.
    Json,
    /// One JSON event per line.
    Ndjson,
    /// One YAML document: an event or a list of events.
    Yaml,
}

/// An event as read, before or after parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// An NDJSON line still to be parsed with [`parse_line`].
    Text(String),
    /// An event already parsed (from a JSON or YAML document).
    Parsed(Value),
    /// Text that is not an event: malformed JSON or YAML, a duplicate key, a
    /// lone surrogate; the message names the position inside it.
    Malformed(String),
    /// An NDJSON line that is not UTF-8: its bytes as read (without the line
    /// end), and a message naming the first bad byte. The reader goes on with
    /// the next line.
    NotUtf8(Vec<u8>, String),
}

/// An input that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {source_name}: {error}")]
pub struct InputError {
    /// The file or `<stdin>`.
    pub source_name: String,
    /// The I/O error.
    pub error: std::io::Error,
}

/// Reads events from one source, in order.
pub struct EventReader {
    source: Arc<str>,
    state: State,
    /// Whether reading may wait on a producer (standard input that is not a file).
    may_wait: bool,
}

enum State {
    Lines { reader: BufReader<Box<dyn Read + Send>>, line: usize, pending: Option<Vec<u8>>, buf: Vec<u8> },
    Items(std::vec::IntoIter<(Locator, Raw)>),
    Done,
}

impl fmt::Debug for EventReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventReader").field("source", &self.source).finish_non_exhaustive()
    }
}

impl EventReader {
    /// Opens a file (`-` for standard input) and decides its format.
    ///
    /// # Errors
    /// [`InputError`] naming the file when it cannot be opened or read.
    pub fn open(path: &str) -> Result<Self, InputError> {
        let name = if path == "-" { "<stdin>".to_owned() } else { path.to_owned() };
        let fail = |error| InputError { source_name: name.clone(), error };
        let reader: Box<dyn Read + Send> = if path == "-" {
            Box::new(std::io::stdin())
        } else {
            let file = std::fs::File::open(path).map_err(fail)?;
            if file.metadata().map_err(fail)?.is_dir() {
                return Err(fail(std::io::Error::other("is a directory")));
            }
            Box::new(file)
        };
        let hint = (path != "-").then(|| format_for_name(Path::new(path))).flatten();
        let mut reader = Self::from_reader(&name, reader, hint)?;
        reader.may_wait = path == "-" && !stdin_is_file();
        Ok(reader)
    }

    /// Whether the next event needs a read that may wait for its producer:
    /// the source is standard input from a pipe or terminal and nothing read
    /// is left in the buffer. A consumer batching events hands on what it
    /// holds before that read, so that `producer | epc …` shows results as
    /// events come, not when a batch is full.
    #[must_use]
    pub fn would_wait(&self) -> bool {
        self.may_wait && matches!(&self.state, State::Lines { reader, pending: None, .. } if reader.buffer().is_empty())
    }

    /// Reads from any reader; `format` forces a format, else it is detected.
    ///
    /// # Errors
    /// [`InputError`] when reading fails.
    pub fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
        format: Option<InputFormat>,
    ) -> Result<Self, InputError> {
        let source: Arc<str> = Arc::from(name);
        let fail = |error| InputError { source_name: name.to_owned(), error };
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        let format = match format {
            Some(f) => f,
            None => {
                // Sniff: the first line decides between NDJSON and one document.
                let mut first_bytes = Vec::new();
                reader.read_until(b'\n', &mut first_bytes).map_err(fail)?;
                let detected = detect(&String::from_utf8_lossy(&first_bytes), &mut reader).map_err(fail)?;
                if detected == InputFormat::Ndjson {
                    let first = first_bytes;
                    return Ok(Self {
                        source,
                        state: State::Lines { reader, line: 0, pending: Some(first), buf: Vec::new() },
                        may_wait: false,
                    });
                }
                let mut first = String::from_utf8(first_bytes)
                    .map_err(|e| fail(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
                let mut rest = String::new();
                reader.read_to_string(&mut rest).map_err(fail)?;
                first.push_str(&rest);
                return Ok(Self {
                    source: source.clone(),
                    state: document_items(&source, &first, detected),
                    may_wait: false,
                });
            }
        };
        if format == InputFormat::Ndjson {
            return Ok(Self {
                source,
                state: State::Lines { reader, line: 0, pending: None, buf: Vec::new() },
                may_wait: false,
            });
        }
        let mut text = String::new();
        reader.read_to_string(&mut text).map_err(fail)?;
        Ok(Self { source: source.clone(), state: document_items(&source, &text, format), may_wait: false })
    }

    /// The source name (a file or `<stdin>`).
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Iterator for EventReader {
    type Item = Result<(Position, Raw), InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match &mut self.state {
                State::Done => return None,
                State::Items(items) => {
                    let Some((locator, raw)) = items.next() else {
                        self.state = State::Done;
                        return None;
                    };
                    return Some(Ok((Position { source: Arc::clone(&self.source), locator }, raw)));
                }
                State::Lines { reader, line, pending, buf } => {
                    // Lines are read as bytes into one reused buffer and copied
                    // out at their exact size: no string grown anew for each
                    // line, and a line that is not UTF-8 is reported with its
                    // number while the lines after it are still read.
                    buf.clear();
                    match pending.take() {
                        Some(t) => *buf = t,
                        None => match reader.read_until(b'\n', buf) {
                            Ok(0) => {
                                self.state = State::Done;
                                return None;
                            }
                            Ok(_) => {}
                            Err(error) => {
                                self.state = State::Done;
                                return Some(Err(InputError { source_name: self.source.to_string(), error }));
                            }
                        },
                    }
                    *line += 1;
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let mut bytes: &[u8] = buf;
                    if let Some(t) = bytes.strip_suffix(b"\n") {
                        bytes = t.strip_suffix(b"\r").unwrap_or(t);
                    }
                    let position = Position { source: Arc::clone(&self.source), locator: Locator::Line(*line) };
                    let raw = match std::str::from_utf8(bytes) {
                        Ok(text) => Raw::Text(text.to_owned()),
                        Err(e) => {
                            let message = format!(
                                "{position}: not UTF-8 (byte {} of the line is 0x{:02x})",
                                e.valid_up_to() + 1,
                                bytes[e.valid_up_to()]
                            );
                            Raw::NotUtf8(bytes.to_vec(), message)
                        }
                    };
                    if buf.capacity() > 1 << 20 {
                        // A huge line was read: do not hold its size for the rest of the input.
                        buf.shrink_to(1 << 16);
                    }
                    return Some(Ok((position, raw)));
                }
            }
        }
    }
}

/// Whether standard input is a regular file (`< events.ndjson`), which never waits.
fn stdin_is_file() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .and_then(|fd| std::fs::File::from(fd).metadata())
            .is_ok_and(|m| m.is_file())
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The format a file name implies, if any (`.json` is decided by content).
fn format_for_name(path: &Path) -> Option<InputFormat> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("ndjson" | "jsonl") => Some(InputFormat::Ndjson),
        Some("yaml" | "yml") => Some(InputFormat::Yaml),
        _ => None,
    }
}

/// Decides the format from the first line and what follows it.
fn detect(first: &str, rest: &mut impl BufRead) -> std::io::Result<InputFormat> {
    let trimmed = first.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        // A leading blank line: look at the rest as a whole (rare; documents only).
        let buf = rest.fill_buf()?;
        let next = buf.iter().find(|b| !b.is_ascii_whitespace()).copied();
        return Ok(match next {
            Some(b'[' | b'{') | None => InputFormat::Json,
            Some(_) => InputFormat::Yaml,
        });
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let complete = serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok();
        let more = !rest.fill_buf()?.iter().all(u8::is_ascii_whitespace);
        return Ok(if complete && more && trimmed.starts_with('{') { InputFormat::Ndjson } else { InputFormat::Json });
    }
    Ok(InputFormat::Yaml)
}

/// Parses a whole document into its events.
fn document_items(source: &str, text: &str, format: InputFormat) -> State {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parsed = match format {
        InputFormat::Yaml => yaml::parse_yaml_str(text, source),
        InputFormat::Json | InputFormat::Ndjson => yaml::parse_json_str(text, source),
    };
    let items = match parsed {
        Ok(Value::Array(events)) => {
            events.into_iter().enumerate().map(|(i, v)| (Locator::Index(i), Raw::Parsed(v))).collect()
        }
        Ok(event) => vec![(Locator::Whole, Raw::Parsed(event))],
        Err(e) => vec![(Locator::Whole, Raw::Malformed(explain(e.to_string())))],
    };
    State::Items(items.into_iter())
}

/// Parses one NDJSON line (duplicate keys rejected); the error message
/// names the file, the line and the column (`f.ndjson:7:12`).
///
/// # Errors
/// A one-line message for malformed JSON, a duplicate key or a lone surrogate.
pub fn parse_line(text: &str, position: &Position) -> Result<Value, String> {
    let result = match position.locator {
        // The text is one line of the file: its line 1 is the file's line `n`.
        Locator::Line(n) => yaml::parse_json_str(text, &position.source).map_err(|mut e| {
            e.position.line = n as u64;
            e
        }),
        Locator::Whole | Locator::Index(_) => yaml::parse_json_str(text, &position.to_string()),
    };
    result.map_err(|e| explain(e.to_string()))
}

/// Adds why a lone surrogate is refused, since JavaScript and Python accept it (case 13).
fn explain(message: String) -> String {
    if message.contains("hex escape") || message.contains("surrogate") {
        format!(
            "{message} (an unpaired UTF-16 surrogate such as \\ud83d is not Unicode text: \
             JavaScript and Python accept it, epc rejects it)"
        )
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, format: Option<InputFormat>) -> Vec<(String, Raw)> {
        EventReader::from_reader("in", Box::new(std::io::Cursor::new(text.to_owned())), format)
            .unwrap()
            .map(|r| r.map(|(p, raw)| (p.to_string(), raw)).unwrap())
            .collect()
    }

    #[test]
    fn a_line_that_is_not_utf8_is_reported_with_its_number_and_the_rest_is_read() {
        let mut bytes = b"{\"a\":1}\n{\"a\":\"\xff\"}\n{\"a\":3}\n".to_vec();
        let got: Vec<_> = EventReader::from_reader("in", Box::new(std::io::Cursor::new(bytes.clone())), None)
            .unwrap()
            .map(|r| r.map(|(p, raw)| (p.to_string(), raw)).unwrap())
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].1, Raw::Text("{\"a\":1}".into()));
        assert_eq!(
            got[1].1,
            Raw::NotUtf8(b"{\"a\":\"\xff\"}".to_vec(), "in:2: not UTF-8 (byte 7 of the line is 0xff)".into())
        );
        assert_eq!(got[2], ("in:3".to_owned(), Raw::Text("{\"a\":3}".into())));
        // A bad first line too (format sniffed from its lossy text).
        bytes.drain(..8);
        let got: Vec<_> = EventReader::from_reader("in", Box::new(std::io::Cursor::new(bytes)), None)
            .unwrap()
            .map(|r| r.unwrap().1)
            .collect();
        assert!(matches!(&got[0], Raw::NotUtf8(_, m) if m.starts_with("in:1:")), "{got:?}");
        assert_eq!(got[1], Raw::Text("{\"a\":3}".into()));
    }

    #[test]
    fn ndjson_is_detected_and_read_line_by_line_with_line_numbers() {
        let got = read("{\"a\":1}\n\n{\"a\":2}\r\n{bad\n", None);
        assert_eq!(
            got,
            [
                ("in:1".to_owned(), Raw::Text("{\"a\":1}".into())),
                ("in:3".to_owned(), Raw::Text("{\"a\":2}".into())),
                ("in:4".to_owned(), Raw::Text("{bad".into())),
            ]
        );
    }

    #[test]
    fn a_pretty_object_and_an_array_are_documents() {
        let got = read("{\n  \"a\": 1\n}\n", None);
        assert_eq!(got, [("in".to_owned(), Raw::Parsed(serde_json::json!({"a": 1})))]);
        let got = read("[{\"a\": 1}, {\"a\": 2}]", None);
        assert_eq!(got.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["in[0]", "in[1]"]);
        let got = read("{\"a\": 1}\n", None);
        assert_eq!(got, [("in".to_owned(), Raw::Parsed(serde_json::json!({"a": 1})))]);
    }

    #[test]
    fn yaml_documents_and_malformed_documents() {
        let got = read("- a: on\n- a: 2\n", None);
        assert_eq!(got[0], ("in[0]".to_owned(), Raw::Parsed(serde_json::json!({"a": "on"}))));
        let got = read("{\"a\": 1, \"a\": 2}", Some(InputFormat::Json));
        assert!(matches!(&got[0].1, Raw::Malformed(m) if m.contains("duplicate") && m.contains("/a")), "{got:?}");
    }

    #[test]
    fn lines_parse_strictly() {
        let p = Position { source: Arc::from("f.ndjson"), locator: Locator::Line(7) };
        let e = parse_line("{\"x\": 1, \"x\": 2}", &p).unwrap_err();
        assert!(e.starts_with("f.ndjson:7:12: duplicate key `x` at /x"), "{e}");
        assert!(parse_line("{\"s\": \"ab\\ud83d\"}", &p).is_err());
        assert_eq!(parse_line("{\"n\": 1.0}", &p).unwrap()["n"], 1.0);
    }
}
