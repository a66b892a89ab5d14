//! The gateway driven by clients nobody here wrote (issue 12 item 9): the `openai` and
//! `ollama` Python packages, Codex CLI, and the `async-openai` crate, each against the
//! gateway on loopback in front of the fake Ollama's scripted agent (a call to the
//! first declared tool, then an answer quoting the tool's result).
//!
//! A test whose client is not installed skips with a message, except under CI (the
//! `CI` variable set), where it fails: `.ci/run` installs them.

mod support;

use std::time::Duration;

use harmony_ollama::testing::FakeOllama;
use harmony_server::UpstreamKind;
use serde_json::Value;
use support::{fake, gateway, gateway_with, missing, prompts, python_has, python_json, MODEL};

/// The agent's answer after a tool result (`Agent`'s final reply).
const QUOTE: &str = "The tool returned: ";

/// The tool result the Python scripts send.
const RESULT: &str = r#"{"temp_c": 18, "sky": "clear"}"#;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// The tool result reached the prompt as harmony's tool message, and the agent's
/// answer quoted it.
fn assert_result_in_a_prompt(prompts: &[String], result: &str) {
    let wanted =
        format!("<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{result}<|end|>");
    assert!(
        prompts.iter().any(|p| p.contains(&wanted)),
        "no prompt carries the tool result as {wanted:?}; prompts: {prompts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_python_chat_completions() {
    openai_python_chat(UpstreamKind::Ollama).await;
}

/// Item 7: the same client and checks with the gateway driving an OpenAI-style
/// `/v1/completions` server (the fake's, special tokens kept) instead of Ollama.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_python_chat_completions_over_an_openai_completions_upstream() {
    openai_python_chat(UpstreamKind::OpenAiCompletions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_python_responses() {
    openai_python_responses_through(UpstreamKind::Ollama).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_python_responses_over_an_openai_completions_upstream() {
    openai_python_responses_through(UpstreamKind::OpenAiCompletions).await;
}

/// The gateway in front of the fake, speaking `kind` to it.
async fn gateway_of_kind(upstream: &FakeOllama, kind: UpstreamKind) -> String {
    gateway_with(&upstream.url(), |c| c.upstream_kind = kind).await
}

/// Every completion went to `kind`'s endpoint and none to the other's; the prompts.
fn completion_prompts(upstream: &FakeOllama, kind: UpstreamKind) -> Vec<String> {
    let (path, other) = match kind {
        UpstreamKind::OpenAiCompletions => ("/v1/completions", "/api/generate"),
        _ => ("/api/generate", "/v1/completions"),
    };
    let received = upstream.received();
    assert!(received.iter().any(|r| r.path == path), "nothing on {path}");
    assert!(
        !received.iter().any(|r| r.path == other),
        "a request on {other}"
    );
    if kind == UpstreamKind::OpenAiCompletions {
        for r in received.iter().filter(|r| r.path == path) {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            // The special tokens must come back, or there is nothing to parse.
            assert_eq!(body["skip_special_tokens"], false, "{body}");
            assert_eq!(body["stream"], true, "{body}");
        }
    }
    upstream.prompts()
}

async fn openai_python_chat(kind: UpstreamKind) {
    if !python_has("openai").await {
        return missing("the openai Python package", "python3 -m pip install openai");
    }
    let upstream = fake().start().await.unwrap();
    let base = gateway_of_kind(&upstream, kind).await;
    let out = python_json("openai_client.py", &[&base, "chat"]).await;
    assert!(out.get("sdk_error").is_none(), "{out:#}");

    let plain = &out["plain"];
    assert_eq!(plain["finish_reason"], "tool_calls", "{out:#}");
    let call = &plain["calls"][0];
    assert_eq!(plain["calls"].as_array().unwrap().len(), 1);
    assert!(s(&call["id"]).starts_with("call_"), "{call}");
    assert_eq!(call["type"], "function");
    assert_eq!(call["name"], "get_weather");
    let args: Value = serde_json::from_str(s(&call["arguments"])).unwrap();
    assert_eq!(args, serde_json::json!({"city": "harmony-test"}));
    // Both reasoning spellings by default, read through the SDK's extra fields.
    assert_eq!(
        plain["reasoning"]["reasoning_content"],
        "I need to call get_weather to answer."
    );
    assert_eq!(
        plain["reasoning"]["reasoning"],
        "I need to call get_weather to answer."
    );
    assert!(plain["usage"]["prompt_tokens"].as_u64().unwrap() > 50);
    assert!(plain["usage"]["completion_tokens"].as_u64().unwrap() > 0);

    assert_eq!(out["answer"]["finish_reason"], "stop");
    assert_eq!(out["answer"]["content"], format!("{QUOTE}{RESULT}"));

    let stream = &out["stream"];
    assert_eq!(
        stream["finish"],
        serde_json::json!(["tool_calls"]),
        "{stream:#}"
    );
    assert_eq!(
        stream["reasoning"]["reasoning_content"],
        "I need to call get_weather to answer."
    );
    let streamed = &stream["calls"]["0"];
    assert_eq!(stream["calls"].as_object().unwrap().len(), 1, "{stream:#}");
    assert!(s(&streamed["id"]).starts_with("call_"));
    assert_eq!(streamed["name"], "get_weather");
    assert_eq!(streamed["arguments"], call["arguments"]);
    assert!(
        streamed["pieces"].as_u64().unwrap() >= 2,
        "arguments stream as they are generated: {streamed}"
    );
    assert!(stream["usage"]["prompt_tokens"].as_u64().unwrap() > 50);

    let acc = &out["accumulated"];
    assert_eq!(acc["finish_reason"], "tool_calls", "{acc:#}");
    assert_eq!(acc["calls"][0]["name"], "get_weather");
    assert_eq!(acc["calls"][0]["arguments"], call["arguments"]);
    let kinds: Vec<&str> = acc["event_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    assert!(
        kinds.contains(&"tool_calls.function.arguments.delta"),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"tool_calls.function.arguments.done"),
        "{kinds:?}"
    );
    assert_eq!(
        out["accumulated_answer"]["deltas"],
        format!("{QUOTE}{RESULT}")
    );
    assert_eq!(
        out["accumulated_answer"]["content"],
        format!("{QUOTE}{RESULT}")
    );

    // The tool result went into the prompt as harmony's tool message, and the first
    // turn's reasoning was kept before the call (the drop rule keeps it until a final).
    let prompts = completion_prompts(&upstream, kind);
    assert_result_in_a_prompt(&prompts, RESULT);
    assert!(
        prompts.iter().any(|p| p.contains(
            "<|start|>assistant<|channel|>analysis<|message|>I need to call get_weather to answer.<|end|>"
        )),
        "the reasoning came back in: {prompts:#?}"
    );
}

async fn openai_python_responses_through(kind: UpstreamKind) {
    if !python_has("openai").await {
        return missing("the openai Python package", "python3 -m pip install openai");
    }
    let upstream = fake().start().await.unwrap();
    let base = gateway_of_kind(&upstream, kind).await;
    let out = python_json("openai_client.py", &[&base, "responses"]).await;
    assert!(out.get("sdk_error").is_none(), "{out:#}");

    let plain = &out["plain"];
    assert_eq!(plain["status"], "completed", "{out:#}");
    assert_eq!(
        plain["item_types"],
        serde_json::json!(["reasoning", "function_call"])
    );
    let call = &plain["calls"][0];
    assert!(s(&call["call_id"]).starts_with("call_"), "{call}");
    assert_eq!(call["name"], "get_weather");
    let args: Value = serde_json::from_str(s(&call["arguments"])).unwrap();
    assert_eq!(args["city"], "harmony-test");
    assert!(plain["usage"]["input_tokens"].as_u64().unwrap() > 50);

    assert_eq!(out["answer"]["status"], "completed");
    assert_eq!(out["answer"]["output_text"], format!("{QUOTE}{RESULT}"));

    let stream = &out["stream"];
    let types: Vec<&str> = stream["types"].as_array().unwrap().iter().map(s).collect();
    assert_eq!(types.first(), Some(&"response.created"), "{types:?}");
    assert_eq!(types.get(1), Some(&"response.in_progress"), "{types:?}");
    assert_eq!(types.last(), Some(&"response.completed"), "{types:?}");
    for t in [
        "response.reasoning_text.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.added",
        "response.output_item.done",
    ] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
    assert_eq!(stream["arguments"], call["arguments"]);
    assert_eq!(stream["reasoning"], "I need to call get_weather to answer.");
    let seqs: Vec<u64> = stream["sequence_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().expect("every event has a sequence_number"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let done_call = stream["done_items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .expect("a function_call item done");
    assert!(s(&done_call["call_id"]).starts_with("call_"));
    assert_eq!(done_call["arguments"], call["arguments"]);

    assert_eq!(out["accumulated"]["status"], "completed");
    assert_eq!(out["accumulated"]["deltas"], format!("{QUOTE}{RESULT}"));
    assert_eq!(
        out["accumulated"]["output_text"],
        format!("{QUOTE}{RESULT}")
    );
    let acc_call = &out["accumulated_call"][0];
    assert_eq!(acc_call["name"], "get_weather", "{out:#}");
    assert!(s(&acc_call["call_id"]).starts_with("call_"));

    // With `include: ["reasoning.encrypted_content"]` and the readable text removed,
    // the chain of thought still comes back: the last prompt (that turn's second
    // request) has the analysis before the call.
    assert_eq!(out["encrypted"]["has_blob"], true, "{out:#}");
    assert_eq!(out["encrypted"]["output_text"], format!("{QUOTE}{RESULT}"));
    let prompts = completion_prompts(&upstream, kind);
    let last = prompts.last().unwrap();
    assert!(
        last.contains("<|start|>assistant<|channel|>analysis<|message|>I need to call get_weather to answer.<|end|>"),
        "the reasoning came back from encrypted_content: {last}"
    );
    assert_result_in_a_prompt(&prompts, RESULT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ollama_python_chat() {
    if !python_has("ollama").await {
        return missing("the ollama Python package", "python3 -m pip install ollama");
    }
    let upstream = fake().start().await.unwrap();
    let base = gateway(&upstream).await;
    let out = python_json("ollama_client.py", &[&base]).await;
    assert!(out.get("error").is_none(), "{out:#}");

    let plain = &out["plain"];
    assert_eq!(plain["done"], true, "{out:#}");
    assert_eq!(plain["calls"][0]["name"], "get_weather");
    assert_eq!(plain["calls"][0]["arguments"]["city"], "harmony-test");
    assert_eq!(plain["thinking"], "I need to call get_weather to answer.");
    // The reasoning stays out of the answer.
    assert!(!plain["content"]
        .as_str()
        .unwrap_or("")
        .contains("I need to call"));

    assert_eq!(
        out["answer"]["content"],
        format!("{QUOTE}{{\"temp_c\": 18}}")
    );

    let stream = &out["stream"];
    assert_eq!(
        stream["thinking"], "I need to call get_weather to answer.",
        "{stream:#}"
    );
    assert_eq!(stream["calls"].as_array().unwrap().len(), 1, "{stream:#}");
    assert_eq!(stream["calls"][0]["name"], "get_weather");
    assert_eq!(stream["calls"][0]["arguments"]["city"], "harmony-test");
    assert_eq!(stream["done"].as_array().unwrap().len(), 1);
    assert_eq!(out["stream_answer"], format!("{QUOTE}{{\"temp_c\": 18}}"));

    // The gateway rendered the prompt and drove /api/generate, never /api/chat.
    assert!(upstream.received().iter().all(|r| r.path != "/api/chat"));
    assert_result_in_a_prompt(&prompts(&upstream), r#"{"temp_c": 18}"#);
}

/// Whether `codex` runs here.
async fn codex_installed() -> bool {
    tokio::process::Command::new("codex")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_exec_runs_a_shell_command_through_the_gateway() {
    if !codex_installed().await {
        return missing("Codex CLI", "npm install -g @openai/codex");
    }
    // The command prints a word that appears in neither the command nor the prompt, so
    // the answer can only quote it if Codex really ran it.
    let upstream = fake()
        .agent(harmony_ollama::testing::Agent::new().command("printf %s-%s harmony codex"))
        .start()
        .await
        .unwrap();
    let key = "codex-test-key";
    let base = gateway_with(&upstream.url(), |c| c.api_key = Some(key.into())).await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let template =
        std::fs::read_to_string(support::clients_dir().join("codex/config.toml")).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        template.replace("BASE_URL", &format!("{base}/v1")),
    )
    .unwrap();
    let mut cmd = tokio::process::Command::new("codex");
    cmd.args([
        "exec",
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        "--color",
        "never",
        "-C",
    ])
    .arg(work.path())
    .arg("Run the command that prints the greeting, then tell me what it printed.")
    .env("CODEX_HOME", home.path())
    .env("HARMONY_TEST_KEY", key)
    .env_remove("OPENAI_API_KEY")
    .env_remove("OPENAI_BASE_URL");
    let ran = support::run(cmd, Duration::from_secs(150)).await;
    let prompts = prompts(&upstream);
    assert_eq!(
        ran.code,
        Some(0),
        "codex failed\nstdout: {}\nstderr: {}\nprompts: {prompts:#?}",
        ran.stdout,
        ran.stderr
    );
    assert!(
        ran.stdout.contains(QUOTE) && ran.stdout.contains("harmony-codex"),
        "Codex's answer quotes the command's output\nstdout: {}\nstderr: {}\nprompts: {prompts:#?}",
        ran.stdout,
        ran.stderr
    );
    // Two model turns: the call, then the answer after the tool's output.
    assert!(prompts.len() >= 2, "{prompts:#?}");
    let first = &prompts[0];
    assert!(
        first.contains("namespace functions {"),
        "Codex declared its tools: {first}"
    );
    // Codex declares its shell as `exec_command(cmd: string, ...)`; the agent called it
    // with the command, and Codex's own report of the run (exit code, output) came back
    // as harmony's tool message.
    assert!(
        first.contains("type exec_command = (_: {"),
        "Codex's shell tool: {first}"
    );
    let last = prompts.last().unwrap();
    assert!(
        last.contains(r#"to=functions.exec_command<|channel|>commentary <|constrain|>json<|message|>{"cmd":"printf %s-%s harmony codex"}<|call|>"#),
        "the call is in the history: {last}"
    );
    let result = last
        .split("<|start|>functions.exec_command to=assistant<|channel|>commentary<|message|>")
        .nth(1)
        .and_then(|r| r.split("<|end|>").next())
        .unwrap_or_else(|| panic!("no tool message from exec_command: {last}"));
    assert!(
        result.contains("Process exited with code 0") && result.contains("harmony-codex"),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_openai_crate_streams_a_tool_call() {
    use async_openai::config::OpenAIConfig;
    use async_openai::types::chat::{
        ChatCompletionRequestUserMessageArgs, ChatCompletionTool, ChatCompletionTools,
        CreateChatCompletionRequestArgs, FunctionObjectArgs,
    };
    use futures_util::StreamExt;

    let upstream = fake().start().await.unwrap();
    let base = gateway(&upstream).await;
    let client = async_openai::Client::with_config(
        OpenAIConfig::new()
            .with_api_base(format!("{base}/v1"))
            .with_api_key("sk-test"),
    );
    let request = CreateChatCompletionRequestArgs::default()
        .model(MODEL)
        .stream(true)
        .messages([ChatCompletionRequestUserMessageArgs::default()
            .content("What is the weather in Paris?")
            .build()
            .unwrap()
            .into()])
        .tools(vec![ChatCompletionTools::Function(ChatCompletionTool {
            function: FunctionObjectArgs::default()
                .name("get_weather")
                .description("Weather in a city")
                .parameters(serde_json::json!({"type": "object",
                    "properties": {"city": {"type": "string"}}, "required": ["city"]}))
                .build()
                .unwrap(),
        })])
        .build()
        .unwrap();
    let mut stream = client.chat().create_stream(request).await.unwrap();
    let (mut id, mut name, mut arguments, mut pieces, mut finish) =
        (String::new(), String::new(), String::new(), 0, Vec::new());
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("every chunk parses");
        for choice in chunk.choices {
            if let Some(reason) = choice.finish_reason {
                finish.push(format!("{reason:?}"));
            }
            for call in choice.delta.tool_calls.unwrap_or_default() {
                assert_eq!(call.index, 0);
                if let Some(i) = call.id {
                    id = i;
                }
                if let Some(f) = call.function {
                    if let Some(n) = f.name {
                        name = n;
                    }
                    if let Some(a) = f.arguments {
                        arguments.push_str(&a);
                        pieces += 1;
                    }
                }
            }
        }
    }
    assert!(id.starts_with("call_"), "{id}");
    assert_eq!(name, "get_weather");
    let args: Value = serde_json::from_str(&arguments).unwrap();
    assert_eq!(args, serde_json::json!({"city": "harmony-test"}));
    assert!(pieces >= 2, "arguments in pieces: {pieces}");
    assert_eq!(finish, ["ToolCalls"]);
}
