//! With an API key, neither the operator page nor its streams nor /metrics answer
//! without it; the page takes it as `?key=` (browsers cannot send headers from
//! EventSource). `--no-ui` (config.ui = false) removes the page.

mod ui_common;

use harmony_ollama::testing::FakeOllama;
use harmony_server::ServeConfig;
use ui_common::gateway;

async fn get(url: &str, bearer: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new().get(url);
    if let Some(key) = bearer {
        req = req.bearer_auth(key);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn page_streams_and_metrics_need_the_key() {
    let upstream = FakeOllama::start([]).await.unwrap();
    let config = ServeConfig {
        api_key: Some("s3cret/+ key".into()),
        ..ServeConfig::default()
    };
    let (base, _state) = gateway(&upstream, config).await;
    for path in ["/ui", "/ui/events", "/ui/turns/1/events", "/metrics"] {
        assert_eq!(get(&format!("{base}{path}"), None).await, 401, "{path}");
        assert_eq!(
            get(&format!("{base}{path}?key=wrong"), None).await,
            401,
            "{path}"
        );
        assert_eq!(
            get(&format!("{base}{path}"), Some("wrong")).await,
            401,
            "{path}"
        );
    }
    // The key in the query, percent-encoded as the page sends it.
    let key = "?key=s3cret%2F%2B%20key";
    assert_eq!(get(&format!("{base}/ui{key}"), None).await, 200);
    assert_eq!(get(&format!("{base}/ui/events{key}"), None).await, 200);
    // A turn that does not exist: past the key check, then not found.
    assert_eq!(
        get(&format!("{base}/ui/turns/1/events{key}"), None).await,
        404
    );
    // The query key is for the page only, not for the API or /metrics.
    assert_eq!(get(&format!("{base}/metrics{key}"), None).await, 401);
    assert_eq!(get(&format!("{base}/v1/models{key}"), None).await, 401);
    assert_eq!(
        get(&format!("{base}/metrics"), Some("s3cret/+ key")).await,
        200
    );
    assert_eq!(get(&format!("{base}/ui"), Some("s3cret/+ key")).await, 200);
    // Refused requests are counted, under their route.
    let metrics = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth("s3cret/+ key")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "harmony_requests_total{route=\"/ui/events\",protocol=\"other\",status=\"401\"} 3"
        ),
        "{metrics}"
    );
    // The two static files hold no data and are the same for everyone.
    assert_eq!(get(&format!("{base}/ui/app.js"), None).await, 200);
    assert_eq!(get(&format!("{base}/ui/style.css"), None).await, 200);
}

#[tokio::test]
async fn page_sets_a_restrictive_csp() {
    let upstream = FakeOllama::start([]).await.unwrap();
    let (base, _state) = gateway(&upstream, ServeConfig::default()).await;
    let resp = reqwest::get(format!("{base}/ui")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = resp.text().await.unwrap();
    // No inline script or style: the policy would block it, and there must be none.
    assert!(html.contains("<script src=\"/ui/app.js\""));
    assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains(" style="));
    let js = reqwest::get(format!("{base}/ui/app.js"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !js.contains("innerHTML") && !js.contains("insertAdjacentHTML") && !js.contains("eval(")
    );
}

#[tokio::test]
async fn no_ui_turns_the_page_off() {
    let upstream = FakeOllama::start([]).await.unwrap();
    let config = ServeConfig {
        ui: false,
        ..ServeConfig::default()
    };
    let (base, _state) = gateway(&upstream, config).await;
    for path in ["/ui", "/ui/events", "/ui/app.js"] {
        assert_eq!(get(&format!("{base}{path}"), None).await, 404, "{path}");
    }
    // Metrics stay for Prometheus.
    assert_eq!(get(&format!("{base}/metrics"), None).await, 200);
}
