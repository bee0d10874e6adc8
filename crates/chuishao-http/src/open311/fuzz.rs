//! Fuzz harness (stable Rust, proptest) over what Open311 reads from strangers: query and form
//! pairs, W3C dates, the typed inputs built from them, multipart bodies (text fields and
//! `media` parts through the upload reader and the photo pipeline), and tracking codes and tokens. Each input is
//! parsed or refused — never a panic or a hang. `bench/fuzz.sh` runs it for minutes
//! (`CHUISHAO_FUZZ_CASES`); the normal test run does a short pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::params::{self, Params, parse_pairs, parse_w3c};
use axum::body::Body;
use axum::extract::Request;
use chuishao_domain::ids::TrackingCode;
use proptest::prelude::*;

/// Cases per harness: `CHUISHAO_FUZZ_CASES`, else a short pass.
fn cases() -> u32 {
    std::env::var("CHUISHAO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

/// Parameter names Open311 reads, so the typed parsers see them often.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("service_code".to_string()),
        Just("lat".into()),
        Just("long".into()),
        Just("address_string".into()),
        Just("description".into()),
        Just("attribute[HAZARD]".into()),
        Just("attribute[x".into()),
        Just("media_url".into()),
        Just("service_request_id".into()),
        Just("status".into()),
        Just("start_date".into()),
        Just("end_date".into()),
        Just("page".into()),
        Just("page_size".into()),
        Just("update_id".into()),
        "\\PC{0,12}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{0,20}(\\.[0-9]{0,20})?(e[0-9]{0,4})?",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?(Z|[+-][0-9]{2}:[0-9]{2}))?",
        Just("NaN".to_string()),
        Just("inf".into()),
        Just("-9223372036854775808".into()),
        "[A-Za-z0-9,]{0,40}",
        "\\PC{0,40}",
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

/// A multipart body from parts: (name, optional file name, bytes), with `boundary`.
fn multipart(boundary: &str, parts: &[(String, Option<String>, Vec<u8>)], tail: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, file, data) in parts {
        out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(f) = file {
            out.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: image/png").as_bytes());
        }
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out.extend_from_slice(tail);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn query_strings_and_dates_never_panic(raw in "\\PC{0,120}", date in value()) {
        let _ = parse_pairs(&raw);
        let _ = parse_w3c(&date);
        let _ = parse_w3c(&raw);
    }

    #[test]
    fn typed_inputs_are_built_or_refused(pairs in proptest::collection::vec((name(), value()), 0..12)) {
        let p = Params(pairs);
        let _ = params::new_request(&p);
        let _ = params::request_filter(&p);
        let _ = params::update_window(&p);
        let _ = params::new_update(&p);
    }

    #[test]
    fn tracking_codes_and_tokens_never_panic(s in "\\PC{0,40}", code in "[0-9A-Za-z -]{0,16}") {
        let _ = TrackingCode::parse(&s);
        if let Some(c) = TrackingCode::parse(&code) {
            prop_assert_eq!(TrackingCode::parse(c.as_str()).map(|again| again.as_str().to_string()), Some(c.as_str().to_string()));
        }
        let _ = chuishao_app::admin::auth::token_hash(&s);
    }

    #[test]
    fn multipart_bodies_are_read_or_refused(
        boundary in "[A-Za-z0-9'()+_,./:=?-]{1,40}",
        parts in proptest::collection::vec((name(), proptest::option::of("[a-z.]{0,12}"), proptest::collection::vec(any::<u8>(), 0..64)), 0..5),
        tail in proptest::collection::vec(any::<u8>(), 0..32),
        cut in any::<usize>(),
        header_boundary in proptest::option::of("[A-Za-z0-9]{1,8}"),
        strict in any::<bool>(),
    ) {
        let mut body = multipart(&boundary, &parts, &tail);
        if cut % 3 == 0 && !body.is_empty() {
            body.truncate(cut % body.len());
        }
        let ct = format!("multipart/form-data; boundary={}", header_boundary.unwrap_or(boundary));
        let req = Request::builder().method("POST").uri("/open311/v2/requests.json").header("content-type", ct)
            .body(Body::from(body)).expect("a request");
        let (parts, body) = req.into_parts();
        let read = runtime().block_on(crate::upload::read_multipart(&parts, body, "media", strict, async |_: &[(String, String)]| {
            Ok::<(), ()>(())
        }));
        // What was read goes through the photo pipeline, as Open311 does.
        if let Ok(upload) = read {
            for f in upload.files {
                let _ = chuishao_app::residents::photos::clean(&f);
            }
        }
    }
}
