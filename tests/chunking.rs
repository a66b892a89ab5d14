//! Chunking invariance: however the input is split, the events are the same once adjacent
//! deltas are merged. Inputs are random soups of harmony fragments, markers, partial
//! markers, invalid UTF-8 and plain text: malformed on purpose.

mod common;

use common::lossless::Lossless;
use common::*;
use harmony_kit::stream::{vocab, Marker, ParserOptions, TextParser, TokenParser};
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
        // Rules 13-16: glued channel names, content types and stripped special tokens.
        b"finalHello",
        b":Hi",
        b"--",
        b"##DONE##",
        b"json{\"a\":1}",
        b"<|channel|> to=functions.lookup",
        b"assistantfinal",
        b"assistantcommentary",
        b"analysisThe",
        b"user:alice",
        b"assistant:",
        b"to=",
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
        Just(ParserOptions::new().stripped_special_tokens(true)),
        // Rule 16 headers decide on their first content word before the length bound.
        Just(
            ParserOptions::new()
                .stripped_special_tokens(true)
                .max_header_len(16)
        ),
        Just(ParserOptions::new().max_diagnostics_per_kind(1)),
    ]
}

/// Feeds `chunks` and checks the lossless invariant (tests/common/lossless.rs).
fn lossless_text(chunks: &[&[u8]], options: ParserOptions) -> Result<(), String> {
    let mut parser = TextParser::with_options(options);
    let mut rec = Lossless::new();
    for c in chunks {
        parser.feed(c, &mut rec);
    }
    parser.finish(&mut rec);
    rec.check(&chunks.concat())
}

/// Fuzz finding (text target): a rule-16 header fed whole hit the length bound before it
/// decided on its first content word, while fed byte by byte it decided at the first byte;
/// the two feeds closed the header with different diagnostics. A header that decides now
/// takes its bytes one at a time, so both close it at the same byte.
#[test]
fn deciding_header_closes_at_the_same_byte_however_fed() {
    let mut input = vec![0xFF; 120];
    input.extend_from_slice(b"\xF5\xF5>Hbll\x0Brld!|6");
    let options = ParserOptions::new()
        .max_header_len(65)
        .stripped_special_tokens(true);
    let whole = text_events(&[&input], options);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(text_events(&bytes, options), whole);
    let kinds: Vec<&str> = whole
        .iter()
        .filter_map(|e| match e {
            Ev::Diag(kind, ..) => Some(*kind),
            _ => None,
        })
        .collect();
    assert!(!kinds.contains(&"header_too_long"), "{kinds:?}");
    assert!(kinds.contains(&"stripped_special_tokens"), "{kinds:?}");
}

/// Fuzz findings (text target), in the checker: a tool name ending `<|channe` followed by
/// a channel starting `l|>` (and, in a second finding, two dropped header words `…<|st` and
/// `art|>…`) were joined before marker text was removed, so the checker saw a marker that the
/// input never had there and called its letters lost. Fields and dropped words are now
/// checked one by one; these headers keep every byte.
#[test]
fn lossless_check_keeps_header_fields_apart() {
    let input = b"<|start|>assistant<|chann\0\0<|channe\t<|channel|>l|>final<|message|>Hi";
    let options = ParserOptions::new();
    assert_eq!(lossless_text(&[input], options), Ok(()));
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(lossless_text(&bytes, options), Ok(()));
    // The same for two dropped header words (rule 6) that join into `<|start|>`.
    let input = b"plan:\0<|st art|>assistant<|channel|>final<|message|>No.";
    assert_eq!(lossless_text(&[input], options), Ok(()));
}

/// Fuzz finding (tokens target), in the checker: ordinary text tokens spelling `<|call|>`
/// after a header that hit its length bound, so the header's last field ended `}<` and the
/// content began `|call|>`. The checker removed marker text from the decoded ids as a whole
/// and found the content's letters missing. Token input is now cut at marker tokens only;
/// the parser kept every byte.
#[test]
fn text_tokens_spelling_a_marker_across_header_and_content_are_kept() {
    #[rustfmt::skip]
    let ids = [
        200006, 173781, 200005, 12606, 815, 316, 64031, 82, 775, 170154, 200003, 200006,
        200118, 10848, 56795, 1243, 3519, 13, 48439, 11541, 3532, 60036, 1243, 17, 13, 31083,
        17, 157249, 91, 9925, 91, 29,
    ];
    let spelled: String = ids[27..]
        .iter()
        .filter_map(|&t| vocab::token_str(t))
        .collect();
    assert_eq!(spelled, "}<|call|>", "ordinary tokens, not the marker");
    let options = ParserOptions::new().max_header_len(64).explicit_start();
    let mut parser = TokenParser::with_options(options);
    let mut rec = Lossless::new();
    parser.feed(&ids, &mut rec).expect("in vocabulary");
    parser.finish(&mut rec);
    assert_eq!(rec.check_tokens(&ids), Ok(()));
    let events = token_events(&[&ids], options);
    assert!(events.contains(&Ev::Delta("|call|>".into())), "{events:?}");
}

/// Fuzz finding (text target): `assistant:` with no name after the colon dropped the colon
/// without a diagnostic; it is reported as header text now.
#[test]
fn a_colon_with_no_name_after_the_role_is_not_lost() {
    let input = b"<|start|>assistant:<|channel|>analysis to=lookup code<|message|>{}";
    assert_eq!(lossless_text(&[input], ParserOptions::new()), Ok(()));
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

    /// Nothing is lost (issue 9 item 1): every byte that is not a marker ends up, in
    /// order, in a header field or in content, or was whitespace between messages.
    #[test]
    fn text_loses_nothing(
        input in soup(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        options in options(),
    ) {
        let r = lossless_text(&split(&input, &cuts), options);
        prop_assert!(r.is_ok(), "{}: {:?}", r.unwrap_err(), String::from_utf8_lossy(&input));
    }

    #[test]
    fn tokens_lose_nothing(
        tokens in prop::collection::vec(prop_oneof![
            2 => prop::sample::select(Marker::ALL.map(Marker::token).to_vec()),
            3 => 0u32..200_000,
            1 => prop::sample::select(vec![199_999u32, 200_015, 201_087]),
        ], 0..60),
        options in options(),
    ) {
        let mut parser = TokenParser::with_options(options);
        let mut rec = Lossless::new();
        parser.feed(&tokens, &mut rec).expect("ids in vocabulary");
        parser.finish(&mut rec);
        let r = rec.check_tokens(&tokens);
        prop_assert!(r.is_ok(), "{}: {:?}", r.unwrap_err(), tokens);
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
