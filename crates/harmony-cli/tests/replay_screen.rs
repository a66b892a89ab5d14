//! `harmony replay` seen by a person: run in a real pseudo-terminal (tmux), then read what
//! the screen shows. Needs `tmux` (`.ci/run` installs it when missing).

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let socket = format!("harmony-test-{}-{name}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "140",
                "-y",
                "30",
                command,
            ])
            .status()
            .expect("tmux is needed for this test: apt-get install tmux");
        assert!(status.success());
        Tmux { socket }
    }

    fn screen(&self, escapes: bool) -> String {
        let mut args = vec!["-L", &self.socket, "capture-pane", "-p", "-J"];
        if escapes {
            args.push("-e");
        }
        let out = Command::new("tmux").args(&args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once `needle` is on it (or the test fails after 20 s).
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen(false);
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "never showed {needle:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn command(env: &str) -> String {
    // `sleep` keeps the pane open so the finished screen can be read.
    format!(
        "env {env} {} replay --speed 8; sleep 30",
        env!("CARGO_BIN_EXE_harmony")
    )
}

#[test]
fn replay_shows_reasoning_dimmed_the_call_streaming_and_the_answer_plain() {
    let tmux = Tmux::start("color", &command("-u NO_COLOR TERM=xterm-256color"));
    // The call's arguments stream in before the answer appears.
    let early = tmux.wait_for("→ get_weather(");
    let screen = tmux.wait_for(" tokens · ");
    assert!(
        !early.contains("It's 18 °C") || early.contains("tokens · "),
        "the answer came with the call, not after it:\n{early}"
    );
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines[0].starts_with("thinking: The user wants the weather in Paris"),
        "{screen}"
    );
    assert_eq!(lines[1], "Let me check the forecast.");
    assert_eq!(
        lines[2],
        "→ get_weather({\"location\": \"Paris, FR\", \"unit\": \"celsius\"})"
    );
    assert!(
        lines[3].starts_with("It's 18 °C and sunny in Paris ☀️"),
        "{screen}"
    );
    assert!(
        lines[4].starts_with("— 102 tokens · ") && lines[4].ends_with("0 diagnostics"),
        "{screen}"
    );

    // Styles, as the terminal received them: reasoning dim, the call bold cyan, the answer
    // without any style.
    let styled = tmux.screen(true);
    let styled: Vec<&str> = styled.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        styled[0].starts_with("\x1b[2mthinking: "),
        "{:?}",
        styled[0]
    );
    // tmux re-emits `1;36` as two sequences.
    assert!(
        styled[2].starts_with("\x1b[1m\x1b[36m→ get_weather("),
        "{:?}",
        styled[2]
    );
    // Only tmux's own resets before the answer: no dim, bold or colour.
    for style in ["\x1b[1m", "\x1b[2m", "\x1b[36m"] {
        assert!(!styled[3].contains(style), "{:?}", styled[3]);
    }
    assert!(styled[3].ends_with("for the evening."), "{:?}", styled[3]);
}

#[test]
fn no_color_turns_styles_off() {
    let tmux = Tmux::start("plain", &command("NO_COLOR=1 TERM=xterm-256color"));
    tmux.wait_for(" tokens · ");
    let styled = tmux.screen(true);
    assert!(styled.contains("→ get_weather("));
    assert!(
        !styled.contains("\x1b[2m") && !styled.contains("\x1b[1;36m"),
        "{styled:?}"
    );
}
