//! `harmony replay`: plays an Ollama `/api/generate` recording at its recorded pace,
//! through the library's mode engine.

use std::path::Path;
use std::time::Duration;

use harmony_ollama::ChatMode;

use crate::ollama::{feed_recording, to_core};
use crate::parse::StreamWriter;
use crate::view::View;

/// The recording played when no file is given: analysis, a preamble, a streamed tool call
/// and the final answer (reconstructed from a corpus-style completion, not captured).
pub const BUNDLED: &[u8] = include_bytes!("../recordings/weather.ndjson");

/// Plays `input` to stdout; `speed` scales the recorded pace (0: no delays).
pub fn run(input: &[u8], speed: f64, json: bool) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut previous: Option<f64> = None;
    let mut pace = |at: Option<f64>| {
        if let (Some(at), Some(prev)) = (at, previous) {
            if speed > 0.0 && at > prev {
                std::thread::sleep(Duration::from_secs_f64(((at - prev) / speed).min(5.0)));
            }
        }
        previous = at.or(previous);
    };
    let end = if json {
        let mut out = stdout.lock();
        let mut writer = StreamWriter::new(&mut out, input.len() as u64);
        let end = feed_recording(input, ChatMode::Harmony, &mut pace, &mut |e| {
            writer.event(e);
            writer.flush();
        });
        writer.finish()?;
        end
    } else {
        let mut view = View::new(stdout.lock(), crate::view::use_color());
        let end = feed_recording(input, ChatMode::Harmony, &mut pace, &mut |e| {
            to_core(&e, &mut view);
            view.flush();
        });
        let tokens = end.eval_count().or(Some(end.fragments));
        view.footer(tokens)
            .map_err(|e| format!("cannot write output: {e}"))?;
        end
    };
    match end.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Reads a recording file.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path)
        .map_err(|e| format!("cannot read {}: {}", path.display(), crate::io_reason(&e)))
}
