//! The live operator view: reasoning dimmed, tool calls with their arguments as they
//! stream, the answer plain, and a one-line footer.

use std::io::Write;
use std::time::Instant;

use harmony_stream::{Channel, Event, Sink};
use harmony_tools::{ToolEvent, ToolExtractor};

const DIM: &str = "\x1b[2m";
const CALL: &str = "\x1b[1;36m";
const WARN: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Reasoning,
    Content,
    Tool,
    Hidden,
}

/// A [`Sink`] that draws a completion for a person watching it arrive.
pub struct View<W: Write> {
    out: W,
    color: bool,
    tools: ToolExtractor,
    route: Route,
    at_line_start: bool,
    diagnostics: u64,
    started: Instant,
    error: Option<std::io::Error>,
}

impl<W: Write> View<W> {
    /// A view writing to `out`, with ANSI colours when `color`.
    pub fn new(out: W, color: bool) -> Self {
        View {
            out,
            color,
            tools: ToolExtractor::new().with_ids(|i| format!("call_{i}")),
            route: Route::Hidden,
            at_line_start: true,
            diagnostics: 0,
            started: Instant::now(),
            error: None,
        }
    }

    /// Pushes what was drawn to the screen.
    pub fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
    }

    /// Prints the footer: tokens, time and diagnostics. Returns the first write error.
    pub fn footer(mut self, tokens: Option<u64>) -> std::io::Result<()> {
        let secs = self.started.elapsed().as_secs_f64();
        let tokens = tokens.map_or_else(String::new, |t| format!("{t} tokens · "));
        let line = format!(
            "— {tokens}{secs:.1} s · {} diagnostic{}",
            self.diagnostics,
            if self.diagnostics == 1 { "" } else { "s" }
        );
        self.newline();
        self.styled(DIM, &line);
        self.raw("\n");
        self.out.flush()?;
        self.error.map_or(Ok(()), Err)
    }

    fn raw(&mut self, s: &str) {
        if self.error.is_none() && !s.is_empty() {
            if let Err(e) = self.out.write_all(s.as_bytes()) {
                self.error = Some(e);
            }
            self.at_line_start = s.ends_with('\n');
        }
    }

    fn styled(&mut self, style: &str, s: &str) {
        if self.color {
            self.raw(style);
            self.raw(s);
            self.raw(RESET);
        } else {
            self.raw(s);
        }
    }

    fn newline(&mut self) {
        if !self.at_line_start {
            self.raw("\n");
        }
    }
}

impl<W: Write> Sink for View<W> {
    fn event(&mut self, event: Event<'_>) {
        // A call's closing parenthesis belongs on its own line, before the message ends.
        if !matches!(event, Event::MessageEnd(_)) {
            self.draw(event);
        }
        let mut pending: Vec<(&'static str, String)> = Vec::new();
        self.tools.observe(&event, &mut |t: ToolEvent<'_>| match t {
            ToolEvent::Start(s) => pending.push((CALL, format!("→ {}(", s.name))),
            ToolEvent::Args { delta, .. } => pending.push((CALL, delta.to_owned())),
            ToolEvent::End(end) => {
                pending.push((CALL, ")".to_owned()));
                if let Some(e) = &end.error {
                    pending.push((WARN, format!("  ⚠ {e}")));
                }
            }
            ToolEvent::Diagnostic(d) => {
                pending.push((WARN, format!("  ⚠ {}: {}", d.kind, d.detail)))
            }
        });
        for (style, text) in pending {
            self.styled(style, &text);
        }
        if matches!(event, Event::MessageEnd(_)) {
            self.draw(event);
        }
    }
}

impl<W: Write> View<W> {
    fn draw(&mut self, event: Event<'_>) {
        match event {
            Event::MessageStart(h) => {
                self.newline();
                self.route = if h.is_tool_call() {
                    Route::Tool
                } else if h.role() != harmony_stream::Role::Assistant {
                    Route::Hidden
                } else if h.known_channel() == Some(Channel::Analysis) {
                    self.styled(DIM, "thinking: ");
                    Route::Reasoning
                } else {
                    Route::Content
                };
            }
            Event::Delta(d) => match self.route {
                Route::Reasoning => self.styled(DIM, d),
                Route::Content => self.raw(d),
                Route::Tool | Route::Hidden => {}
            },
            Event::MessageEnd(_) => {
                self.newline();
                self.route = Route::Hidden;
            }
            // Every raw-mode completion starts inside the prompt's `<|start|>assistant`:
            // that one is expected, not worth a person's attention.
            Event::Diagnostic(d) if d.kind == harmony_stream::DiagnosticKind::ImplicitStart => {}
            Event::Diagnostic(_) => self.diagnostics += 1,
        }
    }
}

/// Whether to colour: stdout is a terminal and `NO_COLOR` is unset or empty.
pub fn use_color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
