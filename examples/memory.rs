//! Memory per parsing stream: harmony-stream against openai-harmony's `StreamableParser`.
//!
//! For each parser: the size of its struct, the heap it holds after the stream, and the peak
//! heap allocated while parsing (counted by a global allocator; the token vector and the
//! encoding, shared by both, are allocated before counting starts).
//!
//! Run: `cargo run --release --example memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use harmony_kit::stream::{Event, TokenParser};

struct Tracking;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live =
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed) + layout.size() as isize;
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let delta = new_size as isize - layout.size() as isize;
        let live = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// (bytes held after the stream, peak bytes allocated during it), relative to the start.
fn measure<T>(f: impl FnOnce() -> T) -> (T, isize, isize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let value = f();
    let held = LIVE.load(Ordering::Relaxed) - base;
    let peak = PEAK.load(Ordering::Relaxed) - base;
    (value, held, peak)
}

fn main() {
    let enc = harmony_testkit::reference_encoding();
    let mut text = String::new();
    for i in 0..200 {
        text.push_str("<|channel|>analysis<|message|>");
        text.push_str(&"Thinking about the weather in many cities, step by step. ".repeat(20));
        text.push_str(&format!("<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{{\"city\": \"c{i}\"}}<|call|><|start|>assistant"));
    }
    text.push_str("<|channel|>final<|message|>Done.<|return|>");
    let tokens = enc.tokenizer().encode_with_special_tokens(&text);
    println!(
        "stream: {} tokens ({} KiB of text)\n",
        tokens.len(),
        text.len() / 1024
    );

    let (ours, ours_held, ours_peak) = measure(|| {
        let mut parser = TokenParser::new();
        let mut bytes = 0usize;
        let mut sink = |e: Event<'_>| {
            if let Event::Delta(d) = e {
                bytes += d.len();
            }
        };
        parser.feed(&tokens, &mut sink).unwrap();
        parser.finish(&mut sink);
        (parser, bytes)
    });
    let (reference, ref_held, ref_peak) = measure(|| {
        let mut parser = openai_harmony::StreamableParser::new(
            enc.clone(),
            Some(openai_harmony::chat::Role::Assistant),
        )
        .unwrap();
        let mut bytes = 0usize;
        for &t in &tokens {
            parser.process(t).unwrap();
            if let Some(d) = parser.last_content_delta().unwrap() {
                bytes += d.len();
            }
        }
        parser.process_eos().unwrap();
        (parser, bytes)
    });
    assert_eq!(ours.1, reference.1, "both parsers saw the same content");
    println!("| parser | struct | heap held after the stream | peak heap while parsing |");
    println!("|---|---|---|---|");
    println!(
        "| harmony-stream `TokenParser` | {} B | {} B | {} B |",
        std::mem::size_of_val(&ours.0),
        ours_held,
        ours_peak
    );
    println!(
        "| openai-harmony `StreamableParser` | {} B | {} B | {} B |",
        std::mem::size_of_val(&reference.0),
        ref_held,
        ref_peak
    );
    println!("\n(the reference keeps every token and every parsed message; ours keeps one header)");
}
