//! Property tests: parsing a payload and checking its signature never panic, whatever the bytes,
//! and a signature only verifies the exact body it was made for.

mod support;

use proptest::prelude::*;
use relay_server::webhooks::{WebhookSecret, parse};

const EVENTS: &[&str] = &[
    "ping",
    "push",
    "pull_request",
    "pull_request_review",
    "check_run",
    "check_suite",
    "workflow_run",
    "issues",
    "star",
    "",
];

fn event() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(EVENTS).prop_map(str::to_owned),
        ".{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(event in event(), body in proptest::collection::vec(any::<u8>(), 0..512),
                                   header in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = parse(&event, &body);
        let secret = WebhookSecret::new("s").unwrap();
        prop_assert!(secret.verify(&body, Some(&header)).is_err() || header == secret.sign(&body).as_bytes());
        prop_assert!(secret.verify(&body, None).is_err());
    }

    #[test]
    fn a_changed_byte_of_a_real_payload_breaks_the_signature_and_never_panics(
        index in any::<prop::sample::Index>(), byte in any::<u8>(), secret in proptest::collection::vec(any::<u8>(), 1..64)
    ) {
        let body = support::push_payload("shared-api", "main", "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
        let secret = WebhookSecret::new(&secret).unwrap();
        let signature = secret.sign(&body);
        prop_assert!(secret.verify(&body, Some(signature.as_bytes())).is_ok());
        prop_assert!(parse("push", &body).is_ok());
        let mut changed = body;
        let i = index.index(changed.len());
        prop_assume!(changed[i] != byte);
        changed[i] = byte;
        prop_assert!(secret.verify(&changed, Some(signature.as_bytes())).is_err());
        let _ = parse("push", &changed);
        let _ = parse("check_suite", &changed);
    }

    #[test]
    fn structurally_valid_json_of_any_shape_never_panics(event in event(), json in arbitrary_json()) {
        let body = serde_json::to_vec(&json).unwrap();
        let _ = parse(&event, &body);
    }
}

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
        Just(Value::String("refs/heads/main".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = proptest::sample::select(
            &[
                "ref",
                "before",
                "after",
                "repository",
                "full_name",
                "action",
                "check_suite",
                "conclusion",
                "head_branch",
                "pull_request",
                "number",
                "issue",
                "labels",
                "name",
            ][..],
        );
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys.prop_map(str::to_owned), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
