//! JSON Schema -> the TypeScript-like tool namespace gpt-oss was trained on.
//!
//! This is a faithful port of `openai-harmony`'s `json_schema_to_typescript` and
//! `template_tools_section`, quirks included (they are what the model saw in training,
//! and token parity depends on them): e.g. a property-level `oneOf` renders its variants
//! on separate ` | ` lines, a string default is quoted unless the schema is an enum, and
//! nested object properties are not indented further than their parent's keys.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::model::ToolNamespaceConfig;

fn is_enum(schema: &Value) -> bool {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

fn is_nullable(schema: &Value) -> bool {
    schema
        .get("nullable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Appends ` | null` for `nullable: true` unless the type already mentions null.
fn push_type_with_nullable(out: &mut String, schema: &Value, indent: &str) {
    let ty = to_typescript(schema, indent);
    out.push_str(&ty);
    if is_nullable(schema) && !ty.contains("null") {
        out.push_str(" | null");
    }
}

/// `default: "x"` for a string default of a non-enum schema; `default: x` otherwise.
fn default_comment(schema: &Value, default: &Value) -> String {
    match default.as_str() {
        Some(s) if !is_enum(schema) => format!("default: \"{s}\""),
        Some(s) => format!("default: {s}"),
        None => format!("default: {default}"),
    }
}

/// The TypeScript-like rendering of `schema` at `indent`.
pub(crate) fn to_typescript(schema: &Value, indent: &str) -> String {
    if let Some(one_of) = schema.get("oneOf") {
        if let Some(variants) = one_of.as_array() {
            let mut out = String::new();
            let mut first = true;
            for variant in variants {
                if first {
                    let _ = write!(out, "\n{indent} | ");
                    first = false;
                } else {
                    out.push('\n');
                    let _ = write!(out, "{indent} | ");
                }
                push_type_with_nullable(&mut out, variant, &format!("{indent}   "));
                let mut comments = Vec::new();
                if let Some(desc) = variant.get("description").and_then(Value::as_str) {
                    comments.push(desc.to_owned());
                }
                if let Some(default) = variant.get("default") {
                    // At this level the reference quotes string defaults of non-enums
                    // and prints everything else as JSON (enum strings included).
                    if default.is_string() && !is_enum(variant) {
                        comments.push(default_comment(variant, default));
                    } else {
                        comments.push(format!("default: {default}"));
                    }
                }
                if !comments.is_empty() {
                    let _ = write!(out, " // {}", comments.join(" "));
                }
            }
            return out;
        }
    }
    if let Some(types) = schema.get("type").and_then(Value::as_array) {
        let names: Vec<&str> = types
            .iter()
            .filter_map(Value::as_str)
            .map(|t| if t == "integer" { "number" } else { t })
            .collect();
        if !names.is_empty() {
            return names.join(" | ");
        }
    }
    let Some(ty) = schema.get("type").and_then(Value::as_str) else {
        // The reference's defensive `oneOf` branch is unreachable for arrays (handled
        // above); anything else is `any`.
        return "any".to_owned();
    };
    match ty {
        "object" => object_to_typescript(schema, indent),
        "string" => {
            if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                let quoted: Vec<String> = values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| format!("\"{s}\""))
                    .collect();
                if !quoted.is_empty() {
                    return quoted.join(" | ");
                }
            }
            "string".to_owned()
        }
        "number" | "integer" => "number".to_owned(),
        "boolean" => "boolean".to_owned(),
        "array" => match schema.get("items") {
            Some(items) => format!("{}[]", to_typescript(items, indent)),
            None => "Array<any>".to_owned(),
        },
        _ => "any".to_owned(),
    }
}

fn object_to_typescript(schema: &Value, indent: &str) -> String {
    let mut out = String::new();
    if let Some(desc) = schema.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "{indent}// {desc}");
    }
    out.push_str("{\n");
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, val) in props {
            let optional = if required.contains(&key.as_str()) {
                ""
            } else {
                "?"
            };
            if let Some(title) = val.get("title").and_then(Value::as_str) {
                let _ = write!(out, "{indent}// {title}\n{indent}//\n");
            }
            if val.get("oneOf").is_none() {
                if let Some(desc) = val.get("description").and_then(Value::as_str) {
                    let _ = writeln!(out, "{indent}// {desc}");
                }
            }
            if let Some(examples) = val.get("examples").and_then(Value::as_array) {
                if !examples.is_empty() {
                    let _ = writeln!(out, "{indent}// Examples:");
                    for ex in examples.iter().filter_map(Value::as_str) {
                        let _ = writeln!(out, "{indent}// - \"{ex}\"");
                    }
                }
            }
            if let Some(variants) = val.get("oneOf").and_then(Value::as_array) {
                property_one_of(&mut out, key, optional, val, variants, indent);
                continue;
            }
            let _ = write!(out, "{indent}{key}{optional}: ");
            push_type_with_nullable(&mut out, val, &format!("{indent}    "));
            out.push(',');
            // A non-array `oneOf` still suppresses the default comment in the reference.
            if val.get("oneOf").is_none() {
                if let Some(default) = val.get("default") {
                    let _ = write!(out, " // {}", default_comment(val, default));
                }
            }
            out.push('\n');
        }
    }
    let _ = write!(out, "{indent}}}");
    out
}

fn property_one_of(
    out: &mut String,
    key: &str,
    optional: &str,
    val: &Value,
    variants: &[Value],
    indent: &str,
) {
    let property_desc = val.get("description").and_then(Value::as_str);
    // The property's description is dropped when the first variant repeats it.
    let first_variant_desc = variants
        .first()
        .and_then(|v| v.get("description"))
        .and_then(Value::as_str);
    let desc_above = match property_desc {
        Some(desc) if Some(desc) != first_variant_desc => {
            let _ = writeln!(out, "{indent}// {desc}");
            true
        }
        _ => false,
    };
    if let Some(default) = val.get("default") {
        let _ = writeln!(out, "{indent}// {}", default_comment(val, default));
    }
    let _ = writeln!(out, "{indent}{key}{optional}:");
    for (i, variant) in variants.iter().enumerate() {
        let _ = write!(out, "{indent} | ");
        push_type_with_nullable(out, variant, &format!("{indent}   "));
        let mut comments = Vec::new();
        if !(i == 0 && desc_above) {
            if let Some(desc) = variant.get("description").and_then(Value::as_str) {
                if Some(desc) != property_desc {
                    comments.push(desc.to_owned());
                }
            }
        }
        if let Some(default) = variant.get("default") {
            comments.push(default_comment(variant, default));
        }
        if !comments.is_empty() {
            let _ = write!(out, " // {}", comments.join(" "));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{indent},");
}

/// The `# Tools` section listing these namespaces (in name order).
pub(crate) fn tools_section(tools: &BTreeMap<String, ToolNamespaceConfig>) -> String {
    let mut sections = vec!["# Tools".to_owned()];
    for ns in tools.values() {
        let mut lines = vec![format!("## {}\n", ns.name)];
        if let Some(desc) = &ns.description {
            for line in desc.lines() {
                if ns.tools.is_empty() {
                    lines.push(line.to_owned());
                } else {
                    lines.push(format!("// {line}"));
                }
            }
        }
        if !ns.tools.is_empty() {
            lines.push(format!("namespace {} {{\n", ns.name));
            for tool in &ns.tools {
                for line in tool.description.lines() {
                    lines.push(format!("// {line}"));
                }
                match &tool.parameters {
                    Some(params) => lines.push(format!(
                        "type {} = (_: {}) => any;\n",
                        tool.name,
                        to_typescript(params, "")
                    )),
                    None => lines.push(format!("type {} = () => any;\n", tool.name)),
                }
            }
            lines.push(format!("}} // namespace {}", ns.name));
        }
        sections.push(lines.join("\n"));
    }
    sections.join("\n\n")
}
