//! Chunking invariance: however the input is split, the events are the same once adjacent
//! deltas are merged. Inputs are random soups of harmony fragments, markers, partial
//! markers, invalid UTF-8 and plain text: malformed on purpose.

mod common;

use common::*;
use harmony_kit::stream::{Marker, ParserOptions};
use proptest::prelude::*;

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    let fixed: Vec<&'static [u8]> = vec![
        b"<|start|>",
        b"<|end|>",
        b"<|message|>",
        b"<|channel|>",
        b"<|constrain|>",
        b"<|return|>",
        b"<|call|>",
        b"assistant",
        b"user",
        b"functions.x",
        b"analysis",
        b"commentary",
        b"final",
        b" to=functions.get_weather",
        b" to=assistant",
        b" json",
        b"json",
        b" code",
        b" ",
        b"\n",
        b"<",
        b"|",
        b"<|",
        b"|>",
        b"<|e",
        b"<|end",
        b"<|reserved_200015|>",
        b"{\"a\": 1 < 2}",
        "😀".as_bytes(),
        "語".as_bytes(),
        b"\xF0\x9F",
        b"\x98\x80",
        b"\xFF",
        b"\xE2\x82",
        b"??",
        b"commentary?",
    ];
    prop_oneof![
        3 => prop::sample::select(fixed).prop_map(|b| b.to_vec()),
        1 => "[a-z ]{1,8}".prop_map(String::into_bytes),
    ]
}

fn soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(fragment(), 0..40).prop_map(|v| v.concat())
}

fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut prev = 0;
    for c in cuts {
        out.push(&bytes[prev..c]);
        prev = c;
    }
    out.push(&bytes[prev..]);
    out
}

fn options() -> impl Strategy<Value = ParserOptions> {
    prop_oneof![
        Just(ParserOptions::new()),
        Just(ParserOptions::new().explicit_start()),
        Just(ParserOptions::new().max_header_len(64)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn text_splits_do_not_change_events(
        input in soup(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        options in options(),
    ) {
        let whole = text_events(&[&input], options);
        let pieces = text_events(&split(&input, &cuts), options);
        prop_assert_eq!(&pieces, &whole);
    }

    #[test]
    fn byte_at_a_time_equals_whole(input in soup(), options in options()) {
        let whole = text_events(&[&input], options);
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(text_events(&bytes, options), whole);
    }

    #[test]
    fn token_runs_do_not_change_events(
        tokens in prop::collection::vec(prop_oneof![
            2 => prop::sample::select(Marker::ALL.map(Marker::token).to_vec()),
            3 => 0u32..200_000,
            1 => prop::sample::select(vec![199_999u32, 200_015, 201_087]),
        ], 0..60),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        options in options(),
    ) {
        let whole = token_events(&[&tokens], options);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (tokens.len() + 1)).collect();
        cuts.sort_unstable();
        let mut runs = Vec::new();
        let mut prev = 0;
        for c in cuts {
            runs.push(&tokens[prev..c]);
            prev = c;
        }
        runs.push(&tokens[prev..]);
        prop_assert_eq!(token_events(&runs, options), whole);
    }

    /// Every message that starts also ends, and nothing comes outside a message but
    /// diagnostics.
    #[test]
    fn events_are_well_nested(input in soup(), options in options()) {
        let events = text_events(&[&input], options);
        let mut open = false;
        for e in &events {
            match e {
                Ev::Start { .. } => { prop_assert!(!open); open = true; }
                Ev::Delta(_) => prop_assert!(open),
                Ev::End(_) => { prop_assert!(open); open = false; }
                Ev::Diag(..) => {}
            }
        }
        prop_assert!(!open);
    }
}
