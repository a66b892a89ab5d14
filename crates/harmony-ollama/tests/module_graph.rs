//! The crate's import graph: every `crate::` and `super::` path in `src/**.rs` is an
//! edge from the file it is written in to the file of the module it names. The graph
//! must have no cycle, and the layers (`transport` < `modes` < `client` < `testing`)
//! may only import downwards (docs/design.md, the layers). `lib.rs` only re-exports
//! and is left out; code must not reach items through those re-exports
//! (`crate::Engine`), since that would hide the real edge.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A file's module path (`modes::engine`), from its path under `src/`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The source files under `dir`, recursively, with their paths relative to `root`.
fn sources(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(root).expect("under src").to_path_buf());
        }
    }
}

/// The code of a file with comments (line, doc and block) and string literals
/// blanked, so doc links and examples are not taken for imports.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            while i < bytes.len() && !bytes[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            // Multi-byte characters only occur in comments and strings in this crate;
            // anything else is copied byte for byte as ASCII.
            out.push(if bytes[i].is_ascii() {
                bytes[i] as char
            } else {
                ' '
            });
            i += 1;
        }
    }
    out
}

/// The paths written after `crate::` or `super::` in `code`, braces expanded:
/// `crate::{a::B, c::{d, e}}` gives `a::B`, `c::d`, `c::e`. Each path comes with its
/// anchor (`crate` or `super`).
fn paths(code: &str) -> Vec<(&'static str, Vec<String>)> {
    let mut found = Vec::new();
    for anchor in ["crate", "super"] {
        let needle = format!("{anchor}::");
        let mut from = 0;
        while let Some(at) = code[from..].find(&needle) {
            let start = from + at;
            from = start + needle.len();
            // `crate::` inside a longer identifier (`my_crate::`) is not the anchor.
            let before = code[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let mut rest = &code[from..];
            let mut list = Vec::new();
            expand(&mut rest, Vec::new(), &mut list);
            found.extend(list.into_iter().map(|p| (anchor, p)));
        }
    }
    found
}

/// Parses one path (or brace group) at the front of `rest` into `out`.
fn expand(rest: &mut &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        *rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix('{') {
            *rest = r;
            loop {
                expand(rest, path.clone(), out);
                *rest = rest.trim_start();
                if let Some(r) = rest.strip_prefix(',') {
                    *rest = r;
                    if rest.trim_start().starts_with('}') {
                        *rest = rest.trim_start().strip_prefix('}').unwrap_or(rest);
                        return;
                    }
                } else {
                    *rest = rest.strip_prefix('}').unwrap_or(rest);
                    return;
                }
            }
        }
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '*'))
            .unwrap_or(rest.len());
        if len == 0 {
            out.push(path);
            return;
        }
        path.push(rest[..len].to_owned());
        *rest = &rest[len..];
        match rest.strip_prefix("::") {
            Some(r) => *rest = r,
            None => {
                out.push(path);
                return;
            }
        }
    }
}

/// The longest prefix of `path` that is a module with a file, if any.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

fn layer(module: &[String]) -> usize {
    match module.first().map(String::as_str) {
        Some("transport") => 1,
        Some("modes") => 2,
        Some("client") => 3,
        Some("testing") => 4,
        _ => 0,
    }
}

struct Graph {
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    problems: Vec<String>,
}

fn graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let me = module_of(file);
        if me.is_empty() {
            continue; // lib.rs: the re-exports.
        }
        let text = fs::read_to_string(root.join(file)).expect("read source");
        for (anchor, path) in paths(&code_only(&text)) {
            // `use super::*;` is a file's own test module importing the file.
            if anchor == "super" && path == ["*"] {
                continue;
            }
            let full: Vec<String> = match anchor {
                "crate" => path.clone(),
                _ => {
                    // `super` of a file module is its parent directory's module.
                    let mut parent = me.clone();
                    parent.pop();
                    parent.into_iter().chain(path.iter().cloned()).collect()
                }
            };
            match resolve(&full, &modules) {
                Some(target) if target == me => {}
                Some(target) => {
                    edges.entry(me.clone()).or_default().insert(target);
                }
                None => problems.push(format!(
                    "{}: `{anchor}::{}` goes through a re-export of lib.rs; name the module",
                    file.display(),
                    path.join("::")
                )),
            }
        }
        edges.entry(me).or_default();
    }
    Graph { edges, problems }
}

#[test]
fn no_import_goes_through_a_root_reexport() {
    let g = graph();
    assert!(g.problems.is_empty(), "{:#?}", g.problems);
    // The walk saw the layers (so an empty graph cannot pass).
    for m in ["transport::ndjson", "modes::engine", "client"] {
        let m: Vec<String> = m.split("::").map(str::to_owned).collect();
        assert!(g.edges.contains_key(&m), "{m:?} not found");
    }
}

#[test]
fn layers_only_import_downwards() {
    let g = graph();
    let mut upward = Vec::new();
    for (from, tos) in &g.edges {
        for to in tos {
            if layer(to) > layer(from) {
                upward.push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(upward.is_empty(), "imports against the layers: {upward:#?}");
    // The engine does use the transport (the check would be vacuous otherwise).
    let engine: Vec<String> = vec!["modes".into(), "engine".into()];
    assert!(g.edges[&engine].iter().any(|t| layer(t) == 1));
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    // Depth-first search; a node met again while on the stack closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnStack,
        Done,
    }
    fn visit(
        node: &Vec<String>,
        g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        marks: &mut BTreeMap<Vec<String>, Mark>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::OnStack) => {
                let at = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle: Vec<String> = stack[at..].iter().map(|n| n.join("::")).collect();
                cycle.push(node.join("::"));
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::OnStack);
        stack.push(node.clone());
        for next in g.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, g, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in g.edges.keys() {
        let cycle = visit(node, &g.edges, &mut marks, &mut Vec::new());
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap().join(" -> ")
        );
    }
}

#[test]
fn the_parser_sees_braced_and_relative_imports() {
    // The checks above are only as good as this reading of `use` lines.
    let code = code_only(
        "use crate::{a::B, c::{d, e::F}};\n// use crate::nope;\nlet s = \"crate::x\";\nuse super::g::H;",
    );
    let found = paths(&code);
    let got: Vec<String> = found
        .iter()
        .map(|(a, p)| format!("{a}:{}", p.join("::")))
        .collect();
    assert_eq!(
        got,
        ["crate:a::B", "crate:c::d", "crate:c::e::F", "super:g::H"]
    );
}
