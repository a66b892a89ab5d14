//! Generates the o200k_harmony decode table from tiktoken-rs's bundled vocabulary.
//!
//! Output (in OUT_DIR):
//! - `vocab_bytes.bin`: every token's bytes, concatenated in rank order;
//! - `vocab_offsets.bin`: `VOCAB_SIZE + 1` little-endian u32 offsets into it;
//! - `vocab_ids.rs`: the vocabulary size and the formatting-token ids, read from the
//!   vocabulary itself rather than written by hand.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bpe = tiktoken_rs::o200k_harmony_singleton();

    // Every rank the vocabulary decodes; the first one that does not ends it.
    let mut bytes = Vec::with_capacity(2 << 20);
    let mut offsets: Vec<u8> = Vec::with_capacity(4 * 202_000);
    offsets.extend_from_slice(&0u32.to_le_bytes());
    // One bit per token: its bytes are whole UTF-8 characters, so the token path can hand
    // them out as `&str` without validating them again.
    let mut valid: Vec<u8> = Vec::with_capacity(202_000 / 8);
    let mut size: u32 = 0;
    while let Ok(token) = bpe.decode_bytes(&[size]) {
        if size % 8 == 0 {
            valid.push(0);
        }
        if std::str::from_utf8(&token).is_ok() {
            *valid.last_mut().expect("pushed above") |= 1 << (size % 8);
        }
        bytes.extend_from_slice(&token);
        let end = u32::try_from(bytes.len()).expect("table fits u32");
        offsets.extend_from_slice(&end.to_le_bytes());
        size += 1;
    }
    assert!(
        size > 200_012,
        "o200k_harmony has the harmony special tokens"
    );

    let mut ids = String::new();
    writeln!(
        ids,
        "/// Number of token ids in o200k_harmony (valid ids are `0..VOCAB_SIZE`)."
    )
    .unwrap();
    writeln!(ids, "pub const VOCAB_SIZE: u32 = {size};").unwrap();
    for (name, text) in [
        ("START", "<|start|>"),
        ("END", "<|end|>"),
        ("MESSAGE", "<|message|>"),
        ("CHANNEL", "<|channel|>"),
        ("CONSTRAIN", "<|constrain|>"),
        ("RETURN", "<|return|>"),
        ("CALL", "<|call|>"),
    ] {
        let enc = bpe.encode_with_special_tokens(text);
        assert_eq!(enc.len(), 1, "{text} is one special token");
        writeln!(ids, "/// Token id of `{text}`.").unwrap();
        writeln!(ids, "pub const {name}: u32 = {};", enc[0]).unwrap();
    }
    std::fs::write(out.join("vocab_bytes.bin"), bytes).expect("write table");
    std::fs::write(out.join("vocab_offsets.bin"), offsets).expect("write offsets");
    std::fs::write(out.join("vocab_utf8.bin"), valid).expect("write utf-8 bits");
    std::fs::write(out.join("vocab_ids.rs"), ids).expect("write ids");
}
