//! Token ids, in range and not, into `TokenParser`: pushed one by one, fed in two
//! different run splits, and fed with the out-of-vocabulary ids removed.
//!
//! Input: `[flags][split seed][u32 LE ids...]`. `flags` picks the options (see
//! `harmony_kit_fuzz::options`). An id word `>= 0xF000_0000` is a formatting token, so
//! markers are common; any other word is taken modulo `VOCAB_SIZE + 64`, so ids just above
//! the vocabulary occur too (and seed files can hold ids as they are).
//!
//! Checks: no panic; every id outside the vocabulary gives `TokenError { id, index }` and
//! leaves the parser unchanged, every id inside it is accepted; events are well nested and
//! no message is open after `finish`; header strings stay within `max_header_len`; all
//! feeds give the same events (adjacent deltas merged, diagnostic positions included);
//! the parser is reusable after `finish`; the lossless invariant (`tests/common/lossless.rs`)
//! against the ids.
#![no_main]

use harmony_kit_fuzz::lossless::Lossless;
use harmony_kit_fuzz::{options, run_lengths, Recorder, Tee};
use harmony_stream::vocab::ids::VOCAB_SIZE;
use harmony_stream::{Marker, TokenError, TokenParser};
use libfuzzer_sys::fuzz_target;

fn id(word: u32) -> u32 {
    if word >= 0xF000_0000 {
        Marker::ALL[(word % 7) as usize].token()
    } else {
        word % (VOCAB_SIZE + 64)
    }
}

/// Feeds `ids` in runs of the given lengths (cycled, at least 1), stepping over rejected
/// ids and checking each rejection.
fn feed_runs(parser: &mut TokenParser, ids: &[u32], lens: &[usize], rec: &mut Recorder) {
    let mut accepted = 0u64;
    let mut rest = ids;
    let mut k = 0;
    while !rest.is_empty() {
        let n = (lens[k % lens.len()] + 1).min(rest.len());
        k += 1;
        let mut run = &rest[..n];
        rest = &rest[n..];
        loop {
            match parser.feed(run, rec) {
                Ok(()) => {
                    accepted += run.len() as u64;
                    break;
                }
                Err(TokenError { id, index }) => {
                    let bad = usize::try_from(index - accepted).expect("index within the run");
                    assert!(bad < run.len(), "error index {index} past the run");
                    assert!(
                        run[..bad].iter().all(|&t| t < VOCAB_SIZE),
                        "ids before the error were in the vocabulary"
                    );
                    assert_eq!(id, run[bad], "TokenError names the rejected id");
                    assert!(id >= VOCAB_SIZE, "in-vocabulary id {id} rejected");
                    accepted += bad as u64;
                    run = &run[bad + 1..];
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (opts, max) = options(data[0]);
    let seed = data[1];
    let ids: Vec<u32> = data[2..]
        .chunks_exact(4)
        .map(|w| id(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
        .collect();

    // One by one.
    let mut parser = TokenParser::with_options(opts);
    let mut one = Recorder::new(max, true);
    let mut accepted = 0u64;
    for &t in &ids {
        match parser.push(t, &mut one) {
            Ok(()) => {
                assert!(t < VOCAB_SIZE, "out-of-vocabulary id {t} accepted");
                accepted += 1;
            }
            Err(e) => {
                assert!(t >= VOCAB_SIZE, "in-vocabulary id {t} rejected");
                assert_eq!(
                    e,
                    TokenError {
                        id: t,
                        index: accepted
                    }
                );
            }
        }
    }
    parser.finish(&mut one);
    one.assert_closed();

    // Two different run splits.
    for (salt, longest) in [(0u64, 8usize), (0x5A5A, 64)] {
        let lens = run_lengths(u64::from(seed) ^ salt, 16, longest);
        let mut parser = TokenParser::with_options(opts);
        let mut runs = Recorder::new(max, true);
        feed_runs(&mut parser, &ids, &lens, &mut runs);
        parser.finish(&mut runs);
        runs.assert_closed();
        assert_eq!(
            one.events, runs.events,
            "run split {lens:?} changed the events"
        );
    }

    // Without the rejected ids, all at once, twice through the same parser.
    let valid: Vec<u32> = ids.iter().copied().filter(|&t| t < VOCAB_SIZE).collect();

    // Nothing lost (tests/common/lossless.rs), against the ids' bytes.
    let mut parser = TokenParser::with_options(opts);
    let (mut rec, mut lossless) = (Recorder::new(max, true), Lossless::new());
    parser
        .feed(&valid, &mut Tee(&mut rec, &mut lossless))
        .expect("in-vocabulary ids are accepted");
    parser.finish(&mut Tee(&mut rec, &mut lossless));
    if let Err(e) = lossless.check_tokens(&valid) {
        panic!("text was lost: {e}");
    }
    let mut parser = TokenParser::with_options(opts);
    for round in 0..2 {
        let mut whole = Recorder::new(max, true);
        parser
            .feed(&valid, &mut whole)
            .expect("in-vocabulary ids are accepted");
        parser.finish(&mut whole);
        whole.assert_closed();
        assert_eq!(one.events, whole.events, "round {round} differs");
    }
});
