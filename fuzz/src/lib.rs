//! Helpers shared by the fuzz targets: reading the fuzzer's bytes as options and chunk
//! splits, recording events, and the invariants every parser run must keep.

use harmony_stream::{Event, Header, ParserOptions, Role, Sink, Stop};

/// The lossless invariant, shared with the chunking proptests (one file, two users).
#[path = "../../tests/common/lossless.rs"]
pub mod lossless;

/// An event with owned data, for comparing event streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    /// `MessageStart` with the header's fields.
    Start {
        role: Role,
        name: Option<String>,
        channel: Option<String>,
        recipient: Option<String>,
        content_type: Option<String>,
    },
    /// Adjacent deltas merged.
    Delta(String),
    /// `MessageEnd`.
    End(Stop),
    /// A diagnostic: kind, detail, and position when `Recorder::positions` is set.
    Diag(&'static str, String, Option<u64>),
}

/// Where a recorder is in the message grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nesting {
    Between,
    Inside,
}

/// A sink that records events (adjacent deltas merged) and checks, as they come:
/// - nesting: `MessageStart`, then only `Delta`s and `Diagnostic`s, then one `MessageEnd`;
/// - no delta outside a message, no empty delta;
/// - header memory: the header's strings together hold at most `max_header_len`
///   characters (and at most 3 bytes per character: U+FFFD for invalid bytes).
pub struct Recorder {
    pub events: Vec<Ev>,
    /// Concatenation of every delta.
    pub text: String,
    /// Record diagnostic positions (they depend on the split for the text parser).
    pub positions: bool,
    max_header_len: usize,
    nesting: Nesting,
}

impl Recorder {
    pub fn new(max_header_len: usize, positions: bool) -> Self {
        Recorder {
            events: Vec::new(),
            text: String::new(),
            positions,
            max_header_len,
            nesting: Nesting::Between,
        }
    }

    /// Call after the parser's `finish`: no message may be left open.
    pub fn assert_closed(&self) {
        assert_eq!(
            self.nesting,
            Nesting::Between,
            "a message was left open after finish: {:?}",
            self.events.last()
        );
    }

    /// Messages started so far.
    pub fn messages(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Ev::Start { .. }))
            .count()
    }
}

/// Checks the header bound and returns the header's owned copy.
pub fn check_header(h: &Header, max_header_len: usize) -> Ev {
    let fields = [h.name(), h.channel(), h.recipient(), h.content_type()];
    let chars: usize = fields.iter().flatten().map(|s| s.chars().count()).sum();
    let bytes: usize = fields.iter().flatten().map(|s| s.len()).sum();
    assert!(
        chars <= max_header_len && bytes <= 3 * max_header_len,
        "header strings ({chars} chars, {bytes} bytes) exceed max_header_len {max_header_len}: {h:?}"
    );
    Ev::Start {
        role: h.role(),
        name: h.name().map(Into::into),
        channel: h.channel().map(Into::into),
        recipient: h.recipient().map(Into::into),
        content_type: h.content_type().map(Into::into),
    }
}

impl Sink for Recorder {
    fn event(&mut self, e: Event<'_>) {
        let ev = match e {
            Event::MessageStart(h) => {
                assert_eq!(
                    self.nesting,
                    Nesting::Between,
                    "MessageStart inside a message"
                );
                self.nesting = Nesting::Inside;
                check_header(h, self.max_header_len)
            }
            Event::Delta(d) => {
                assert_eq!(self.nesting, Nesting::Inside, "Delta outside a message");
                assert!(!d.is_empty(), "empty Delta");
                self.text.push_str(d);
                if let Some(Ev::Delta(prev)) = self.events.last_mut() {
                    prev.push_str(d);
                    return;
                }
                Ev::Delta(d.into())
            }
            Event::MessageEnd(s) => {
                assert_eq!(
                    self.nesting,
                    Nesting::Inside,
                    "MessageEnd outside a message"
                );
                self.nesting = Nesting::Between;
                Ev::End(s)
            }
            Event::Diagnostic(d) => Ev::Diag(
                d.kind.as_str(),
                d.detail.into(),
                self.positions.then_some(d.at),
            ),
        };
        self.events.push(ev);
    }
}

/// Parser options picked by one byte of fuzz input, and the header bound they set.
/// Bit 0: explicit start; bits 1-2: header bound; bit 7: stripped special tokens (rule 16);
/// bit 6 (with bit 5): at most 1 diagnostic per kind, so the cap is exercised.
pub fn options(flags: u8) -> (ParserOptions, usize) {
    let max = match (flags >> 1) & 3 {
        0 => 64,
        1 => 65 + ((flags >> 3) & 3) as usize,
        2 => 256,
        _ => 4096,
    };
    let mut options = ParserOptions::new().max_header_len(max);
    if flags & 1 == 1 {
        options = options.explicit_start();
    }
    if flags & 0x80 != 0 {
        options = options.stripped_special_tokens(true);
    }
    if flags & 0x60 == 0x60 {
        options = options.max_diagnostics_per_kind(1);
    }
    (options, max)
}

/// A sink that feeds two sinks: the recorder and the lossless check.
pub struct Tee<'a, A: Sink, B: Sink>(pub &'a mut A, pub &'a mut B);

impl<A: Sink, B: Sink> Sink for Tee<'_, A, B> {
    fn event(&mut self, e: Event<'_>) {
        self.0.event(e);
        self.1.event(e);
    }
}

/// Reads `[n][len_1 .. len_n][payload]`: the payload and the chunk lengths (cycled over
/// the payload; a 0 feeds an empty chunk). `n` is taken modulo 16.
pub fn split_spec(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    let n = ((n % 16) as usize).min(rest.len());
    let lens = rest[..n].iter().map(|&b| b as usize).collect();
    (lens, &rest[n..])
}

/// Cuts `payload` into chunks of the given lengths, cycled; empty chunks included. When a
/// whole cycle makes no progress (all lengths 0), the rest is one chunk.
pub fn chunks<'a, T>(payload: &'a [T], lens: &[usize]) -> Vec<&'a [T]> {
    if lens.is_empty() || payload.is_empty() {
        return vec![payload];
    }
    let mut out = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let before = rest.len();
        for &len in lens {
            let (head, tail) = rest.split_at(len.min(rest.len()));
            out.push(head);
            rest = tail;
        }
        if rest.len() == before {
            out.push(rest);
            break;
        }
    }
    out
}

/// A small deterministic generator of run lengths from a seed (xorshift).
pub fn run_lengths(seed: u64, count: usize, max: usize) -> Vec<usize> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % max as u64) as usize
        })
        .collect()
}

/// Whether the check for a known, not yet fixed bug is to be skipped: `name` is listed in
/// the comma-separated `HARMONY_FUZZ_SKIP` environment variable. Lets a long run look for
/// other bugs meanwhile; by default every check runs. Names are listed in fuzz/README.md.
pub fn skip(name: &str) -> bool {
    static SKIP: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SKIP.get_or_init(|| {
        std::env::var("HARMONY_FUZZ_SKIP")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .iter()
    .any(|s| s == name)
}
