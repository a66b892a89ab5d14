//! openai-harmony 0.0.8's own test suite (its `src/tests.rs` and `test-data/`), run
//! against `harmony_kit::compat`.
//!
//! The suite is not copied here: `harmony-compat-tests`'s build script reads it from the
//! copy cargo unpacked (openai-harmony is a dev-dependency) and rewrites only its
//! `crate::…` paths to `harmony_kit::compat::…`. Tests where harmony-kit answers
//! differently by design are marked in the generated file with `#[should_panic]` on the
//! reference's failing assertion and a `// DEVIATION` comment (the list, with reasons, is
//! `harmony_compat_tests::DEVIATIONS`); what we answer instead is asserted in
//! `tests/compat_api.rs`.

// The suite finds `test-data/` through `env!("CARGO_MANIFEST_DIR")`, which for this file
// would be harmony-kit's directory: inside this module that one name is the reference's
// directory instead; every other variable is the real `env!`.
#[allow(clippy::all, clippy::pedantic, unused)]
mod reference {
    macro_rules! env {
        ("CARGO_MANIFEST_DIR") => {
            harmony_compat_tests::REFERENCE_DIR
        };
        ($name:literal) => {
            ::core::env!($name)
        };
    }

    include!(harmony_compat_tests::reference_tests_path!());
}
