//! JSON string encoding exactly as Go's `encoding/json` does it (Ollama's encoder).

/// Appends `s` to `out` as a JSON string literal, quotes included, escaped the way Go's
/// `encoding/json` does with HTML escaping on (its default, which Ollama keeps):
/// `<`, `>`, `&` become `\u003c`, `\u003e`, `\u0026`; U+2028 and U+2029 become
/// `\u2028`, `\u2029`; `\n`, `\r`, `\t`, `\b`, `\f`, `"`, `\` get short escapes; other
/// control characters `\u00XX`.
///
/// ```
/// let mut out = String::new();
/// harmony_ollama::testing::write_go_json_string(&mut out, "<|call|> & \"x\"\n");
/// assert_eq!(out, r#""\u003c|call|\u003e \u0026 \"x\"\n""#);
/// ```
pub fn write_go_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let mut run = 0; // start of the pending unescaped run, copied in one go
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            _ => None,
        };
        let needs_u = matches!(
            c,
            '\0'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}'
        );
        if short.is_none() && !needs_u {
            continue;
        }
        out.push_str(&s[run..i]);
        run = i + c.len_utf8();
        match short {
            Some(esc) => out.push_str(esc),
            None => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize] as char);
                }
            }
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// [`write_go_json_string`] into a new `String`.
///
/// ```
/// assert_eq!(harmony_ollama::testing::go_json_string("a<b"), r#""a\u003cb""#);
/// ```
pub fn go_json_string(s: &str) -> String {
    let mut out = String::new();
    write_go_json_string(&mut out, s);
    out
}
