//! Minimal, hand-written typed structs for the third-party kinds the planner emits.
//!
//! The upstream Rust crates for these APIs (`gateway-api`, `kcr_*`) are pinned to older kube /
//! k8s-openapi lines and cannot be used with kube 5, so this module carries just enough of each
//! API to render what NVIDIA's NIM operator renders, plus the fields a user would expect next to
//! them. The CRDs themselves are never installed by us (`#[kube(schema = "disabled")]`); we only
//! create objects of these kinds.
//!
//! | Rust type | apiVersion | kind |
//! |---|---|---|
//! | [`HTTPRoute`] | `gateway.networking.k8s.io/v1` | `HTTPRoute` |
//! | [`GRPCRoute`] | `gateway.networking.k8s.io/v1` | `GRPCRoute` |
//! | [`ServiceMonitor`] | `monitoring.coreos.com/v1` | `ServiceMonitor` |
//! | [`LeaderWorkerSet`] | `leaderworkerset.x-k8s.io/v1` | `LeaderWorkerSet` |
//! | [`InferencePool`] | `inference.networking.k8s.io/v1` | `InferencePool` |
//! | [`InferenceService`] | `serving.kserve.io/v1beta1` | `InferenceService` |
//! | [`ComputeDomain`] | `resource.nvidia.com/v1beta1` | `ComputeDomain` |
//!
//! Wire rules every type here follows, so that server-side apply never claims or wipes a field
//! we did not mean to set:
//!
//! * every optional field is an `Option` skipped when `None`, and every optional list or map is
//!   a `Vec` / [`BTreeMap`](std::collections::BTreeMap) skipped when empty — serialized output
//!   never contains `null` or an empty optional collection;
//! * fields the upstream CRD marks *required* are plain (non-`Option`) and always serialized;
//! * field names are camelCase as upstream; maps are `BTreeMap` for deterministic output;
//! * unknown fields are ignored on input (no `deny_unknown_fields`), and enum-like string fields
//!   use "open" enums whose `Other(String)` variant keeps values this crate does not know yet.
//!
//! ```
//! use kube::Resource;
//! use nim_types::external::{HTTPRoute, InferencePool, LeaderWorkerSet};
//!
//! assert_eq!(HTTPRoute::api_version(&()), "gateway.networking.k8s.io/v1");
//! assert_eq!(LeaderWorkerSet::plural(&()), "leaderworkersets");
//! assert_eq!(InferencePool::group(&()), "inference.networking.k8s.io");
//! ```

/// Declares an "open" string enum: the listed variants map to fixed wire strings, and any other
/// string deserializes into `Other(String)` and serializes back verbatim, so a value introduced
/// by a newer upstream release neither fails deserialization nor gets lost on a round trip.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(::serde::Serialize, ::serde::Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $wire)]
                $variant,
            )+
            /// Any value not listed above, kept verbatim.
            #[serde(untagged)]
            Other(String),
        }
    };
}

pub mod computedomain;
pub mod gateway;
pub mod grpcroute;
pub mod httproute;
pub mod inferencepool;
pub mod inferenceservice;
pub mod leaderworkerset;
pub mod servicemonitor;

pub use computedomain::*;
pub use gateway::*;
pub use grpcroute::*;
pub use httproute::*;
pub use inferencepool::*;
pub use inferenceservice::*;
pub use leaderworkerset::*;
pub use servicemonitor::*;

#[cfg(test)]
pub(crate) mod testutil {
    //! Shared assertions for the per-kind tests.

    use serde::{Serialize, de::DeserializeOwned};
    use serde_json::Value;

    /// Every `null`, `[]` and `{}` in `v`, as JSON-pointer-like paths.
    pub fn nulls_and_empties(v: &Value) -> Vec<String> {
        fn walk(v: &Value, path: &str, out: &mut Vec<String>) {
            match v {
                Value::Null => out.push(format!("{path} = null")),
                Value::Array(items) => {
                    if items.is_empty() {
                        out.push(format!("{path} = []"));
                    }
                    for (i, item) in items.iter().enumerate() {
                        walk(item, &format!("{path}/{i}"), out);
                    }
                }
                Value::Object(map) => {
                    if map.is_empty() {
                        out.push(format!("{path} = {{}}"));
                    }
                    for (k, item) in map {
                        walk(item, &format!("{path}/{k}"), out);
                    }
                }
                Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(v, "", &mut out);
        out
    }

    /// Panics if `v` contains any `null`, `[]` or `{}`.
    pub fn assert_no_null_or_empty(v: &Value) {
        let bad = nulls_and_empties(v);
        assert!(
            bad.is_empty(),
            "serialized output has null/empty values: {bad:?}\n{v:#}"
        );
    }

    /// Parses `yaml` both as raw JSON and as `T`, re-serializes `T`, and asserts nothing was
    /// lost or added. Returns the typed object.
    pub fn assert_yaml_round_trip<T: DeserializeOwned + Serialize>(yaml: &str) -> T {
        let raw: Value = serde_saphyr::from_str(yaml).expect("fixture is valid YAML");
        let typed: T = serde_saphyr::from_str(yaml).expect("fixture deserializes into the type");
        let back = serde_json::to_value(&typed).expect("serializes");
        assert_eq!(
            back, raw,
            "round trip changed the object\n--- typed ---\n{back:#}\n--- raw ---\n{raw:#}"
        );
        // The same must hold through JSON (what the API server sends).
        let again: T = serde_json::from_value(raw.clone()).expect("deserializes from JSON");
        assert_eq!(serde_json::to_value(&again).expect("serializes"), raw);
        typed
    }

    /// Asserts the serialized object carries the expected `apiVersion` and `kind`.
    pub fn assert_type_meta(v: &Value, api_version: &str, kind: &str) {
        assert_eq!(v["apiVersion"], api_version, "{v:#}");
        assert_eq!(v["kind"], kind, "{v:#}");
    }

    #[test]
    fn walker_finds_nulls_and_empties() {
        let v =
            serde_json::json!({"a": null, "b": [], "c": {}, "d": [{"e": 1, "f": {}}], "g": "x"});
        let mut bad = nulls_and_empties(&v);
        bad.sort();
        assert_eq!(bad, vec!["/a = null", "/b = []", "/c = {}", "/d/0/f = {}"]);
    }
}
