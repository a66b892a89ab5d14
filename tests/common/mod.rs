//! Helpers shared by the integration tests: run our parsers and the reference the same way.
#![allow(dead_code)]

pub mod lossless;

use harmony_kit::stream::{
    Collector, Completion, Event, ParserOptions, Role, Sink, Stop, TextParser, TokenParser,
};
use openai_harmony::chat::{Content, Message as RefMessage};
use openai_harmony::StreamableParser;

/// An event with owned data and no position, for comparing event streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    Start {
        role: Role,
        name: Option<String>,
        channel: Option<String>,
        recipient: Option<String>,
        content_type: Option<String>,
    },
    Delta(String),
    End(Stop),
    Diag(&'static str, String),
}

/// Collects events, merging adjacent deltas (splits may cut deltas differently).
#[derive(Default)]
pub struct Recorder(pub Vec<Ev>);

impl Sink for Recorder {
    fn event(&mut self, e: Event<'_>) {
        let ev = match e {
            Event::MessageStart(h) => Ev::Start {
                role: h.role(),
                name: h.name().map(Into::into),
                channel: h.channel().map(Into::into),
                recipient: h.recipient().map(Into::into),
                content_type: h.content_type().map(Into::into),
            },
            Event::Delta(d) => {
                if let Some(Ev::Delta(prev)) = self.0.last_mut() {
                    prev.push_str(d);
                    return;
                }
                Ev::Delta(d.into())
            }
            Event::MessageEnd(s) => Ev::End(s),
            Event::Diagnostic(d) => Ev::Diag(d.kind.as_str(), d.detail.into()),
        };
        self.0.push(ev);
    }
}

/// Events of `text` fed in the given chunks.
pub fn text_events(chunks: &[&[u8]], options: ParserOptions) -> Vec<Ev> {
    let mut parser = TextParser::with_options(options);
    let mut rec = Recorder::default();
    for c in chunks {
        parser.feed(c, &mut rec);
    }
    parser.finish(&mut rec);
    rec.0
}

/// Events of `tokens` fed in the given runs.
pub fn token_events(runs: &[&[u32]], options: ParserOptions) -> Vec<Ev> {
    let mut parser = TokenParser::with_options(options);
    let mut rec = Recorder::default();
    for r in runs {
        parser.feed(r, &mut rec).expect("ids in vocabulary");
    }
    parser.finish(&mut rec);
    rec.0
}

/// Collects a completion and the concatenation of every delta.
#[derive(Default)]
pub struct Both {
    pub collector: Collector,
    pub deltas: String,
}

impl Sink for Both {
    fn event(&mut self, e: Event<'_>) {
        if let Event::Delta(d) = e {
            self.deltas.push_str(d);
        }
        self.collector.event(e);
    }
}

pub fn ours_tokens(tokens: &[u32], options: ParserOptions) -> (Completion, String) {
    let mut parser = TokenParser::with_options(options);
    let mut both = Both::default();
    parser.feed(tokens, &mut both).expect("ids in vocabulary");
    parser.finish(&mut both);
    (both.collector.finish(), both.deltas)
}

pub fn ours_text(text: &[u8], options: ParserOptions) -> (Completion, String) {
    let mut parser = TextParser::with_options(options);
    let mut both = Both::default();
    parser.feed(text, &mut both);
    parser.finish(&mut both);
    (both.collector.finish(), both.deltas)
}

/// The reference's messages and its `last_content_delta`s concatenated, polled after every
/// token as a server would.
pub fn reference_parse(
    tokens: &[u32],
    role: Option<openai_harmony::chat::Role>,
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

/// The text of a reference message.
pub fn ref_text(m: &RefMessage) -> String {
    m.content
        .iter()
        .map(|c| match c {
            Content::Text(t) => t.text.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

pub fn ref_role(r: &openai_harmony::chat::Role) -> Role {
    use openai_harmony::chat::Role as R;
    match r {
        R::User => Role::User,
        R::Assistant => Role::Assistant,
        R::System => Role::System,
        R::Developer => Role::Developer,
        R::Tool => Role::Tool,
    }
}

/// Encodes text with the special tokens allowed, as a model would have sampled it.
pub fn encode(text: &str) -> Vec<u32> {
    harmony_testkit::reference_encoding()
        .tokenizer()
        .encode_with_special_tokens(text)
}
