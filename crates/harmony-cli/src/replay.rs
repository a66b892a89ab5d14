//! `harmony replay`: plays an Ollama `/api/generate` recording at its recorded pace.

use std::path::Path;
use std::time::Duration;

use harmony_stream::TextParser;

use crate::ollama::{feed_generate_line, generate_lines, StreamEnd};
use crate::view::View;

/// The recording played when no file is given: analysis, a preamble, a streamed tool call
/// and the final answer (reconstructed from a corpus-style completion, not captured).
pub const BUNDLED: &[u8] = include_bytes!("../recordings/weather.ndjson");

/// Plays `input` to stdout; `speed` scales the recorded pace (0: no delays).
pub fn run(input: &[u8], speed: f64, json: bool) -> Result<(), String> {
    let lines = generate_lines(input)?;
    let stdout = std::io::stdout();
    let mut end = StreamEnd::default();
    let mut parser = TextParser::new();
    let mut previous: Option<f64> = None;
    let mut pace = |at: Option<f64>| {
        if let (Some(at), Some(prev)) = (at, previous) {
            if speed > 0.0 && at > prev {
                std::thread::sleep(Duration::from_secs_f64(((at - prev) / speed).min(5.0)));
            }
        }
        previous = at.or(previous);
    };
    if json {
        let mut out = stdout.lock();
        let mut sink = crate::parse::EventWriter::new(&mut out);
        for line in &lines {
            pace(line.at);
            feed_generate_line(&mut parser, line, &mut end, &mut sink);
            sink.flush();
        }
        parser.finish(&mut sink);
        sink.finish()?;
    } else {
        let mut view = View::new(stdout.lock(), crate::view::use_color());
        for line in &lines {
            pace(line.at);
            feed_generate_line(&mut parser, line, &mut end, &mut view);
            view.flush();
        }
        parser.finish(&mut view);
        let tokens = end.eval_count.or(Some(
            lines.iter().filter(|l| !l.response.is_empty()).count() as u64,
        ));
        view.footer(tokens)
            .map_err(|e| format!("cannot write output: {e}"))?;
    }
    match end.error {
        Some(e) => Err(format!("Ollama reported an error mid-stream: {e}")),
        None => Ok(()),
    }
}

/// Reads a recording file.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path)
        .map_err(|e| format!("cannot read {}: {}", path.display(), crate::io_reason(&e)))
}
