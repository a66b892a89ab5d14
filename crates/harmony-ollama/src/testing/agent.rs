//! The fake Ollama's scripted model: reads the raw harmony prompt of an
//! `/api/generate` request (or the messages and tools of an `/api/chat` one) and
//! answers the way gpt-oss would in a tool loop, deterministically.
//!
//! - last message from the user, tools declared: an analysis message, then a call to
//!   the first declared tool, arguments built from its declaration;
//! - last message a tool result: an analysis message, then a final answer quoting it;
//! - otherwise: an analysis message, then a final answer quoting the user.
//!
//! Like Ollama in raw mode, the reply never contains the stop token (`<|call|>`,
//! `<|return|>`): Ollama swallows it and ends with `done_reason: "stop"`.

use serde_json::{Map, Value};

/// The scripted model's settings.
///
/// ```
/// use harmony_ollama::testing::Agent;
///
/// let agent = Agent::new().command("ls -l").string_value("Paris");
/// let prompt = "<|start|>developer<|message|># Tools\n\n## functions\n\nnamespace functions {\n\n\
///     type shell = (_: {\ncmd: string[],\n}) => any;\n\n} // namespace functions<|end|>\
///     <|start|>user<|message|>List files<|end|><|start|>assistant";
/// let reply: String = agent.reply_to_prompt(prompt).concat();
/// assert!(reply.ends_with("<|start|>assistant<|channel|>commentary to=functions.shell <|constrain|>json<|message|>{\"cmd\":[\"ls\",\"-l\"]}"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    command: String,
    string_value: String,
}

impl Default for Agent {
    fn default() -> Self {
        Agent::new()
    }
}

/// A tool as declared in the developer message: its name and its top-level
/// parameters (name, TypeScript type, required).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Declared {
    name: String,
    params: Vec<(String, String, bool)>,
}

/// What the last message of the conversation is.
enum Last {
    User(String),
    ToolResult(String),
    Other,
}

impl Agent {
    /// Command `echo harmony-ok`, string arguments `harmony-test`.
    ///
    /// ```
    /// let agent = harmony_ollama::testing::Agent::new();
    /// assert_eq!(agent.arguments_for(&serde_json::json!({
    ///     "type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]
    /// }))["cmd"], "echo harmony-ok");
    /// ```
    pub fn new() -> Agent {
        Agent {
            command: "echo harmony-ok".to_owned(),
            string_value: "harmony-test".to_owned(),
        }
    }

    /// The shell command put in a parameter named `cmd` or `command` (split on
    /// whitespace when the parameter is an array of strings).
    ///
    /// ```
    /// let agent = harmony_ollama::testing::Agent::new().command("printf hi");
    /// assert_eq!(agent.arguments_for(&serde_json::json!({
    ///     "properties": {"command": {"type": "array", "items": {"type": "string"}}}, "required": ["command"]
    /// }))["command"], serde_json::json!(["printf", "hi"]));
    /// ```
    pub fn command(mut self, command: impl Into<String>) -> Agent {
        self.command = command.into();
        self
    }

    /// The value given to every other required string parameter.
    ///
    /// ```
    /// let agent = harmony_ollama::testing::Agent::new().string_value("Paris");
    /// assert_eq!(agent.arguments_for(&serde_json::json!({
    ///     "properties": {"city": {"type": "string"}}, "required": ["city"]
    /// }))["city"], "Paris");
    /// ```
    pub fn string_value(mut self, value: impl Into<String>) -> Agent {
        self.string_value = value.into();
        self
    }

    /// Arguments for a tool whose parameters are this JSON schema (the `/api/chat`
    /// path): every required parameter gets a value of its type, and `cmd`/`command`
    /// gets the command even when optional.
    ///
    /// ```
    /// let args = harmony_ollama::testing::Agent::new().arguments_for(&serde_json::json!({
    ///     "properties": {"n": {"type": "integer"}, "unit": {"type": "string", "enum": ["c", "f"]}, "x": {"type": "string"}},
    ///     "required": ["n", "unit"]
    /// }));
    /// assert_eq!(args, serde_json::json!({"n": 1, "unit": "c"}));
    /// ```
    pub fn arguments_for(&self, schema: &Value) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                if !required.contains(&name.as_str()) && !is_command(name) {
                    continue;
                }
                let ty = match prop.get("type").and_then(Value::as_str) {
                    Some("array") => {
                        let item = prop
                            .pointer("/items/type")
                            .and_then(Value::as_str)
                            .unwrap_or("any");
                        format!("{item}[]")
                    }
                    Some("string") => match prop.get("enum").and_then(Value::as_array) {
                        Some(values) => values
                            .iter()
                            .filter_map(Value::as_str)
                            .map(|v| format!("\"{v}\""))
                            .collect::<Vec<_>>()
                            .join(" | "),
                        None => "string".to_owned(),
                    },
                    Some("integer") => "number".to_owned(),
                    Some(t) => t.to_owned(),
                    None => "any".to_owned(),
                };
                out.insert(name.clone(), self.value(name, &ty));
            }
        }
        Value::Object(out)
    }

    /// A value for a parameter of TypeScript type `ty`, as the harmony renderer
    /// writes types.
    fn value(&self, name: &str, ty: &str) -> Value {
        let ty = ty.trim().trim_end_matches(',').trim();
        let words = || {
            Value::Array(
                self.command
                    .split_whitespace()
                    .map(|w| Value::String(w.to_owned()))
                    .collect(),
            )
        };
        if ty.ends_with("[]") || ty.starts_with("Array<") {
            return if is_command(name) || ty.starts_with("string") {
                if is_command(name) {
                    words()
                } else {
                    Value::Array(vec![Value::String(self.string_value.clone())])
                }
            } else {
                Value::Array(Vec::new())
            };
        }
        if let Some(first) = ty.strip_prefix('"') {
            // An enum: its first literal.
            if let Some(end) = first.find('"') {
                return Value::String(first[..end].to_owned());
            }
        }
        match ty.split(" | ").next().unwrap_or(ty) {
            "string" if is_command(name) => Value::String(self.command.clone()),
            "string" => Value::String(self.string_value.clone()),
            "number" => Value::from(1),
            "boolean" => Value::Bool(true),
            t if t.starts_with('{') => Value::Object(Map::new()),
            _ => Value::String(self.string_value.clone()),
        }
    }

    /// The reply to a raw harmony prompt, as token-ish fragments (markers whole, text
    /// cut before each space).
    ///
    /// ```
    /// let agent = harmony_ollama::testing::Agent::new();
    /// let reply = agent.reply_to_prompt("<|start|>user<|message|>Hi there<|end|><|start|>assistant");
    /// assert_eq!(reply[0], "<|channel|>");
    /// assert!(reply.concat().ends_with("<|channel|>final<|message|>You said: Hi there"));
    /// ```
    pub fn reply_to_prompt(&self, prompt: &str) -> Vec<String> {
        let (tools, last) = read_prompt(prompt);
        self.reply(&tools, last)
    }

    /// The reply to an `/api/chat` request body (its `messages` and `tools`), as the
    /// same raw harmony fragments (the server turns them into chat lines).
    ///
    /// ```
    /// let agent = harmony_ollama::testing::Agent::new();
    /// let reply = agent.reply_to_chat(&serde_json::json!({
    ///     "messages": [{"role": "user", "content": "Weather?"}],
    ///     "tools": [{"type": "function", "function": {"name": "get_weather",
    ///         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    /// }));
    /// assert!(reply.concat().ends_with("to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"harmony-test\"}"));
    /// ```
    pub fn reply_to_chat(&self, body: &Value) -> Vec<String> {
        let tools: Vec<(String, Value)> = body
            .get("tools")
            .and_then(Value::as_array)
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| {
                        let f = t.get("function")?;
                        let name = f.get("name")?.as_str()?.to_owned();
                        Some((name, f.get("parameters").cloned().unwrap_or(Value::Null)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let last = body
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|m| m.last())
            .map_or(Last::Other, |m| {
                let content = m
                    .get("content")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                match m.get("role").and_then(Value::as_str) {
                    Some("user") => Last::User(content),
                    Some("tool") => Last::ToolResult(content),
                    _ => Last::Other,
                }
            });
        match (tools.first(), last) {
            (Some((name, schema)), Last::User(_)) => {
                let args = self.arguments_for(schema);
                call_reply(name, &args.to_string())
            }
            (_, last) => self.reply(&[], last),
        }
    }

    fn reply(&self, tools: &[Declared], last: Last) -> Vec<String> {
        match (tools.first(), last) {
            (Some(tool), Last::User(_)) => {
                let mut args = Map::new();
                for (name, ty, required) in &tool.params {
                    if *required || is_command(name) {
                        args.insert(name.clone(), self.value(name, ty));
                    }
                }
                call_reply(&tool.name, &Value::Object(args).to_string())
            }
            (_, Last::ToolResult(result)) => final_reply(
                "The tool answered; I will report its result.",
                &format!("The tool returned: {result}"),
            ),
            (_, Last::User(text)) => final_reply(
                "The user wrote something; I will answer it.",
                &format!("You said: {}", text.trim()),
            ),
            (_, Last::Other) => final_reply(
                "Nothing to answer; I will greet.",
                "Hello from the fake Ollama.",
            ),
        }
    }
}

fn is_command(name: &str) -> bool {
    name == "cmd" || name == "command"
}

fn call_reply(tool: &str, args: &str) -> Vec<String> {
    let mut out = Vec::new();
    push_message(
        &mut out,
        "analysis",
        &format!("I need to call {tool} to answer."),
    );
    out.push("<|start|>".into());
    out.push("assistant".into());
    out.push("<|channel|>".into());
    out.push("commentary".into());
    out.push(format!(" to=functions.{tool}"));
    out.push(" ".into());
    out.push("<|constrain|>".into());
    out.push("json".into());
    out.push("<|message|>".into());
    // Arguments in small pieces, as a model streams them.
    split_text(args, &mut out);
    out
}

fn final_reply(analysis: &str, answer: &str) -> Vec<String> {
    let mut out = Vec::new();
    push_message(&mut out, "analysis", analysis);
    out.push("<|start|>".into());
    out.push("assistant".into());
    out.push("<|channel|>".into());
    out.push("final".into());
    out.push("<|message|>".into());
    split_text(answer, &mut out);
    out
}

/// `<|channel|>CHANNEL<|message|>TEXT<|end|>` (the reply starts after the prompt's
/// `<|start|>assistant`).
fn push_message(out: &mut Vec<String>, channel: &str, text: &str) {
    out.push("<|channel|>".into());
    out.push(channel.into());
    out.push("<|message|>".into());
    split_text(text, out);
    out.push("<|end|>".into());
}

/// Cuts text before each space (and after `,` / `:` in JSON), never inside a char.
fn split_text(text: &str, out: &mut Vec<String>) {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if i > start && (c == ' ' || c == ',' || c == ':') {
            out.push(text[start..i].to_owned());
            start = i;
        }
    }
    if start < text.len() {
        out.push(text[start..].to_owned());
    }
}

/// The declared tools and the last message of a raw harmony prompt.
fn read_prompt(prompt: &str) -> (Vec<Declared>, Last) {
    let mut tools = Vec::new();
    let mut last = Last::Other;
    for segment in prompt.split("<|start|>") {
        let Some((header, rest)) = segment.split_once("<|message|>") else {
            continue;
        };
        let body = ["<|end|>", "<|call|>", "<|return|>"]
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .map_or(rest, |i| &rest[..i]);
        let header = header.trim_start();
        if header.starts_with("developer") {
            tools = declared_tools(body);
            last = Last::Other;
        } else if header.starts_with("user") {
            last = Last::User(body.to_owned());
        } else if header.starts_with("functions.") {
            last = Last::ToolResult(body.to_owned());
        } else {
            last = Last::Other;
        }
    }
    (tools, last)
}

/// The tools of the `functions` namespace in a developer message.
fn declared_tools(developer: &str) -> Vec<Declared> {
    let Some(start) = developer.find("namespace functions {") else {
        return Vec::new();
    };
    let ns = &developer[start..];
    let ns = ns
        .find("} // namespace functions")
        .map_or(ns, |end| &ns[..end]);
    let mut tools = Vec::new();
    let mut current: Option<Declared> = None;
    let mut depth = 0usize;
    for line in ns.lines() {
        let trimmed = line.trim();
        if let Some(decl) = trimmed.strip_prefix("type ") {
            if let Some((name, rest)) = decl.split_once(" = ") {
                let tool = Declared {
                    name: name.trim().to_owned(),
                    params: Vec::new(),
                };
                if rest.starts_with("(_: {") {
                    current = Some(tool);
                    depth = 0;
                } else {
                    tools.push(tool);
                }
                continue;
            }
        }
        let Some(tool) = current.as_mut() else {
            continue;
        };
        if depth == 0 && trimmed.starts_with("}) => any;") {
            tools.extend(current.take());
            continue;
        }
        if trimmed.starts_with("//") || trimmed.is_empty() {
            continue;
        }
        if depth == 0 {
            if let Some((name, ty)) = trimmed.split_once(": ") {
                let (name, required) = match name.strip_suffix('?') {
                    Some(n) => (n, false),
                    None => (name, true),
                };
                let ty = ty.split(" // ").next().unwrap_or(ty);
                tool.params.push((name.to_owned(), ty.to_owned(), required));
            }
        }
        depth += trimmed.matches('{').count();
        depth = depth.saturating_sub(trimmed.matches('}').count());
    }
    tools
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = "<|start|>developer<|message|># Instructions\n\nBe brief.\n\n# Tools\n\n## functions\n\nnamespace functions {\n\n// Gets the weather.\ntype get_weather = (_: {\n// The city.\ncity: string,\nunit?: \"c\" | \"f\", // default: \"c\"\n}) => any;\n\n// Runs a command.\ntype shell = (_: {\ncmd: string[],\n}) => any;\n\ntype now = () => any;\n\n} // namespace functions<|end|>";

    #[test]
    fn declared_tools_are_read_with_their_parameters() {
        let (tools, _) = read_prompt(DEV);
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["get_weather", "shell", "now"]);
        assert_eq!(
            tools[0].params,
            [
                ("city".to_owned(), "string,".to_owned(), true),
                ("unit".to_owned(), "\"c\" | \"f\",".to_owned(), false)
            ]
        );
    }

    #[test]
    fn tool_result_is_quoted_in_the_final_answer() {
        let prompt = format!("{DEV}<|start|>user<|message|>Weather?<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{{\"city\":\"x\"}}<|call|><|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{{\"temp\":21}}<|end|><|start|>assistant");
        let reply = Agent::new().reply_to_prompt(&prompt).concat();
        assert!(reply.ends_with("<|channel|>final<|message|>The tool returned: {\"temp\":21}"));
        assert!(!reply.contains("<|return|>"));
    }

    #[test]
    fn user_turn_with_tools_calls_the_first_tool() {
        let prompt = format!("{DEV}<|start|>user<|message|>Weather?<|end|><|start|>assistant");
        let reply = Agent::new()
            .string_value("Paris")
            .reply_to_prompt(&prompt)
            .concat();
        assert!(
            reply.ends_with("commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}"),
            "{reply}"
        );
        assert!(!reply.contains("<|call|>"));
    }
}
