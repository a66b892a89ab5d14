//! Differential: conversations rendered by the reference (`openai-harmony` 0.0.8, loaded
//! offline), parsed by the reference's `StreamableParser` and by ours (token path and text
//! path).
//!
//! Input: `arbitrary`-derived messages: role, channel, recipient and content type from
//! small sets, arbitrary unicode content with `<|` removed.
//!
//! Checks: our messages are exactly the rendered ones (role, name, channel, recipient,
//! content type, content, stop); they equal the reference's, except where the reference is
//! known to be wrong (a content type with no recipient is read by the reference as the
//! recipient: docs/design.md, tolerance rule 3); our concatenated deltas equal the reference's
//! concatenated `last_content_delta`s; the text parser, fed the same conversation as text,
//! gives the same messages and deltas as the token parser. With `completion` set, the
//! first message is the assistant's and the parse starts after `<|start|>assistant`, as a
//! completion does.
#![no_main]

use arbitrary::Arbitrary;
use harmony_kit_fuzz::Recorder;
use harmony_stream::{Collector, Completion, Event, ParserOptions, Role, Sink, Stop};
use harmony_stream::{TextParser, TokenParser};
use libfuzzer_sys::fuzz_target;
use openai_harmony::chat::{Author, Content, Message as RefMessage, Role as RRole};
use openai_harmony::StreamableParser;

const CHANNELS: [&str; 3] = ["analysis", "commentary", "final"];
const RECIPIENTS: [&str; 5] = [
    "functions.get_weather",
    "functions.x_1",
    "browser.search",
    "python",
    "container.exec",
];
const CONTENT_TYPES: [&str; 3] = ["<|constrain|>json", "json", "code"];
const TOOLS: [&str; 4] = ["get_weather", "x_1", "lookup", "a"];

#[derive(Arbitrary, Debug)]
struct Input {
    completion: bool,
    messages: Vec<MessageSpec>,
}

#[derive(Arbitrary, Debug)]
struct MessageSpec {
    role: u8,
    channel: Option<u8>,
    recipient: Option<u8>,
    content_type: Option<u8>,
    tool: u8,
    content: String,
    /// The content is repeated `1 + repeat % 128` times: a structured way to long contents
    /// (libFuzzer's length control alone kept inputs near 38 bytes).
    repeat: u8,
}

#[derive(Clone, Debug)]
struct Spec {
    role: RRole,
    name: Option<String>,
    channel: Option<String>,
    recipient: Option<String>,
    content_type: Option<String>,
    content: String,
}

fn pick<T: Clone>(set: &[T], i: u8) -> T {
    set[i as usize % set.len()].clone()
}

impl Spec {
    fn new(m: &MessageSpec) -> Spec {
        let role = pick(
            &[
                RRole::User,
                RRole::Assistant,
                RRole::Assistant,
                RRole::Assistant,
                RRole::System,
                RRole::Developer,
                RRole::Tool,
            ],
            m.role,
        );
        let is_tool = role == RRole::Tool;
        let mut content = m.content.repeat(1 + m.repeat as usize % 128);
        while content.contains("<|") {
            content = content.replace("<|", "<");
        }
        Spec {
            name: is_tool.then(|| format!("functions.{}", pick(&TOOLS, m.tool))),
            // A tool's result is addressed back to the assistant; the reference cannot parse
            // one with nothing after the tool's name ("Unknown role").
            recipient: if is_tool {
                Some("assistant".to_owned())
            } else {
                m.recipient.map(|i| pick(&RECIPIENTS, i).to_owned())
            },
            role,
            channel: m.channel.map(|i| pick(&CHANNELS, i).to_owned()),
            content_type: m.content_type.map(|i| pick(&CONTENT_TYPES, i).to_owned()),
            content,
        }
    }

    fn to_reference(&self) -> RefMessage {
        let author = match &self.name {
            Some(n) => Author::new(self.role.clone(), n.clone()),
            None => Author::from(self.role.clone()),
        };
        let mut m = RefMessage::from_author_and_content(author, self.content.clone());
        m.channel = self.channel.clone();
        m.recipient = self.recipient.clone();
        m.content_type = self.content_type.clone();
        m
    }

    /// The case the reference misreads (docs/design.md, tolerance rule 3).
    fn reference_misreads(&self) -> bool {
        self.recipient.is_none() && self.content_type.is_some()
    }

    fn stop(&self) -> Stop {
        if self.role == RRole::Assistant && self.recipient.is_some() {
            Stop::Call
        } else {
            Stop::End
        }
    }
}

fn role(r: &RRole) -> Role {
    match r {
        RRole::User => Role::User,
        RRole::Assistant => Role::Assistant,
        RRole::System => Role::System,
        RRole::Developer => Role::Developer,
        RRole::Tool => Role::Tool,
    }
}

fn ref_text(m: &RefMessage) -> String {
    m.content
        .iter()
        .map(|c| match c {
            Content::Text(t) => t.text.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// A collector that also checks nesting and keeps the concatenated deltas.
struct Both {
    collector: Collector,
    recorder: Recorder,
}

impl Sink for Both {
    fn event(&mut self, e: Event<'_>) {
        self.recorder.event(e);
        self.collector.event(e);
    }
}

fn ours_tokens(tokens: &[u32], options: ParserOptions) -> (Completion, String) {
    let mut parser = TokenParser::with_options(options);
    let mut both = Both {
        collector: Collector::new(),
        recorder: Recorder::new(4096, false),
    };
    parser
        .feed(tokens, &mut both)
        .expect("rendered ids are in the vocabulary");
    parser.finish(&mut both);
    both.recorder.assert_closed();
    (both.collector.finish(), both.recorder.text)
}

fn ours_text(text: &[u8], options: ParserOptions) -> (Completion, String) {
    let mut parser = TextParser::with_options(options);
    let mut both = Both {
        collector: Collector::new(),
        recorder: Recorder::new(4096, false),
    };
    parser.feed(text, &mut both);
    parser.finish(&mut both);
    both.recorder.assert_closed();
    (both.collector.finish(), both.recorder.text)
}

fn reference_parse(
    tokens: &[u32],
    role: Option<RRole>,
) -> Result<(Vec<RefMessage>, String), String> {
    let enc = harmony_testkit::reference_encoding();
    let mut parser = StreamableParser::new(enc, role).map_err(|e| e.to_string())?;
    let mut deltas = String::new();
    for &t in tokens {
        parser.process(t).map_err(|e| e.to_string())?;
        if let Some(d) = parser.last_content_delta().map_err(|e| e.to_string())? {
            deltas.push_str(&d);
        }
    }
    parser.process_eos().map_err(|e| e.to_string())?;
    Ok((parser.into_messages(), deltas))
}

/// Prints each new longest conversation compared (tokens, content bytes), so a run's log
/// says how long the inputs got (fuzz/README.md records it).
fn report_longest(tokens: usize, content_bytes: usize) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static LONGEST: AtomicUsize = AtomicUsize::new(0);
    if tokens > LONGEST.fetch_max(tokens, Ordering::Relaxed) {
        eprintln!(
            "differential: longest compared so far: {tokens} tokens, {content_bytes} content bytes"
        );
    }
}

fuzz_target!(|input: Input| {
    if input.messages.is_empty() || input.messages.len() > 6 {
        return;
    }
    let mut specs: Vec<Spec> = input.messages.iter().map(Spec::new).collect();
    if input.completion {
        let first = &mut specs[0];
        first.role = RRole::Assistant;
        first.name = None;
        if first.recipient.as_deref() == Some("assistant") {
            first.recipient = None;
        }
    }
    let enc = harmony_testkit::reference_encoding();
    let mut tokens = Vec::new();
    for s in &specs {
        match enc.render(&s.to_reference(), None) {
            Ok(t) => tokens.extend(t),
            Err(_) => return, // nothing to compare
        }
    }
    report_longest(tokens.len(), specs.iter().map(|s| s.content.len()).sum());
    let (tokens, options, ref_role) = if input.completion {
        let prefix = enc
            .tokenizer()
            .encode_with_special_tokens("<|start|>assistant");
        assert_eq!(&tokens[..prefix.len()], &prefix[..]);
        (
            tokens[prefix.len()..].to_vec(),
            ParserOptions::new(),
            Some(RRole::Assistant),
        )
    } else {
        (tokens, ParserOptions::new().explicit_start(), None)
    };

    // Ours reads back exactly what was rendered.
    let (ours, our_deltas) = ours_tokens(&tokens, options);
    assert_eq!(ours.messages.len(), specs.len(), "{:#?}", ours.messages);
    for (m, s) in ours.messages.iter().zip(&specs) {
        assert_eq!(m.role, role(&s.role));
        assert_eq!(m.name, s.name);
        assert_eq!(m.channel, s.channel);
        assert_eq!(m.recipient, s.recipient);
        assert_eq!(m.content_type, s.content_type);
        assert_eq!(m.content, s.content);
        assert_eq!(m.stop, s.stop());
    }

    // The same conversation as text.
    let text: Vec<u8> = tokens
        .iter()
        .flat_map(|&t| {
            harmony_stream::vocab::token_bytes(t)
                .unwrap()
                .iter()
                .copied()
        })
        .collect();
    let (ours_text, text_deltas) = ours_text(&text, options);
    assert_eq!(ours_text.messages, ours.messages);
    assert_eq!(text_deltas, our_deltas);

    // The reference agrees, but for the header it misreads.
    let (reference, ref_deltas) = match reference_parse(&tokens, ref_role) {
        Ok(r) => r,
        Err(e) => panic!("the reference fails on its own rendering: {e}"),
    };
    assert_eq!(ours.messages.len(), reference.len());
    for ((m, r), s) in ours.messages.iter().zip(&reference).zip(&specs) {
        assert_eq!(m.role, role(&r.author.role));
        assert_eq!(m.name, r.author.name);
        assert_eq!(m.channel, r.channel);
        assert_eq!(m.content, ref_text(r));
        if s.reference_misreads() {
            assert_eq!(r.recipient, s.content_type);
            assert_eq!(r.content_type, None);
        } else {
            assert_eq!(m.recipient, r.recipient);
            assert_eq!(m.content_type, r.content_type);
        }
    }
    assert_eq!(our_deltas, ref_deltas);
});
