//! Running the `harmony` binary from the tests.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `harmony ARGS` with `stdin`; returns (exit code, stdout, stderr). The Ollama and
/// harmony environment variables of the caller's shell are removed, colours are off.
pub fn harmony(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harmony"))
        .args(args)
        .env_remove("OLLAMA_HOST")
        .env_remove("HARMONY_MODE")
        .env_remove("ENABLE_HARMONY_FORMAT")
        .env_remove("HARMONY_CHANNELS")
        .env_remove("HARMONY_REASONING_EFFORT")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run harmony");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
