//! The bearer token, the OAuth 2.0 client secret and the tokens it gets never reach a log. The
//! client records `tracing` spans and events; the libraries under it (reqwest through `log`,
//! hyper and h2 through `tracing`) log too, so this test binary installs a recorder for both at
//! the most verbose level, makes calls that succeed, fail, redirect, fetch a token, are refused
//! with 401 and meet a failing token endpoint, and searches every record.
//!
//! It is a test binary of its own because a logger is global to the process.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use phasetwo_client::models::MagicLinkRepresentation;
use phasetwo_client::{Client, ClientCredentials};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-LOGGED-NEVER-5c";
const CLIENT_SECRET: &str = "secret-LOGGED-NEVER-7d";
const ISSUED_TOKEN: &str = "issued-LOGGED-NEVER-8e";

/// Every record either logging system delivered, as text.
fn records() -> &'static Mutex<Vec<String>> {
    static RECORDS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    RECORDS.get_or_init(|| Mutex::new(Vec::new()))
}

fn keep(record: String) {
    records().lock().expect("records").push(record);
}

struct LogRecorder;

impl log::Log for LogRecorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        keep(format!("log {} {}: {}", record.level(), record.target(), record.args()));
    }

    fn flush(&self) {}
}

struct TracingRecorder {
    next_span: AtomicU64,
}

/// Writes every field of an event or span as `name=value`.
struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl tracing::Subscriber for TracingRecorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields(format!("span {}:", span.metadata().name()));
        span.record(&mut fields);
        keep(fields.0);
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut fields = Fields("span record:".to_owned());
        values.record(&mut fields);
        keep(fields.0);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(format!("tracing {} {}:", event.metadata().level(), event.metadata().target()));
        event.record(&mut fields);
        keep(fields.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn the_token_appears_in_no_log_or_tracing_record() {
    log::set_logger(&LogRecorder).expect("the only logger in this binary");
    log::set_max_level(log::LevelFilter::Trace);
    tracing::subscriber::set_global_default(TracingRecorder { next_span: AtomicU64::new(1) })
        .expect("the only subscriber in this binary");

    let target = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("[]")).mount(&target).await;
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400).set_body_string("bad")).mount(&server).await;
    Mock::given(wiremock::matchers::path("/r/users/redirected/orgs"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/elsewhere", target.uri())))
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500).set_body_string("boom")).mount(&server).await;
    let client = Client::builder()
        .base_url(server.uri())
        .bearer_token(TOKEN)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");

    let magic_link = MagicLinkRepresentation::new("ada@example.com", "app", "https://app.example.com/");
    let documented = client.create_magic_link("r", &magic_link).await.expect_err("400");
    let unexpected = client.realm_users_user_id_orgs_get("r", "u").await.expect_err("500");
    let redirected = client.realm_users_user_id_orgs_get("r", "redirected").await.expect("followed");
    let refused = Client::builder()
        .base_url("http://127.0.0.1:1")
        .bearer_token(TOKEN)
        .build()
        .expect("client")
        .realm_users_user_id_orgs_get("r", "u")
        .await
        .expect_err("nothing listens on port 1");
    assert!(redirected.is_empty());

    // Client credentials: a token fetched, refused once with 401, fetched again; then a token
    // endpoint that refuses the client and echoes its secret.
    let keycloak = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/realms/r/protocol/openid-connect/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": ISSUED_TOKEN, "expires_in": 300})),
        )
        .mount(&keycloak)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("refused"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&keycloak)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("[]")).mount(&keycloak).await;
    let realms = format!("{}/realms", keycloak.uri());
    let credentials = ClientCredentials::keycloak(&realms, "r", "svc", CLIENT_SECRET);
    let renewing = Client::builder().base_url(&realms).client_credentials(credentials).build().expect("client");
    renewing.realm_users_user_id_orgs_get("r", "u").await.expect("a token, a 401, a new token");
    let broken = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!("wrong secret {CLIENT_SECRET}")))
        .mount(&broken)
        .await;
    let realms = format!("{}/realms", broken.uri());
    let credentials = ClientCredentials::keycloak(&realms, "r", "svc", CLIENT_SECRET);
    let token_refused = Client::builder()
        .base_url(&realms)
        .client_credentials(credentials)
        .build()
        .expect("client")
        .realm_users_user_id_orgs_get("r", "u")
        .await
        .expect_err("the token endpoint refuses");

    let records = records().lock().expect("records").clone();
    // The recorders work: reqwest's connection log names the server it connects to.
    let port = server.address().port().to_string();
    assert!(
        records.iter().any(|r| r.starts_with("log ") && r.contains(&port)),
        "no `log` record mentions the server, so this test would prove nothing: {records:#?}"
    );
    assert!(records.len() > 3, "too few records to prove anything: {records:#?}");
    assert!(
        records.iter().any(|r| r.contains("fetching an access token")),
        "the client's own records are not there, so this test would prove nothing: {records:#?}"
    );
    for record in &records {
        for secret in [TOKEN, CLIENT_SECRET, ISSUED_TOKEN] {
            assert!(!record.contains(secret), "a secret was logged: {record}");
        }
    }
    for error in [documented, unexpected, refused, token_refused] {
        let text = format!("{error} {error:?} {error:#?}");
        for secret in [TOKEN, CLIENT_SECRET, ISSUED_TOKEN] {
            assert!(!text.contains(secret), "a secret is in an error: {text}");
        }
    }
}
