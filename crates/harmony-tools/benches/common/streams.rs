//! The three completions of the text-path measurements, written out as text: shared by the
//! criterion group (`benches/text_chunks.rs`) and the instruction-count harness
//! (`examples/text_instructions.rs`), so both measure the same input.

/// A message as the model writes it after the prompt's `<|start|>assistant`.
fn message(first: bool, header: &str, content: &str, stop: &str) -> String {
    let start = if first { "" } else { "<|start|>assistant" };
    format!("{start}{header}<|message|>{content}{stop}")
}

pub fn streams() -> Vec<(&'static str, Vec<u8>)> {
    let thought = "The user wants a comparison of the two approaches. First, consider the \
        memory cost: the first keeps every token, the second only the open header. Then the \
        latency: both emit a delta per token, but one re-encodes text. ";
    let reasoning = message(true, "<|channel|>analysis", &thought.repeat(60), "<|end|>")
        + &message(
            false,
            "<|channel|>final",
            &"In short: the streaming parser wins on memory and speed. ".repeat(20),
            "<|return|>",
        );
    let mut tools = message(
        true,
        "<|channel|>analysis",
        "Need weather for several cities, then convert units.",
        "<|end|>",
    );
    for (i, city) in ["Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Perth"]
        .iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        let args = format!(
            r#"{{"location": "{city}", "unit": "celsius", "days": {}, "include": ["wind", "humidity", "uv"]}}"#,
            i % 7
        );
        tools += &message(
            false,
            "<|channel|>commentary to=functions.get_weather <|constrain|>json",
            &args,
            "<|call|>",
        );
    }
    tools += &message(
        false,
        "<|channel|>final",
        "Here is the forecast for every city.",
        "<|return|>",
    );
    let multilingual = message(
        true,
        "<|channel|>analysis",
        &"ユーザーは東京の天気を尋ねています。Пользователь спрашивает о погоде. 用户询问天气。🌦️🫠👍🏽 "
            .repeat(40),
        "<|end|>",
    ) + &message(
        false,
        "<|channel|>final",
        &"東京は晴れ、18°C です。Погода хорошая. 天气晴朗。☀️ ".repeat(30),
        "<|return|>",
    );
    vec![
        ("reasoning", reasoning.into_bytes()),
        ("tool_calls", tools.into_bytes()),
        ("multilingual", multilingual.into_bytes()),
    ]
}
