//! A generated call against the same request made with bare reqwest + serde_json, on one local
//! server, alternating the two so that machine noise hits both alike. Run by `cargo xtask bench`.

use features_client::models::Item;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index].as_secs_f64() * 1e6
}

fn item(extra_entries: usize) -> serde_json::Value {
    let extra: serde_json::Map<String, serde_json::Value> =
        (0..extra_entries).map(|i| (format!("key{i:07}"), serde_json::Value::String("v".repeat(16)))).collect();
    serde_json::json!({"id": 1, "name": "lamp", "kind": "tool", "shape": {"type": "circle", "radius": 2.0}, "extra": extra})
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let quick = std::env::var_os("CLIENT_OVERHEAD_QUICK").is_some();
    // Recording every request would grow the server's memory through the run, and its
    // reallocations would land in the tail of whichever call was under way.
    let server = MockServer::builder().disable_request_recording().start().await;
    let small = serde_json::to_vec(&item(2)).expect("json");
    let large = serde_json::to_vec(&item(30_000)).expect("json");
    for (id, body) in [(1, &small), (2, &large)] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/items/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
            .mount(&server)
            .await;
    }
    let http = reqwest::Client::new();
    let base = format!("{}/v1", server.uri());
    let client = features_client::Client::builder().base_url(&base).http_client(http.clone()).build().expect("client");

    let mut report = Vec::new();
    println!("| response | calls | generated median µs | bare median µs | median ratio | generated p99 µs | bare p99 µs | p99 ratio | bare again vs bare: median / p99 |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (label, id, size, calls) in [
        ("small", 1i64, small.len(), if quick { 1000 } else { 10_000 }),
        ("1 MB", 2, large.len(), if quick { 20 } else { 200 }),
    ] {
        let url = format!("{base}/items/{id}");
        let generated = || async {
            let started = Instant::now();
            let item =
                client.get_item(id, "x", None, None, None, None, "trace", None, None).await.expect("generated call");
            std::hint::black_box(item);
            started.elapsed()
        };
        let bare = || async {
            let started = Instant::now();
            let response = http
                .get(&url)
                .query(&[("q", "x")])
                .header("X-Trace", "trace")
                .header("Accept", "application/json")
                .send()
                .await
                .expect("bare call");
            let bytes = response.bytes().await.expect("body");
            let item: Item = serde_json::from_slice(&bytes).expect("decode");
            std::hint::black_box(item);
            started.elapsed()
        };
        for _ in 0..calls / 10 {
            generated().await;
            bare().await;
        }
        // A third arm, bare reqwest again: how far two identical clients differ in this run is
        // the noise any ratio above has to be read against.
        let mut samples = [Vec::with_capacity(calls), Vec::with_capacity(calls), Vec::with_capacity(calls)];
        for i in 0..calls {
            // Rotate which goes first, so none always gets the warmer connection.
            for arm in (0..3).map(|k| (i + k) % 3) {
                samples[arm].push(if arm == 0 { generated().await } else { bare().await });
            }
        }
        let [mut ours, mut theirs, mut again] = samples;
        let (our_median, bare_median) = (percentile(&mut ours, 0.5), percentile(&mut theirs, 0.5));
        let (our_p99, bare_p99) = (percentile(&mut ours, 0.99), percentile(&mut theirs, 0.99));
        let (again_median, again_p99) = (percentile(&mut again, 0.5), percentile(&mut again, 0.99));
        println!(
            "| {label} ({size} bytes) | {calls} | {our_median:.0} | {bare_median:.0} | {:.3} | {our_p99:.0} | {bare_p99:.0} | {:.3} | {:.3} / {:.3} |",
            our_median / bare_median,
            our_p99 / bare_p99,
            again_median / bare_median,
            again_p99 / bare_p99
        );
        report.push(serde_json::json!({"response": label, "bytes": size, "calls": calls,
            "generated_median_us": our_median, "bare_median_us": bare_median, "median_ratio": our_median / bare_median,
            "generated_p99_us": our_p99, "bare_p99_us": bare_p99, "p99_ratio": our_p99 / bare_p99,
            "bare_again_median_ratio": again_median / bare_median, "bare_again_p99_ratio": again_p99 / bare_p99}));
    }
    println!("JSON {}", serde_json::Value::Array(report));
}
