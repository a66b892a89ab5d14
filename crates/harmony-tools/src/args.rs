//! Tool-call arguments: parsed when the call ends, never failing the stream.

use std::fmt;

/// Why a call's arguments are not a JSON object. The call is delivered anyway, with its raw
/// text; this says what a caller would trip over.
///
/// ```
/// use harmony_tools::{parse_arguments, ArgsError};
///
/// assert!(parse_arguments("{\"a\": 1}", None, true).is_ok());
/// assert_eq!(parse_arguments("  ", None, true), Err(ArgsError::Empty));
/// assert!(matches!(parse_arguments("{\"a\"", None, false), Err(ArgsError::Truncated { .. })));
/// assert!(matches!(parse_arguments("print(1)", Some("code"), true), Err(ArgsError::Code)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// Nothing but whitespace.
    Empty,
    /// Not JSON. `line` and `column` are 1-based, in the raw text.
    InvalidJson {
        /// serde_json's message.
        message: String,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
    /// The stream ended inside the arguments (the call is incomplete).
    Truncated {
        /// serde_json's message.
        message: String,
    },
    /// Valid JSON, but not an object (`found` is `array`, `string`, `number`, `bool`, `null`).
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// The content type is `code` (or the recipient is `python` / `container.exec`) and the
    /// body is not JSON: it is code to run, not arguments to parse.
    Code,
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Empty => f.write_str("the arguments are empty"),
            ArgsError::InvalidJson {
                message,
                line,
                column,
            } => {
                write!(
                    f,
                    "the arguments are not JSON at line {line}, column {column}: {message}"
                )
            }
            ArgsError::Truncated { message } => {
                write!(
                    f,
                    "the arguments were cut off before they were complete: {message}"
                )
            }
            ArgsError::NotAnObject { found, .. } => {
                write!(f, "the arguments are a JSON {found}, not an object")
            }
            ArgsError::Code => f.write_str("the body is code, not JSON arguments"),
        }
    }
}

impl std::error::Error for ArgsError {}

/// Parses a call's raw arguments.
///
/// `content_type` is the header's (as written); `complete` is whether the call's message
/// ended before the input did. Leading and trailing whitespace is ignored (models often
/// start the body with a newline).
pub fn parse_arguments(
    raw: &str,
    content_type: Option<&str>,
    complete: bool,
) -> Result<serde_json::Value, ArgsError> {
    parse(raw, content_type == Some("code"), complete)
}

pub(crate) fn parse(raw: &str, code: bool, complete: bool) -> Result<serde_json::Value, ArgsError> {
    check(raw, code, complete)?;
    serde_json::from_str(raw.trim()).map_err(|e| error(raw, e, code, complete))
}

/// Validates `raw` without building a value: what the streaming extractor does at each
/// call's end, so that its cost stays a fraction of the parse (callers who want the value
/// deserialize the raw text into whatever type they need).
pub(crate) fn check(raw: &str, code: bool, complete: bool) -> Result<(), ArgsError> {
    let trimmed = raw.trim();
    let Some(first) = trimmed.bytes().next() else {
        return Err(ArgsError::Empty);
    };
    if let Err(e) = serde_json::from_str::<Valid>(trimmed) {
        return Err(error(raw, e, code, complete));
    }
    match first {
        b'{' => Ok(()),
        b'[' => Err(ArgsError::NotAnObject { found: "array" }),
        b'"' => Err(ArgsError::NotAnObject { found: "string" }),
        b't' | b'f' => Err(ArgsError::NotAnObject { found: "bool" }),
        b'n' => Err(ArgsError::NotAnObject { found: "null" }),
        _ => Err(ArgsError::NotAnObject { found: "number" }),
    }
}

/// Accepts exactly what `serde_json::Value` accepts, without building anything.
/// `serde::de::IgnoredAny` is not enough: it skips numbers without converting them, so a
/// number beyond f64's range (`1e400`) would pass here and fail every real parse.
struct Valid;

impl<'de> serde::Deserialize<'de> for Valid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Valid)
    }
}

impl<'de> serde::de::Visitor<'de> for Valid {
    type Value = Valid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_unit<E>(self) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Valid, A::Error> {
        while seq.next_element::<Valid>()?.is_some() {}
        Ok(Valid)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Valid, A::Error> {
        while map.next_entry::<Valid, Valid>()?.is_some() {}
        Ok(Valid)
    }
}

fn error(raw: &str, e: serde_json::Error, code: bool, complete: bool) -> ArgsError {
    if code {
        return ArgsError::Code;
    }
    if !complete {
        return ArgsError::Truncated {
            message: e.to_string(),
        };
    }
    // serde_json positions are in the trimmed text; report them in the raw text.
    let lead = &raw[..raw.len() - raw.trim_start().len()];
    let lead_lines = lead.matches('\n').count();
    let column = if e.line() == 1 {
        e.column() + lead.len() - lead.rfind('\n').map_or(0, |i| i + 1)
    } else {
        e.column()
    };
    ArgsError::InvalidJson {
        message: e.to_string(),
        line: e.line() + lead_lines,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_in_the_raw_text() {
        let Err(ArgsError::InvalidJson { line, column, .. }) = parse("\n  {\"a\": x}", false, true)
        else {
            panic!("expected invalid JSON");
        };
        assert_eq!((line, column), (2, 9));
    }

    #[test]
    fn non_objects_name_their_type() {
        for (raw, found) in [
            ("[1]", "array"),
            ("\"x\"", "string"),
            ("true", "bool"),
            ("null", "null"),
            ("-1.5", "number"),
        ] {
            assert_eq!(
                parse(raw, false, true),
                Err(ArgsError::NotAnObject { found }),
                "{raw}"
            );
        }
    }

    #[test]
    fn code_that_is_json_is_still_arguments() {
        assert_eq!(
            parse("{\"code\": \"x\"}", true, true),
            Ok(serde_json::json!({"code": "x"}))
        );
    }
}
