//! Draws `docs/benchmarks.svg` from criterion's results in `target/criterion`: one row per
//! benchmark group, one bar per function, on a log scale of mean time (shorter is
//! faster), with the ratio to the slowest function of the group.
//!
//! Run after `cargo bench`: `cargo run --example bench_chart` (writes `docs/benchmarks.svg`;
//! pass another output path as the first argument).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

struct Bench {
    function: String,
    mean_ns: f64,
    modified: std::time::SystemTime,
}

fn find(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") && path.join("benchmark.json").is_file()
            {
                out.push(path);
            } else {
                find(&path, out);
            }
        }
    }
}

fn read(dir: &Path) -> Option<(String, Bench)> {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("benchmark.json")).ok()?).ok()?;
    let est: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("estimates.json")).ok()?).ok()?;
    Some((
        meta["group_id"].as_str()?.to_owned(),
        Bench {
            function: meta["function_id"].as_str()?.to_owned(),
            mean_ns: est["mean"]["point_estimate"].as_f64()?,
            modified: std::fs::metadata(dir.join("estimates.json"))
                .ok()?
                .modified()
                .ok()?,
        },
    ))
}

fn human(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.1} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("docs/benchmarks.svg"));
    let mut dirs = Vec::new();
    find(&root.join("target/criterion"), &mut dirs);
    let mut groups: BTreeMap<String, Vec<Bench>> = BTreeMap::new();
    for dir in dirs {
        if let Some((group, bench)) = read(&dir) {
            groups.entry(group).or_default().push(bench);
        }
    }
    // Criterion keeps the results of functions a bench no longer has: keep only those of the
    // group's latest run (within ten minutes of its newest result).
    for benches in groups.values_mut() {
        let newest = benches.iter().map(|b| b.modified).max();
        benches.retain(|b| {
            newest
                .and_then(|n| n.duration_since(b.modified).ok())
                .is_some_and(|age| age.as_secs() < 600)
        });
    }
    if groups.is_empty() {
        eprintln!("no criterion results under target/criterion: run `cargo bench` first");
        std::process::exit(1);
    }
    let (min, max) = groups
        .values()
        .flatten()
        .fold((f64::MAX, 0f64), |(lo, hi), b| {
            (lo.min(b.mean_ns), hi.max(b.mean_ns))
        });
    let (lo, hi) = (min.log10().floor(), max.log10().ceil());
    let (label_w, bar_w, row_h) = (400.0, 520.0, 18.0);
    let rows: usize = groups.values().map(|g| g.len() + 1).sum();
    let height = 60.0 + rows as f64 * row_h;
    let x = |ns: f64| label_w + (ns.log10() - lo) / (hi - lo) * bar_w;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="12">"##,
        label_w + bar_w + 160.0
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        svg,
        r##"<text x="10" y="20" font-size="14" font-weight="bold">harmony-kit benchmarks: mean time per iteration (log scale, shorter is faster)</text>"##
    );
    let mut y = 40.0;
    for (group, mut benches) in groups {
        benches.sort_by(|a, b| a.mean_ns.total_cmp(&b.mean_ns));
        let slowest = benches.last().map_or(1.0, |b| b.mean_ns);
        let _ = writeln!(
            svg,
            r##"<text x="10" y="{}" font-weight="bold">{}</text>"##,
            y + 12.0,
            escape(&group)
        );
        y += row_h;
        for b in &benches {
            let ours = !b.function.contains("openai-harmony")
                && !b.function.contains("reference")
                && !b.function.contains("baseline");
            let color = if ours { "#2b7bba" } else { "#c0504d" };
            let _ = writeln!(
                svg,
                r##"<text x="20" y="{}">{}</text>"##,
                y + 12.0,
                escape(&b.function)
            );
            let _ = writeln!(
                svg,
                r##"<rect x="{label_w}" y="{}" width="{:.1}" height="{}" fill="{color}"/>"##,
                y + 2.0,
                (x(b.mean_ns) - label_w).max(1.0),
                row_h - 5.0
            );
            let ratio = if b.mean_ns < slowest {
                format!("  ({:.1}x)", slowest / b.mean_ns)
            } else {
                String::new()
            };
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{}">{}{}</text>"##,
                x(b.mean_ns) + 6.0,
                y + 12.0,
                human(b.mean_ns),
                ratio
            );
            y += row_h;
        }
    }
    svg.push_str("</svg>\n");
    std::fs::write(&out_path, svg).expect("write the chart");
    println!("wrote {}", out_path.display());
}
