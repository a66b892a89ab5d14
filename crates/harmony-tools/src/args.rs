//! Tool-call arguments: parsed when the call ends, never failing the stream.

use crate::Namespace;
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

impl ArgsError {
    /// snake_case name of the variant: `empty`, `invalid_json`, `truncated`,
    /// `not_an_object`, `code`.
    ///
    /// ```
    /// assert_eq!(harmony_tools::ArgsError::Code.kind(), "code");
    /// ```
    pub const fn kind(&self) -> &'static str {
        match self {
            ArgsError::Empty => "empty",
            ArgsError::InvalidJson { .. } => "invalid_json",
            ArgsError::Truncated { .. } => "truncated",
            ArgsError::NotAnObject { .. } => "not_an_object",
            ArgsError::Code => "code",
        }
    }
}

/// Serialises as `{"kind": "invalid_json", "message": "…"}`: what the summary's tool calls
/// carry when `arguments` is null.
impl serde::Serialize for ArgsError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ArgsError", 2)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

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
    // One pass: the value is built while the text is validated (`check` is for callers
    // that want no value at all).
    let trimmed = raw.trim();
    let first = first_byte(trimmed)?;
    let value = serde_json::from_str(trimmed).map_err(|e| error(raw, e, code, complete))?;
    object_or_found(first).map(|()| value)
}

/// Validates `raw` without building a value: what the streaming extractor does at each
/// call's end, so that its cost stays a fraction of the parse (callers who want the value
/// deserialize the raw text into whatever type they need).
pub(crate) fn check(raw: &str, code: bool, complete: bool) -> Result<(), ArgsError> {
    let trimmed = raw.trim();
    let first = first_byte(trimmed)?;
    if let Err(e) = serde_json::from_str::<Valid>(trimmed) {
        return Err(error(raw, e, code, complete));
    }
    object_or_found(first)
}

fn first_byte(trimmed: &str) -> Result<u8, ArgsError> {
    trimmed.bytes().next().ok_or(ArgsError::Empty)
}

/// For valid JSON starting with `first`: an object, or the type it is instead.
fn object_or_found(first: u8) -> Result<(), ArgsError> {
    let found = match first {
        b'{' => return Ok(()),
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "bool",
        b'n' => "null",
        _ => "number",
    };
    Err(ArgsError::NotAnObject { found })
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

/// A repair of a call's arguments: a shape gpt-oss really writes for a JSON object, read as
/// the object it meant (tolerance policy, "Tool-argument repairs" in docs/design.md).
///
/// ```
/// use harmony_tools::ArgsRepair;
/// assert_eq!(ArgsRepair::Envelope.as_str(), "envelope");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ArgsRepair {
    /// `{"name": "<this tool>", "parameters": {…}}` (or `"arguments"`): the inner object.
    Envelope,
    /// `[{…}]`: the one object.
    SingleElementArray,
    /// One complete JSON value followed by more text (a stray `]`, prose, a second
    /// object): the first value; the rest is reported.
    TrailingText,
    /// `"{\"a\":1}"`: the object encoded in the string.
    DoubleEncoded,
    /// Not JSON at all, for a tool whose schema has exactly one required string parameter:
    /// `{"<param>": "<the body, trimmed>"}`.
    BareString,
}

impl ArgsRepair {
    /// snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ArgsRepair::Envelope => "envelope",
            ArgsRepair::SingleElementArray => "single_element_array",
            ArgsRepair::TrailingText => "trailing_text",
            ArgsRepair::DoubleEncoded => "double_encoded",
            ArgsRepair::BareString => "bare_string",
        }
    }
}

impl fmt::Display for ArgsRepair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How calls' arguments are read: repairs on or off, the declared tools' schemas, and
/// whether a call to an undeclared tool is dropped (strict).
///
/// Repairs are on by default. With a tool's schema ([`tool`](ToolOptions::tool)), a repair
/// applies only when its result fits the schema (an object; required properties present;
/// declared property types and enums respected; no extra property when
/// `additionalProperties` is `false`), and an envelope is kept as it is when the tool itself
/// declares a `name` property. Truncated arguments are never repaired.
///
/// ```
/// use harmony_tools::{repair_arguments, ArgsRepair, ToolOptions};
/// use serde_json::json;
///
/// let options = ToolOptions::new().tool("run", json!({
///     "type": "object",
///     "properties": {"cmd": {"type": "string"}},
///     "required": ["cmd"],
/// }));
/// let (value, repairs) = repair_arguments("ls -R", "run", None, true, &options).unwrap();
/// assert_eq!(value, json!({"cmd": "ls -R"}));
/// assert_eq!(repairs, [(ArgsRepair::BareString, String::new())]);
/// let off = ToolOptions::new().repairs(false);
/// assert!(repair_arguments("[{\"a\":1}]", "f", None, true, &off).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct ToolOptions {
    pub(crate) repair: bool,
    pub(crate) schemas: std::collections::HashMap<String, serde_json::Value>,
    pub(crate) declared: Option<std::collections::HashSet<String>>,
    pub(crate) strict: bool,
}

impl Default for ToolOptions {
    fn default() -> Self {
        ToolOptions {
            repair: true,
            schemas: Default::default(),
            declared: None,
            strict: false,
        }
    }
}

impl ToolOptions {
    /// Repairs on, no declared tools, not strict.
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns the argument-shape repairs on (the default) or off.
    pub fn repairs(mut self, on: bool) -> Self {
        self.repair = on;
        self
    }

    /// Declares a tool (its name as the model calls it) with its parameters' JSON Schema.
    pub fn tool(mut self, name: impl Into<String>, parameters: serde_json::Value) -> Self {
        let name = name.into();
        self.declared
            .get_or_insert_with(Default::default)
            .insert(name.clone());
        self.schemas.insert(name, parameters);
        self
    }

    /// Declares tools by name only (no schema).
    pub fn declared<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.declared
            .get_or_insert_with(Default::default)
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Strict (issue 11 item 5): a call to a function that is not declared is not returned
    /// as a call; its text is content. Only with declared tools; built-ins
    /// (`browser.*`, `python`, `container.*`) are never dropped. In raw text a model that
    /// spells `<|start|>` with ordinary tokens is indistinguishable from a real marker, so
    /// text it writes can look like a call; strict mode keeps such a forged call to an
    /// undeclared name from reaching a tool runner.
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// Whether `name` (a `functions` name) is declared; `true` when nothing was declared.
    pub(crate) fn is_declared(&self, name: &str) -> bool {
        self.declared.as_ref().is_none_or(|d| d.contains(name))
    }
}

/// Reads a call's arguments as [`parse_arguments`] does, then, when that fails to give the
/// object the tool meant and repairs are on, tries the repairs (see [`ArgsRepair`]).
/// `tool` is the called name (as in [`ToolCall::name`](crate::ToolCall::name)).
///
/// Returns the arguments and the repairs applied, each with its detail (the text dropped,
/// for [`ArgsRepair::TrailingText`]).
///
/// # Errors
/// The [`ArgsError`] of the unrepaired text when no repair applies.
pub fn repair_arguments(
    raw: &str,
    tool: &str,
    content_type: Option<&str>,
    complete: bool,
    options: &ToolOptions,
) -> Result<(serde_json::Value, Vec<(ArgsRepair, String)>), ArgsError> {
    let code = content_type == Some("code") || is_code_tool(tool);
    repaired(raw, code, complete, tool, options)
}

pub(crate) fn is_code_tool(name: &str) -> bool {
    // `name` is a call's name as `Namespace::split` gives it: built-ins keep their prefix.
    Namespace::split(name).0.takes_code()
}

pub(crate) fn repaired(
    raw: &str,
    code: bool,
    complete: bool,
    tool: &str,
    options: &ToolOptions,
) -> Result<(serde_json::Value, Vec<(ArgsRepair, String)>), ArgsError> {
    let strict = parse(raw, code, complete);
    if !options.repair || !complete {
        return strict.map(|v| (v, Vec::new()));
    }
    let schema = options.schemas.get(tool);
    let mut repairs = Vec::new();
    if let Ok(v) = &strict {
        // Valid, but possibly an envelope around the real arguments.
        if looks_like_envelope(raw) {
            if let Some(inner) = unwrap_envelope(v, tool, schema) {
                repairs.push((ArgsRepair::Envelope, String::new()));
                return Ok((inner, repairs));
            }
        }
        return strict.map(|v| (v, Vec::new()));
    }
    let error = strict.unwrap_err();
    let trimmed = raw.trim();
    let mut stream = serde_json::Deserializer::from_str(trimmed).into_iter::<serde_json::Value>();
    let value = match stream.next() {
        Some(Ok(v)) => {
            let rest = trimmed[stream.byte_offset()..].trim();
            if !rest.is_empty() {
                repairs.push((ArgsRepair::TrailingText, rest.to_owned()));
            }
            Some(v)
        }
        _ => None,
    };
    let result = match value {
        Some(v) => reshape(v, tool, schema, &mut repairs),
        None if !code && !trimmed.starts_with(['{', '[', '"']) => {
            single_string_param(schema).map(|p| {
                repairs.push((ArgsRepair::BareString, String::new()));
                serde_json::json!({ p: trimmed })
            })
        }
        None => None,
    };
    match result {
        Some(v) if v.is_object() && schema.is_none_or(|s| fits(&v, s)) => Ok((v, repairs)),
        _ => Err(error),
    }
}

/// The object a complete JSON value stands for: itself, the one element of an array, the
/// object a string encodes, or an envelope's inner object (in that order, each once).
fn reshape(
    mut v: serde_json::Value,
    tool: &str,
    schema: Option<&serde_json::Value>,
    repairs: &mut Vec<(ArgsRepair, String)>,
) -> Option<serde_json::Value> {
    use serde_json::Value;
    if let Value::String(s) = &v {
        let inner: Value = serde_json::from_str(s.trim()).ok()?;
        repairs.push((ArgsRepair::DoubleEncoded, String::new()));
        v = inner;
    }
    if let Value::Array(a) = &mut v {
        if a.len() != 1 || !a[0].is_object() {
            return None;
        }
        repairs.push((ArgsRepair::SingleElementArray, String::new()));
        v = a.pop()?;
    }
    if let Some(inner) = unwrap_envelope(&v, tool, schema) {
        repairs.push((ArgsRepair::Envelope, String::new()));
        v = inner;
    }
    Some(v)
}

pub(crate) fn looks_like_envelope(raw: &str) -> bool {
    raw.contains("\"name\"") && (raw.contains("\"parameters\"") || raw.contains("\"arguments\""))
}

/// `{"name": tool, "parameters"|"arguments": {…}}` → the inner object; not when the tool
/// declares a `name` property of its own (then the object is its arguments as they are).
fn unwrap_envelope(
    v: &serde_json::Value,
    tool: &str,
    schema: Option<&serde_json::Value>,
) -> Option<serde_json::Value> {
    let o = v.as_object()?;
    if o.len() != 2 {
        return None;
    }
    let name = o.get("name")?.as_str()?;
    if name != tool && name.strip_prefix("functions.") != Some(tool) {
        return None;
    }
    if schema.is_some_and(|s| s.pointer("/properties/name").is_some()) {
        return None;
    }
    let inner = o.get("parameters").or_else(|| o.get("arguments"))?;
    match inner {
        serde_json::Value::Object(_) => Some(inner.clone()),
        // `"arguments": "{\"a\":1}"`, as OpenAI's own wire format has it.
        serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .filter(serde_json::Value::is_object),
        _ => None,
    }
}

/// The one required property, when the schema has exactly one and it is a string.
fn single_string_param(schema: Option<&serde_json::Value>) -> Option<String> {
    let schema = schema?;
    let required = schema.get("required")?.as_array()?;
    let [name] = required.as_slice() else {
        return None;
    };
    let name = name.as_str()?;
    let ty = schema.pointer(&format!(
        "/properties/{}",
        name.replace('~', "~0").replace('/', "~1")
    ))?;
    (ty.get("type")?.as_str()? == "string").then(|| name.to_owned())
}

/// Whether `v` fits the parts of a JSON Schema a tool declaration uses: object type,
/// required properties, property types and enums, `additionalProperties: false`.
pub(crate) fn fits(v: &serde_json::Value, schema: &serde_json::Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    let props = schema.get("properties").and_then(|p| p.as_object());
    if let Some(required) = schema.get("required").and_then(|r| r.as_array()) {
        if required
            .iter()
            .filter_map(|r| r.as_str())
            .any(|r| !o.contains_key(r))
        {
            return false;
        }
    }
    let closed = schema.get("additionalProperties") == Some(&serde_json::Value::Bool(false));
    o.iter().all(|(k, val)| match props.and_then(|p| p.get(k)) {
        Some(p) => type_fits(val, p),
        None => !closed,
    })
}

fn type_fits(v: &serde_json::Value, prop: &serde_json::Value) -> bool {
    use serde_json::Value;
    if let Some(e) = prop.get("enum").and_then(|e| e.as_array()) {
        if !e.contains(v) {
            return false;
        }
    }
    let one = |t: &str| match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    };
    match prop.get("type") {
        Some(Value::String(t)) => one(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str()).any(one),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse` builds the value in one pass and `check` builds none: they must agree on
    /// every verdict, or the streaming extractor and the summary would disagree on a call.
    #[test]
    fn parse_and_check_agree() {
        for raw in [
            "{\"a\": 1}",
            " \n{} ",
            "",
            "  \n ",
            "[1]",
            "\"s\"",
            "true",
            "null",
            "-1.5",
            "{\"a\": 1e400}",
            "{\"a\"",
            "{\"a\": x}",
            "print(1)",
            "{} {}",
        ] {
            for (code, complete) in [(false, true), (false, false), (true, true)] {
                assert_eq!(
                    parse(raw, code, complete).err(),
                    check(raw, code, complete).err(),
                    "{raw:?} code={code} complete={complete}"
                );
            }
        }
    }

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

    fn fix(raw: &str) -> Result<(serde_json::Value, Vec<ArgsRepair>), ArgsError> {
        repaired(raw, false, true, "f", &ToolOptions::new())
            .map(|(v, r)| (v, r.into_iter().map(|(k, _)| k).collect()))
    }

    #[test]
    fn each_repair_names_itself() {
        use serde_json::json;
        use ArgsRepair::*;
        for (raw, want, repairs) in [
            (
                r#"{"name": "f", "parameters": {"a": 1}}"#,
                json!({"a": 1}),
                vec![Envelope],
            ),
            (
                r#"{"name": "functions.f", "arguments": {"a": 1}}"#,
                json!({"a": 1}),
                vec![Envelope],
            ),
            (
                r#"{"name": "f", "arguments": "{\"a\": 1}"}"#,
                json!({"a": 1}),
                vec![Envelope],
            ),
            (r#"[{"a": 1}]"#, json!({"a": 1}), vec![SingleElementArray]),
            (r#"{"a": 1}]"#, json!({"a": 1}), vec![TrailingText]),
            (
                r#"{"a": 1} I will now wait."#,
                json!({"a": 1}),
                vec![TrailingText],
            ),
            (r#"{"a": 1}{"a": 2}"#, json!({"a": 1}), vec![TrailingText]),
            (r#""{\"a\":1}""#, json!({"a": 1}), vec![DoubleEncoded]),
            (
                r#"[{"name": "f", "parameters": {"a": 1}}]"#,
                json!({"a": 1}),
                vec![SingleElementArray, Envelope],
            ),
        ] {
            assert_eq!(fix(raw), Ok((want, repairs)), "{raw}");
        }
        // Not this tool's envelope, several elements, prose: no repair.
        let other = r#"{"name": "g", "parameters": {"a": 1}}"#;
        assert_eq!(fix(other).unwrap().1, []);
        for raw in [
            r#"[{"a": 1}, {"a": 2}]"#,
            "ls -R",
            r#""just text""#,
            r#"{"a": "#,
        ] {
            assert!(fix(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn truncated_arguments_are_never_repaired() {
        let r = repaired(r#"{"a": 1}]"#, false, false, "f", &ToolOptions::new());
        assert!(matches!(r, Err(ArgsError::Truncated { .. })));
    }

    #[test]
    fn schemas_decide_which_repairs_apply() {
        use serde_json::json;
        let cmd = json!({"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]});
        let named = json!({"type": "object", "properties": {"name": {"type": "string"}, "parameters": {"type": "object"}}});
        let opts = ToolOptions::new().tool("run", cmd).tool("f", named);
        // Bare body for a one-string-parameter tool.
        let (v, r) = repaired("ls -R\n", false, true, "run", &opts).unwrap();
        assert_eq!(
            (v, r[0].0),
            (json!({"cmd": "ls -R"}), ArgsRepair::BareString)
        );
        // A repair whose result does not fit the schema does not apply.
        assert!(repaired(r#"[{"other": 1}]"#, false, true, "run", &opts).is_err());
        // The tool declares `name`: the envelope is its arguments.
        let raw = r#"{"name": "f", "parameters": {"a": 1}}"#;
        let (v, r) = repaired(raw, false, true, "f", &opts).unwrap();
        assert_eq!((v, r.len()), (serde_json::from_str(raw).unwrap(), 0));
        // Code stays code.
        assert_eq!(
            repaired("ls -R", true, true, "run", &opts),
            Err(ArgsError::Code)
        );
    }

    #[test]
    fn code_that_is_json_is_still_arguments() {
        assert_eq!(
            parse("{\"code\": \"x\"}", true, true),
            Ok(serde_json::json!({"code": "x"}))
        );
    }
}
