//! Generates `$OUT_DIR/reference_tests.rs`: openai-harmony 0.0.8's `src/tests.rs` with its
//! `crate::` paths pointing at `harmony_kit::compat::`, and the deviations marked.
//!
//! The reference's source is found through `cargo metadata` (offline, from the lock
//! file), which names wherever cargo unpacked it (registry, vendored directory, git
//! checkout); if that fails, the default registry location under `CARGO_HOME`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code)] // `why` is for readers of deviations.rs.
pub struct Deviation {
    pub test: &'static str,
    pub expected_panic: &'static str,
    pub why: &'static str,
}

include!("src/deviations.rs");

const NAME: &str = "openai-harmony";
const VERSION: &str = "0.0.8";

fn from_metadata() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO")?;
    let manifest = Path::new(&std::env::var_os("CARGO_MANIFEST_DIR")?).join("Cargo.toml");
    // Only the target's dependencies: without the filter cargo wants every platform's
    // crates (android, wasm, ...), which an offline machine has not downloaded.
    let target = std::env::var("TARGET").ok()?;
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &target, "--manifest-path"])
        .arg(&manifest)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    meta["packages"].as_array()?.iter().find_map(|p| {
        (p["name"] == NAME && p["version"] == VERSION)
            .then(|| {
                Path::new(p["manifest_path"].as_str()?)
                    .parent()
                    .map(Path::to_path_buf)
            })
            .flatten()
    })
}

fn from_cargo_home() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    let registries = std::fs::read_dir(home.join("registry").join("src")).ok()?;
    registries
        .filter_map(Result::ok)
        .map(|r| r.path().join(format!("{NAME}-{VERSION}")))
        .find(|p| p.join("src").join("tests.rs").is_file())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../../Cargo.lock");
    println!("cargo:rerun-if-changed=src/deviations.rs");
    println!("cargo:rerun-if-env-changed=CARGO_HOME");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let generated = out_dir.join("reference_tests.rs");
    let found = from_metadata()
        .map(|d| (d, "cargo metadata"))
        .or_else(|| from_cargo_home().map(|d| (d, "CARGO_HOME")));
    let readme_generated = out_dir.join("reference_readme.rs");
    let paths = match found {
        Some((dir, how)) => {
            let tests = dir.join("src").join("tests.rs");
            println!("cargo:rerun-if-changed={}", tests.display());
            let readme = dir.join("README.md");
            println!("cargo:rerun-if-changed={}", readme.display());
            let examples = match std::fs::read_to_string(&readme) {
                Ok(text) => readme_examples(&text),
                Err(e) => missing(&format!("cannot read {}: {e}", readme.display())),
            };
            std::fs::write(&readme_generated, examples).expect("write OUT_DIR");
            match std::fs::read_to_string(&tests) {
                Ok(source) => {
                    std::fs::write(&generated, rewrite(&source)).expect("write OUT_DIR");
                    format!(
                        "/// Where cargo unpacked openai-harmony {VERSION} (its `src/` and `test-data/`).\n\
                         pub const REFERENCE_DIR: &str = {:?};\n\
                         /// How it was found: `cargo metadata`, or the `CARGO_HOME` registry.\n\
                         pub const FOUND_BY: &str = {how:?};\n",
                        dir.display().to_string()
                    )
                }
                Err(e) => missing(&format!("cannot read {}: {e}", tests.display())),
            }
        }
        None => {
            let reason = "openai-harmony 0.0.8's source was not found (cargo metadata, CARGO_HOME)";
            std::fs::write(&readme_generated, missing(reason)).expect("write OUT_DIR");
            missing(reason)
        }
    };
    let paths = format!(
        "{paths}\n\
         /// The path of the generated suite, for `include!`.\n\
         #[macro_export]\n\
         macro_rules! reference_tests_path {{\n    () => {{\n        {:?}\n    }};\n}}\n",
        generated.display().to_string()
    );
    let paths = format!(
        "{paths}\n\
         /// The path of the generated README examples, for `include!`.\n\
         #[macro_export]\n\
         macro_rules! reference_readme_path {{\n    () => {{\n        {:?}\n    }};\n}}\n",
        readme_generated.display().to_string()
    );
    std::fs::write(out_dir.join("paths.rs"), paths).expect("write OUT_DIR");
}

/// The build fails with `reason` where the suite is used (a `compile_error!`), so a
/// missing reference never silently skips the suite.
fn missing(reason: &str) -> String {
    format!(
        "compile_error!({reason:?});\npub const REFERENCE_DIR: &str = \"\";\npub const FOUND_BY: &str = \"\";\n"
    )
}

/// Every ```rust block of the reference's README, `openai_harmony::` rewritten to
/// `harmony_kit::compat::`, each in its own module with a test that runs its `main`.
fn readme_examples(readme: &str) -> String {
    let mut out = String::from(
        "// @generated by harmony-compat-tests/build.rs from openai-harmony 0.0.8's README.md:\n\
         // each ```rust block, its paths into the reference now naming `harmony_kit::compat::`.\n\n",
    );
    let mut block: Option<String> = None;
    let mut n = 0;
    for line in readme.lines() {
        match &mut block {
            None if line.trim() == "```rust" => block = Some(String::new()),
            None => {}
            Some(code) if line.trim() == "```" => {
                out.push_str(&format!(
                    "mod readme_example_{n} {{\n{}\n    #[test]\n    fn runs() {{\n        \
                     let result: Result<(), _> = main();\n        \
                     assert!(result.is_ok(), \"{{result:?}}\");\n    }}\n}}\n\n",
                    code.replace("openai_harmony::", "harmony_kit::compat::")
                ));
                n += 1;
                block = None;
            }
            Some(code) => {
                code.push_str(line);
                code.push('\n');
            }
        }
    }
    if n == 0 {
        out.push_str("compile_error!(\"no ```rust block in the reference README\");\n");
    }
    out
}

fn rewrite(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 4096);
    out.push_str(
        "// @generated by harmony-compat-tests/build.rs from openai-harmony 0.0.8's src/tests.rs:\n\
         // its paths into the reference crate now name `harmony_kit::compat::`; deviations are marked.\n\n",
    );
    let rewritten = source.replace("crate::", "harmony_kit::compat::");
    let mut found = vec![false; DEVIATIONS.len()];
    let mut lines = rewritten.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[test]" {
            let next = lines.peek().copied().unwrap_or_default().trim_start();
            let hit = DEVIATIONS
                .iter()
                .position(|d| next.starts_with(&format!("fn {}(", d.test)));
            if let Some(i) = hit {
                let d = &DEVIATIONS[i];
                found[i] = true;
                for why in d.why.lines() {
                    out.push_str(&format!("// DEVIATION (harmony-kit): {why}\n"));
                }
                out.push_str(line);
                out.push_str(&format!(
                    "\n#[should_panic(expected = {:?})]\n",
                    d.expected_panic
                ));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    for (d, f) in DEVIATIONS.iter().zip(found) {
        if !f {
            out.push_str(&format!(
                "compile_error!({:?});\n",
                format!(
                    "deviation for `{}`: no such test in the reference suite",
                    d.test
                )
            ));
        }
    }
    out
}
