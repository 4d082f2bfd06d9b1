//! Representative manifests shaped like NVIDIA's samples load into our types and serialize back
//! without losing a field.

use std::collections::BTreeSet;
use std::path::PathBuf;

use nim_types::{NIMBuild, NIMCache, NIMPipeline, NIMService};
use serde_json::Value;

fn samples() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            (name, serde_saphyr::from_str::<Value>(&text).unwrap())
        })
        .collect()
}

/// Every leaf as `path=value`, numbers and strings alike rendered as text (a Quantity given as
/// `1` serializes back as `"1"`, which the apiserver treats the same).
fn leaves(v: &Value, path: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| leaves(c, &format!("{path}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| leaves(c, &format!("{path}/{i}"), out)),
        Value::String(s) => {
            out.insert(format!("{path}={s}"));
        }
        other => {
            out.insert(format!("{path}={other}"));
        }
    }
}

fn reserialize(kind: &str, v: &Value) -> Value {
    fn go<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Value {
        let typed: T =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("does not load: {e}"));
        serde_json::to_value(&typed).unwrap()
    }
    match kind {
        "NIMCache" => go::<NIMCache>(v),
        "NIMService" => go::<NIMService>(v),
        "NIMPipeline" => go::<NIMPipeline>(v),
        "NIMBuild" => go::<NIMBuild>(v),
        other => panic!("unexpected kind {other}"),
    }
}

#[test]
fn samples_cover_every_kind_and_feature() {
    let names: Vec<String> = samples().into_iter().map(|(n, _)| n).collect();
    for needed in [
        "nimcache-ngc",
        "nimcache-hf",
        "nimservice-basic",
        "nimservice-autoscaling",
        "nimservice-httproute",
        "nimservice-grpcroute",
        "nimservice-router-ingress",
        "nimservice-multinode",
        "nimservice-dra",
        "nimservice-epp",
        "nimservice-kserve",
        "nimpipeline-rag",
        "nimbuild",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(needed)),
            "missing sample {needed}"
        );
    }
}

#[test]
fn every_sample_round_trips_without_losing_a_field() {
    for (name, original) in samples() {
        let kind = original["kind"].as_str().unwrap().to_string();
        let back = reserialize(&kind, &original);
        let (mut before, mut after) = (BTreeSet::new(), BTreeSet::new());
        leaves(&original, "", &mut before);
        leaves(&back, "", &mut after);
        let lost: Vec<&String> = before.difference(&after).collect();
        assert!(lost.is_empty(), "{name} lost fields: {lost:?}");
        let added: Vec<&String> = after.difference(&before).collect();
        assert!(
            added.is_empty(),
            "{name} gained fields (we must not invent values for SSA): {added:?}"
        );
        // And a second trip is a fixed point.
        assert_eq!(reserialize(&kind, &back), back, "{name} is not stable");
    }
}

#[test]
fn unknown_fields_are_tolerated_on_read() {
    // A newer operator version may add fields; reading them must not fail a watch.
    let v = serde_json::json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "x"},
        "spec": {"image": {"repository": "r", "tag": "1"}, "futureField": {"a": 1}}
    });
    let svc: NIMService = serde_json::from_value(v).unwrap();
    assert_eq!(svc.spec.image.tag, "1");
}
