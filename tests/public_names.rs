//! One type per concept across the workspace (docs/design.md, the layers): no two public
//! structs, enums, type aliases or traits in `crates/*/src` and `src/` share a name,
//! except the few listed below, each with the reason the two are kept apart. A true
//! re-export (`pub use`) is not a definition and never counts.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Names defined more than once on purpose, and where.
const ALLOWED: &[(&str, &[&str], &str)] = &[
    (
        "Role",
        &[
            "crates/harmony-chat/src/model.rs",
            "crates/harmony-stream/src/header.rs",
        ],
        "the parser's role has no serde (harmony-stream depends on memchr alone); \
         harmony-chat converts both ways with From",
    ),
    (
        "Message",
        &[
            "crates/harmony-chat/src/model.rs",
            "crates/harmony-stream/src/collector.rs",
        ],
        "a message to render (the conversation model: author, recipient, typed content, \
         serde) and a message as parsed (the collector's: header fields as written, \
         text, the stop it ended with)",
    ),
];

/// `src/compat` is a drop-in for openai-harmony's Rust API: its names are the
/// reference's on purpose, and its types are only reached as `harmony_kit::compat::…`.
const COMPAT: &str = "src/compat/";

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.map(|e| e.expect("dir entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Public type names defined in `text`: `pub struct|enum|type|trait Name` at the start
/// of a line (indented or not).
fn definitions(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix("pub ") else {
            continue;
        };
        for kind in ["struct ", "enum ", "type ", "trait "] {
            if let Some(rest) = rest.strip_prefix(kind) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// Every public type name of the workspace and the files defining it.
fn workspace_names() -> BTreeMap<String, Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut crates: Vec<_> = fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("dir entry").path())
        .collect();
    crates.sort();
    for krate in crates {
        sources(&krate.join("src"), &mut files);
    }
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let rel = file
            .strip_prefix(root)
            .expect("under the workspace")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with(COMPAT) {
            continue;
        }
        let text = fs::read_to_string(&file).expect("read source");
        for name in definitions(&text) {
            names.entry(name).or_default().push(rel.clone());
        }
    }
    names
}

#[test]
fn no_two_public_types_share_a_name() {
    let names = workspace_names();
    // The walk found the crates (an empty walk would pass vacuously).
    for known in [
        "StreamEvent",
        "Header",
        "ChatEncoder",
        "Renderer",
        "ToolExtractor",
    ] {
        assert!(names.contains_key(known), "{known} not found");
    }
    let mut clashes = Vec::new();
    for (name, files) in &names {
        if files.len() < 2 {
            continue;
        }
        let allowed = ALLOWED
            .iter()
            .find(|(n, _, _)| n == name)
            .is_some_and(|(_, where_, _)| {
                let mut a: Vec<&str> = where_.to_vec();
                let mut b: Vec<&str> = files.iter().map(String::as_str).collect();
                a.sort_unstable();
                b.sort_unstable();
                a == b
            });
        if !allowed {
            clashes.push(format!("{name}: {}", files.join(", ")));
        }
    }
    assert!(
        clashes.is_empty(),
        "public types sharing a name (re-export one, or rename the wire mirror `Wire…`/`Ollama…`): {clashes:#?}"
    );
}

#[test]
fn every_allowed_clash_still_exists() {
    // A stale entry would let a new type of that name in unnoticed.
    let names = workspace_names();
    for (name, files, why) in ALLOWED {
        assert!(!why.is_empty());
        assert_eq!(
            names.get(*name).map(Vec::len),
            Some(files.len()),
            "{name} is allowed twice but is now defined {:?}",
            names.get(*name)
        );
    }
}

#[test]
fn the_scan_reads_definitions_only() {
    let found = definitions(
        "pub struct A;\n    pub enum B { X }\npub(crate) struct C;\npub use d::D;\n// pub struct E;\npub type F<'a> = &'a str;",
    );
    assert_eq!(found, ["A", "B", "F"]);
}
