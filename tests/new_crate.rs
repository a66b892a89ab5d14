//! A new crate whose only dependency is harmony-kit (with the `test-util` feature, as
//! the README's dependency line says) builds and runs the README's agent example
//! unchanged: the example's code, hidden lines shown, becomes that crate's `main`.
//!
//! The crate is built offline, with this workspace's `Cargo.lock` (the versions CI has
//! in its registry cache), into its own target directory under cargo's test scratch
//! space, so it never contends for the workspace's build lock.

use std::fs;
use std::path::Path;
use std::process::Command;

/// The README's first Rust block after `## A tool-using agent`, as rustdoc compiles it:
/// the lines hidden with `# ` shown.
fn readme_agent_example() -> String {
    let readme = include_str!("../README.md");
    let section = &readme[readme
        .find("## A tool-using agent")
        .expect("the agent section")..];
    let start = section.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let end = start + section[start..].find("\n```").expect("the block ends");
    section[start..end]
        .lines()
        .map(|line| match line {
            "#" => "",
            _ => line.strip_prefix("# ").unwrap_or(line),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_crate_depending_only_on_harmony_kit_runs_the_readme_example() {
    let example = readme_agent_example();
    assert!(
        example.contains("tool_loop"),
        "not the agent example:\n{example}"
    );

    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("new-crate");
    let src = root.join("src");
    fs::create_dir_all(&src).unwrap();
    let kit = env!("CARGO_MANIFEST_DIR");
    fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"agent\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nharmony-kit = {{ path = {kit:?}, features = [\"test-util\"] }}\n\n\
             # Not a member of any workspace around the scratch directory.\n[workspace]\n"
        ),
    )
    .unwrap();
    fs::copy(Path::new(kit).join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    fs::write(
        src.join("main.rs"),
        format!("fn main() {{\n{example}\n}}\n"),
    )
    .unwrap();

    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        // The example talks to the fake it starts, never to a real Ollama.
        .env_remove("OLLAMA_HOST")
        .env_remove("HARMONY_MODE")
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "the README example did not build or run in a crate of its own:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
