//! openai-harmony 0.0.8's own test suite (`src/tests.rs`), generated at build time from
//! the copy of the reference that cargo unpacked (it is a dependency of this crate), so
//! that it runs against `harmony_kit::compat` without being copied into this repository.
//!
//! The build script rewrites the suite's `crate::` paths to `harmony_kit::compat::` and
//! nothing else, except where harmony-kit deviates from the reference by design: there it
//! adds a `#[should_panic(expected = ...)]` naming the reference assertion that fails,
//! preceded by a `// DEVIATION:` comment saying why (see [`DEVIATIONS`]). A deviation
//! whose test no longer exists, or whose test stops failing, fails the build or the test.
//!
//! Use from a test crate (the suite reads its `test-data/` through
//! `env!("CARGO_MANIFEST_DIR")`, which must then name the reference's directory):
//!
//! The README's ```rust examples are generated the same way (`openai_harmony::` rewritten
//! to `harmony_kit::compat::`), each in a module with a test running its `main`:
//! `include!(harmony_compat_tests::reference_readme_path!())`.
//!
//! ```ignore
//! macro_rules! env {
//!     ("CARGO_MANIFEST_DIR") => { harmony_compat_tests::REFERENCE_DIR };
//!     ($name:literal) => { ::core::env!($name) };
//! }
//! include!(harmony_compat_tests::reference_tests_path!());
//! ```

/// One test of the reference suite that harmony-kit fails on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deviation {
    /// The reference test's function name.
    pub test: &'static str,
    /// A substring of the panic message the reference assertion gives.
    pub expected_panic: &'static str,
    /// Why harmony-kit answers differently.
    pub why: &'static str,
}

include!("deviations.rs");

include!(concat!(env!("OUT_DIR"), "/paths.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_directory_holds_the_suite_and_its_data() {
        let dir = std::path::Path::new(REFERENCE_DIR);
        assert!(dir.join("src/tests.rs").is_file());
        assert!(dir.join("test-data/test_simple_convo.txt").is_file());
    }

    #[test]
    fn the_generated_suite_marks_every_deviation_and_imports_compat() {
        let generated = std::fs::read_to_string(reference_tests_path!()).unwrap();
        assert!(!generated.contains("crate::"));
        assert!(generated.contains("use harmony_kit::compat::{"));
        for d in DEVIATIONS {
            let marker = format!("#[should_panic(expected = {:?})]", d.expected_panic);
            assert!(generated.contains(&marker), "{}", d.test);
        }
    }

    #[test]
    fn the_readme_example_is_generated_against_compat() {
        let generated = std::fs::read_to_string(reference_readme_path!()).unwrap();
        assert!(generated.contains("mod readme_example_0"));
        assert!(generated.contains("use harmony_kit::compat::{HarmonyEncodingName"));
        assert!(!generated.contains("openai_harmony::"));
    }
}
