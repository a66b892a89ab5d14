//! The Rust example of openai-harmony 0.0.8's README, run against `harmony_kit::compat`.
//!
//! Generated at build time by `harmony-compat-tests` from the copy cargo unpacked: each
//! ```rust block with `openai_harmony::` rewritten to `harmony_kit::compat::` and nothing
//! else, wrapped in a module whose test runs its `main` and asserts it returned `Ok`
//! (the example returns `anyhow::Result`: compat's typed error converts with `?`).

#[allow(clippy::all, clippy::pedantic, unused)]
mod readme {
    include!(harmony_compat_tests::reference_readme_path!());
}
