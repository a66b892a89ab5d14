//! NDJSON decoding: this crate's decoder against what a caller would otherwise write
//! (split lines, `serde_json::from_str` into a struct with owned `String`s), in one
//! criterion group so the ratio reads from one run. Input: the bundled recordings,
//! repeated, fed in 4 KiB chunks (a typical socket read).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use harmony_ollama::NdjsonDecoder;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct OwnedLine {
    #[serde(default)]
    model: String,
    #[serde(default)]
    created_at: String,
    #[serde(default)]
    response: String,
    #[serde(default)]
    done: bool,
}

fn input() -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings");
    let mut one = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ndjson") {
            one.extend(std::fs::read(path).unwrap());
        }
    }
    one.repeat(50)
}

fn bench(c: &mut Criterion) {
    let input = input();
    let mut g = c.benchmark_group("ndjson_generate");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("harmony-ollama NdjsonDecoder (4 KiB chunks)", |b| {
        let mut dec = NdjsonDecoder::new();
        b.iter(|| {
            let mut n = 0usize;
            for chunk in input.chunks(4096) {
                let mut lines = dec.feed(chunk);
                while let Some(line) = lines.next_generate() {
                    n += line.unwrap().response.len();
                }
            }
            black_box(n)
        })
    });
    g.bench_function("baseline: buffer + split + serde_json owned struct", |b| {
        b.iter(|| {
            let mut buf: Vec<u8> = Vec::new();
            let mut n = 0usize;
            for chunk in input.chunks(4096) {
                buf.extend_from_slice(chunk);
                while let Some(i) = buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    let l: OwnedLine = serde_json::from_slice(&line[..line.len() - 1]).unwrap();
                    n += l.response.len();
                }
            }
            black_box(n)
        })
    });
    g.bench_function("baseline: serde_json::Value per line", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                n += v["response"].as_str().map_or(0, str::len);
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
