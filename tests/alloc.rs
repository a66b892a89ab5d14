//! The hot path does not allocate: after warm-up, parsing more tokens or chunks performs
//! zero heap allocations. Counted by a global allocator, per thread so that the test
//! harness's own threads do not interfere.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use harmony_kit::stream::{Event, TextParser, TokenParser};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

/// A completion with reasoning, a tool call, multilingual text and emoji split across
/// tokens, and a few malformations.
fn completion() -> String {
    let mut s = String::new();
    for i in 0..20 {
        s.push_str("<|channel|>analysis<|message|>Let me think about step ");
        s.push_str(&i.to_string());
        s.push_str(": 東京の天気 🫠🌦️ is < 20°C.<|end|>");
        s.push_str("<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>");
        s.push_str("{\"city\": \"Zürich\", \"unit\": \"c\"}<|call|>");
        s.push_str("<|start|>assistant<|channel|>commentary?<|message|>stray <|channel|> marker<|end|><|return|>");
        s.push_str("<|start|>assistant<|channel|>final<|message|>Il fait 18 °C à Zürich. 👍🏽<|return|><|start|>assistant");
    }
    s
}

fn tokens() -> Vec<u32> {
    harmony_testkit::reference_encoding()
        .tokenizer()
        .encode_with_special_tokens(&completion())
}

#[test]
fn token_path_allocates_nothing_per_token_in_steady_state() {
    let tokens = tokens();
    assert!(tokens.len() > 1000);
    let mut parser = TokenParser::new();
    let mut bytes = 0usize;
    let mut events = 0usize;
    let mut sink = |e: Event<'_>| {
        events += 1;
        if let Event::Delta(d) = e {
            bytes += d.len();
        }
    };
    // Warm-up: buffers grow to the largest header once.
    for &t in &tokens {
        parser.push(t, &mut sink).unwrap();
    }
    parser.finish(&mut sink);
    let n = allocations_during(|| {
        for _ in 0..3 {
            for &t in &tokens {
                parser.push(t, &mut sink).unwrap();
            }
            parser.finish(&mut sink);
        }
    });
    assert_eq!(
        n,
        0,
        "allocations while parsing {} tokens",
        3 * tokens.len()
    );
    assert!(
        bytes > 0 && events > tokens.len() / 2,
        "the sink really saw the stream"
    );
}

#[test]
fn text_path_allocates_nothing_per_chunk_in_steady_state() {
    let text = completion();
    for chunk_len in [1, 3, 7, 64, 4096] {
        let mut parser = TextParser::new();
        let mut bytes = 0usize;
        let mut sink = |e: Event<'_>| {
            if let Event::Delta(d) = e {
                bytes += d.len();
            }
        };
        for c in text.as_bytes().chunks(chunk_len) {
            parser.feed(c, &mut sink);
        }
        parser.finish(&mut sink);
        let n = allocations_during(|| {
            for c in text.as_bytes().chunks(chunk_len) {
                parser.feed(c, &mut sink);
            }
            parser.finish(&mut sink);
        });
        assert_eq!(n, 0, "allocations with {chunk_len}-byte chunks");
        assert!(bytes > text.len() / 2);
    }
}

#[test]
fn the_counter_counts() {
    // Guards the two tests above against a counter that never moves.
    let n = allocations_during(|| drop(std::hint::black_box(vec![1u8; 32])));
    assert_eq!(n, 1);
}
