//! Rendering: harmony-chat against openai-harmony on a realistic agent conversation
//! (system, developer with 10 function tools, 20 turns with tool calls), in one criterion
//! group so the ratio comes from one run; plus the agent-loop case, where a conversation
//! that grew by one turn is rendered again through a `PrefixCache`.
//!
//! Both libraries render the same conversation (ours is read from the reference's JSON)
//! with analysis dropping on, and the bench checks the ids are identical before timing.
//!
//! Group `render_long_pieces`: one user message of 1 MiB of one repeated character (one
//! pre-token, the case that was quadratic) and of 1 MiB of seeded random base64, ours
//! against the reference. The reference's merge is quadratic, so on one repeated
//! character it is timed at 16 and 64 KiB only (1 MiB would take minutes per iteration);
//! ours is timed at those sizes too.
//!
//! Run: `cargo bench --bench render` (only the long pieces:
//! `cargo bench --bench render -- render_long_pieces`)

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use harmony_chat::{PrefixCache, Renderer, TextOptions};
use openai_harmony::chat::{
    Author, Conversation, DeveloperContent, Message, Role, SystemContent, ToolDescription,
};
use serde_json::json;

fn tools() -> Vec<ToolDescription> {
    let unit = json!({"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"});
    vec![
        ToolDescription::new(
            "get_current_weather",
            "Gets the current weather in the provided location.",
            Some(json!({"type": "object", "properties": {
                "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                "format": unit}, "required": ["location"]})),
        ),
        ToolDescription::new(
            "get_forecast",
            "Gets the forecast for the next days.\nUse it for questions about the future.",
            Some(json!({"type": "object", "properties": {
                "location": {"type": "string"},
                "days": {"type": "integer", "description": "How many days, 1 to 14", "default": 3},
                "format": unit}, "required": ["location"]})),
        ),
        ToolDescription::new(
            "search_web",
            "Searches the web and returns the top results.",
            Some(json!({"type": "object", "properties": {
                "query": {"type": "string", "description": "The search query"},
                "top_n": {"type": "number", "default": 5},
                "recency_days": {"type": "integer", "nullable": true, "description": "Only results this recent"},
                "sites": {"type": "array", "items": {"type": "string"}, "description": "Restrict to these sites"}},
                "required": ["query"]})),
        ),
        ToolDescription::new(
            "read_file",
            "Reads a file from the workspace.",
            Some(json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "Path relative to the workspace root"},
                "start_line": {"type": "integer"},
                "end_line": {"type": "integer"}}, "required": ["path"]})),
        ),
        ToolDescription::new(
            "write_file",
            "Writes a file in the workspace, replacing its content.",
            Some(json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "content": {"type": "string", "description": "The whole new content"},
                "mode": {"type": "string", "enum": ["overwrite", "append"], "default": "overwrite"}},
                "required": ["path", "content"]})),
        ),
        ToolDescription::new(
            "run_command",
            "Runs a shell command and returns its output.",
            Some(json!({"type": "object", "properties": {
                "command": {"type": "string"},
                "timeout_seconds": {"type": "number", "default": 30},
                "env": {"type": "object", "description": "Extra environment variables", "properties": {
                    "PATH": {"type": "string"}, "LANG": {"type": "string", "default": "C.UTF-8"}}}},
                "required": ["command"]})),
        ),
        ToolDescription::new(
            "send_email",
            "Sends an email on the user's behalf. Ask for confirmation first.",
            Some(json!({"type": "object", "properties": {
                "to": {"type": "array", "items": {"type": "string"}},
                "subject": {"type": "string"},
                "body": {"type": "string"},
                "priority": {"oneOf": [{"type": "string", "enum": ["low", "normal", "high"]},
                                        {"type": "number", "description": "1 (low) to 5 (high)"}],
                             "description": "How urgent", "default": "normal"}},
                "required": ["to", "subject", "body"]})),
        ),
        ToolDescription::new(
            "create_event",
            "Creates a calendar event.",
            Some(json!({"type": "object", "properties": {
                "title": {"type": "string", "title": "Title", "examples": ["Standup", "1:1"]},
                "start": {"type": "string", "description": "ISO 8601 start time"},
                "duration_minutes": {"type": "integer", "default": 30},
                "attendees": {"type": "array", "items": {"type": "object", "properties": {
                    "email": {"type": "string"}, "optional": {"type": "boolean", "default": false}},
                    "required": ["email"]}}},
                "required": ["title", "start"]})),
        ),
        ToolDescription::new(
            "convert_currency",
            "Converts an amount between currencies at today's rate.",
            Some(json!({"type": "object", "properties": {
                "amount": {"type": "number"},
                "from": {"type": "string", "description": "ISO 4217 code"},
                "to": {"type": "string", "description": "ISO 4217 code"}},
                "required": ["amount", "from", "to"]})),
        ),
        ToolDescription::new("get_time", "Gets the current time in UTC.", None),
    ]
}

fn turn(i: usize) -> Vec<Message> {
    let cities = [
        "Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Perth", "Quito", "Seoul",
    ];
    let city = cities[i % cities.len()];
    let result = json!({
        "location": city, "temperature": 12 + i, "unit": "celsius", "conditions": "partly cloudy",
        "humidity": 0.61, "wind": {"speed_kmh": 14, "direction": "NW"},
        "forecast": [{"day": "tomorrow", "high": 18, "low": 9, "summary": "light rain in the afternoon"},
                     {"day": "day after", "high": 21, "low": 11, "summary": "sunny, a few clouds"}],
        "source": "https://weather.example.com/api/v2/current?city=".to_owned() + city
    });
    vec![
        Message::from_role_and_content(
            Role::User,
            format!("What's the weather like in {city} right now, and should I take an umbrella tomorrow? Please keep it short."),
        ),
        Message::from_role_and_content(
            Role::Assistant,
            format!("The user asks about current weather in {city} and whether to bring an umbrella tomorrow. I should call get_current_weather with location {city}; the forecast is included in the result, so one call is enough. Then answer briefly."),
        )
        .with_channel("analysis"),
        Message::from_role_and_content(
            Role::Assistant,
            format!("{{\"location\": \"{city}\", \"format\": \"celsius\"}}"),
        )
        .with_channel("commentary")
        .with_recipient("functions.get_current_weather")
        .with_content_type("<|constrain|>json"),
        Message::from_author_and_content(
            Author::new(Role::Tool, "functions.get_current_weather"),
            result.to_string(),
        )
        .with_recipient("assistant")
        .with_channel("commentary"),
        Message::from_role_and_content(
            Role::Assistant,
            "The result shows mild temperatures with rain expected tomorrow afternoon, so the umbrella is advised.",
        )
        .with_channel("analysis"),
        Message::from_role_and_content(
            Role::Assistant,
            format!("It's {}°C and partly cloudy in {city} right now. Tomorrow brings light rain in the afternoon (high 18°C), so yes, take an umbrella.", 12 + i),
        )
        .with_channel("final"),
    ]
}

fn agent_conversation(turns: usize) -> Conversation {
    let mut messages = vec![
        Message::from_role_and_content(
            Role::System,
            SystemContent::new().with_conversation_start_date("2025-06-28"),
        ),
        Message::from_role_and_content(
            Role::Developer,
            DeveloperContent::new()
                .with_instructions("You are a helpful assistant with access to tools. Prefer calling a tool over guessing. Keep answers short and cite numbers from tool results.")
                .with_function_tools(tools()),
        ),
    ];
    for i in 0..turns {
        messages.extend(turn(i));
    }
    // The agent loop's last step: a new question, answered with a tool call in progress.
    messages.extend(turn(turns).into_iter().take(4));
    Conversation::from_messages(messages)
}

fn ours(conv: &Conversation) -> harmony_chat::Conversation {
    serde_json::from_str(&serde_json::to_string(conv).unwrap()).unwrap()
}

fn bench_render(c: &mut Criterion) {
    let enc = harmony_testkit::reference_encoding();
    let reference = agent_conversation(20);
    let conv = ours(&reference);
    let renderer = Renderer::new();

    let expected = enc
        .render_conversation_for_completion(&reference, Role::Assistant, Some(&Default::default()))
        .unwrap();
    let actual = renderer
        .render_conversation_for_completion(&conv, harmony_chat::Role::Assistant)
        .unwrap();
    assert_eq!(expected, actual, "parity before timing");

    let mut group = c.benchmark_group("render_agent_conversation");
    group.throughput(Throughput::Elements(expected.len() as u64));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("reference", |b| {
        b.iter(|| {
            enc.render_conversation_for_completion(
                black_box(&reference),
                Role::Assistant,
                Some(&Default::default()),
            )
            .unwrap()
        })
    });
    group.bench_function("ours", |b| {
        b.iter(|| {
            renderer
                .render_conversation_for_completion(black_box(&conv), harmony_chat::Role::Assistant)
                .unwrap()
        })
    });
    group.bench_function("ours_text", |b| {
        b.iter(|| {
            renderer
                .render_text_for_completion(
                    black_box(&conv),
                    harmony_chat::Role::Assistant,
                    &TextOptions::default(),
                )
                .unwrap()
        })
    });
    // The agent loop: the same conversation was rendered one step earlier (without the
    // last tool result); only the new message is encoded.
    let earlier = harmony_chat::Conversation::from_messages(
        conv.messages[..conv.messages.len() - 1].to_vec(),
    );
    group.bench_function("ours_prefix_cached", |b| {
        b.iter_batched_ref(
            || {
                let mut cache = PrefixCache::new(renderer);
                cache
                    .render_for_completion(&earlier, harmony_chat::Role::Assistant)
                    .unwrap();
                cache
            },
            |cache| {
                let ids = cache
                    .render_for_completion(black_box(&conv), harmony_chat::Role::Assistant)
                    .unwrap();
                black_box(ids.len())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // The encoder alone, on the conversation's text: the reference's tokenizer
    // (tiktoken's `encode_ordinary`, fancy-regex split) against ours.
    let text = renderer
        .render_text_for_completion(
            &conv,
            harmony_chat::Role::Assistant,
            &TextOptions::trusted(),
        )
        .unwrap()
        .text;
    assert_eq!(
        enc.tokenizer().encode_ordinary(&text),
        renderer.encode(&text)
    );
    let mut group = c.benchmark_group("encode_ordinary_text");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("reference", |b| {
        b.iter(|| enc.tokenizer().encode_ordinary(black_box(&text)))
    });
    group.bench_function("ours", |b| b.iter(|| renderer.encode(black_box(&text))));
    group.finish();
}

/// `len` bytes of base64 from a fixed seed (splitmix64), so every run renders the same text.
fn random_base64(len: usize, seed: u64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..len)
        .map(|_| char::from(ALPHABET[(next() % 64) as usize]))
        .collect()
}

fn user_message(text: &str) -> Conversation {
    Conversation::from_messages([Message::from_role_and_content(Role::User, text)])
}

fn bench_long_pieces(c: &mut Criterion) {
    const MIB: usize = 1 << 20;
    let enc = harmony_testkit::reference_encoding();
    let renderer = Renderer::new();
    let render_ref = |conv: &Conversation| {
        enc.render_conversation_for_completion(conv, Role::Assistant, Some(&Default::default()))
            .unwrap()
    };
    let render_ours = |conv: &harmony_chat::Conversation| {
        renderer
            .render_conversation_for_completion(conv, harmony_chat::Role::Assistant)
            .unwrap()
    };

    let mut cases: Vec<(String, String, bool)> = vec![
        ("one_char/16KiB".into(), "a".repeat(16 << 10), true),
        ("one_char/64KiB".into(), "a".repeat(64 << 10), true),
        ("one_char/1MiB".into(), "a".repeat(MIB), false),
        ("base64/1MiB".into(), random_base64(MIB, 0x5EED), true),
    ];
    // Parity before timing. At 1 MiB of one character the reference cannot be run (its
    // merge is quadratic: minutes; its fancy-regex split overflows its stack there), so
    // that case is checked against the reference's 64 KiB rendering, whose content is the
    // same 8-byte token repeated, and by decoding. The identity with tiktoken-rs at 300 KB
    // is a test of harmony-chat (`tests/differential.rs`).
    for (name, text, with_reference) in &cases {
        let actual = render_ours(&ours(&user_message(text)));
        if *with_reference {
            assert!(
                render_ref(&user_message(text)) == actual,
                "parity before timing: {name}"
            );
        } else {
            let small = render_ref(&user_message(&text[..64 << 10]));
            let (head, rest) = small.split_at(3);
            let (content, tail) = rest.split_at(rest.len() - 3);
            let mut expected = head.to_vec();
            for _ in 0..text.len() / (64 << 10) {
                expected.extend_from_slice(content);
            }
            expected.extend_from_slice(tail);
            assert!(expected == actual, "parity before timing: {name}");
            assert_eq!(
                renderer.decode(&actual[3..actual.len() - 3]).as_deref(),
                Some(text.as_str())
            );
        }
    }

    let mut group = c.benchmark_group("render_long_pieces");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    for (name, text, with_reference) in cases.drain(..) {
        group.throughput(Throughput::Bytes(text.len() as u64));
        let reference = user_message(&text);
        let conv = ours(&reference);
        group.bench_with_input(BenchmarkId::new("ours", &name), &conv, |b, conv| {
            b.iter(|| render_ours(black_box(conv)))
        });
        if with_reference {
            group.bench_with_input(
                BenchmarkId::new("reference", &name),
                &reference,
                |b, conv| b.iter(|| render_ref(black_box(conv))),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_render, bench_long_pieces);
criterion_main!(benches);
