//! Test support shared by harmony-kit's tests, benches and fuzz targets.
//!
//! The reference library (`openai-harmony`) downloads `o200k_base.tiktoken` on first use
//! unless `TIKTOKEN_ENCODINGS_BASE` names a directory that holds it. Nothing here may touch
//! the network, so [`reference_encoding`] recreates that file from the vocabulary bundled in
//! `tiktoken-rs`, checks it has the sha256 the reference expects, points the variable at it
//! and loads the reference from there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use openai_harmony::{HarmonyEncoding, HarmonyEncodingName};
use sha2::{Digest, Sha256};

/// sha256 of `o200k_base.tiktoken`, as `openai-harmony` 0.0.8 checks it.
pub const O200K_BASE_SHA256: &str =
    "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d";

/// Number of ordinary (non-special) ranks in o200k_base.
pub const O200K_BASE_RANKS: u32 = 199_998;

/// Recreates `o200k_base.tiktoken` under `dir` from `tiktoken-rs`'s bundled vocabulary and
/// returns its path. The file is written atomically and only when missing or wrong.
///
/// # Panics
/// When the recreated file does not have [`O200K_BASE_SHA256`]: the reference would then
/// refuse to load, and every differential test would be meaningless.
pub fn write_o200k_base(dir: &Path) -> PathBuf {
    let path = dir.join("o200k_base.tiktoken");
    if let Ok(existing) = std::fs::read(&path) {
        if sha256_hex(&existing) == O200K_BASE_SHA256 {
            return path;
        }
    }
    let bpe = tiktoken_rs::o200k_base_singleton();
    let engine = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::with_capacity(4 << 20);
    for rank in 0..O200K_BASE_RANKS {
        let bytes = bpe
            .decode_bytes(&[rank])
            .expect("o200k_base has every rank below 199998");
        out.extend_from_slice(engine.encode(&bytes).as_bytes());
        writeln!(out, " {rank}").expect("writing to a Vec cannot fail");
    }
    let digest = sha256_hex(&out);
    assert_eq!(
        digest, O200K_BASE_SHA256,
        "recreated o200k_base.tiktoken does not match the reference's sha256"
    );
    std::fs::create_dir_all(dir).expect("create vocabulary directory");
    let tmp = dir.join(format!("o200k_base.tiktoken.{}.tmp", std::process::id()));
    std::fs::write(&tmp, &out).expect("write vocabulary");
    std::fs::rename(&tmp, &path).expect("move vocabulary into place");
    path
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Directory holding the recreated vocabulary: `$CARGO_TARGET_TMPDIR`-like, under the
/// system temp dir, shared by all test binaries of this machine.
pub fn vocab_dir() -> PathBuf {
    std::env::temp_dir().join("harmony-kit-o200k")
}

/// The reference `HarmonyEncoding` for gpt-oss, loaded offline (see the crate docs).
///
/// Loaded once per process; clones are cheap (the tokenizer is behind an `Arc`).
pub fn reference_encoding() -> HarmonyEncoding {
    static ENCODING: OnceLock<HarmonyEncoding> = OnceLock::new();
    ENCODING
        .get_or_init(|| {
            let dir = vocab_dir();
            write_o200k_base(&dir);
            // The reference reads this variable; it is set once, before any thread of ours
            // reads the environment, and always to the same value.
            let mut base = dir.to_string_lossy().into_owned();
            if !base.ends_with('/') {
                base.push('/');
            }
            std::env::set_var("TIKTOKEN_ENCODINGS_BASE", base);
            openai_harmony::load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)
                .expect("reference encoding loads offline")
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_loads_offline_and_encodes_markers_as_single_tokens() {
        let enc = reference_encoding();
        let ids = enc
            .tokenizer()
            .encode_with_special_tokens("<|start|>assistant<|message|>");
        assert_eq!(ids.first(), Some(&200006));
        assert_eq!(ids.last(), Some(&200008));
        let path = vocab_dir().join("o200k_base.tiktoken");
        assert_eq!(sha256_hex(&std::fs::read(path).unwrap()), O200K_BASE_SHA256);
    }
}
