//! Configuration from an injected environment (the process environment is never touched).

use harmony_ollama::{Channel, ChatMode, ClientBuilder, Config, ConfigError, ReasoningEffort};

fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn defaults_when_nothing_is_set() {
    let c = Config::from_lookup(env(&[])).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.host, "http://127.0.0.1:11434");
    assert_eq!(c.mode, ChatMode::Standard);
}

#[test]
fn every_variable_is_read() {
    let c = Config::from_lookup(env(&[
        ("OLLAMA_HOST", "http://gpu:8000"),
        ("HARMONY_MODE", "Enabled"),
        ("HARMONY_CHANNELS", "final,commentary"),
        ("HARMONY_REASONING_EFFORT", "low"),
    ]))
    .unwrap();
    assert_eq!(c.host, "http://gpu:8000");
    assert_eq!(c.mode, ChatMode::Harmony);
    assert!(c.channels.contains(Channel::Final) && !c.channels.contains(Channel::Analysis));
    assert_eq!(c.reasoning_effort, Some(ReasoningEffort::Low));
}

#[test]
fn rollout_flag_and_precedence() {
    assert_eq!(
        Config::from_lookup(env(&[("ENABLE_HARMONY_FORMAT", "true")]))
            .unwrap()
            .mode,
        ChatMode::Harmony
    );
    assert_eq!(
        Config::from_lookup(env(&[("ENABLE_HARMONY_FORMAT", "0")]))
            .unwrap()
            .mode,
        ChatMode::Standard
    );
    // HARMONY_MODE wins over the rollout flag.
    let c = Config::from_lookup(env(&[
        ("HARMONY_MODE", "disabled"),
        ("ENABLE_HARMONY_FORMAT", "true"),
    ]))
    .unwrap();
    assert_eq!(c.mode, ChatMode::Standard);
    // Empty counts as unset.
    assert_eq!(
        Config::from_lookup(env(&[("HARMONY_MODE", " ")]))
            .unwrap()
            .mode,
        ChatMode::Standard
    );
}

#[test]
fn invalid_values_name_the_variable_and_the_allowed_values() {
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static str,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            &[("HARMONY_MODE", "maybe")],
            "HARMONY_MODE",
            "enabled, disabled",
        ),
        (
            &[("ENABLE_HARMONY_FORMAT", "yes")],
            "ENABLE_HARMONY_FORMAT",
            "true, false",
        ),
        (
            &[("HARMONY_CHANNELS", "analysis,thoughts")],
            "HARMONY_CHANNELS",
            "all, or a comma-separated list of analysis, commentary, final",
        ),
        (
            &[("HARMONY_REASONING_EFFORT", "extreme")],
            "HARMONY_REASONING_EFFORT",
            "low, medium, high",
        ),
    ];
    for (vars, var, allowed) in cases {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let err =
            Config::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
                .unwrap_err();
        match &err {
            ConfigError::InvalidEnv {
                var: v, allowed: a, ..
            } => assert_eq!((v, a), (var, allowed)),
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().starts_with(var));
    }
    assert!(matches!(
        Config::from_lookup(env(&[("OLLAMA_HOST", "host:notaport")])),
        Err(ConfigError::InvalidHost { .. })
    ));
}

#[test]
fn builder_overrides_the_environment() {
    let config =
        Config::from_lookup(env(&[("HARMONY_MODE", "enabled"), ("OLLAMA_HOST", "a:1")])).unwrap();
    let client = ClientBuilder::new()
        .config(config)
        .mode(ChatMode::Standard)
        .host("b:2")
        .build()
        .unwrap();
    assert_eq!(client.config().mode, ChatMode::Standard);
    assert_eq!(client.host(), "http://b:2");
}

#[test]
fn https_needs_the_tls_feature() {
    let r = ClientBuilder::new().host("https://ollama.example").build();
    assert_eq!(r.is_err(), !cfg!(feature = "rustls-tls"));
}
