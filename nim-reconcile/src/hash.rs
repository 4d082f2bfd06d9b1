//! Change detection: a digest of the desired object, stored on the applied object, so an
//! unchanged desired state is never written again (a converged resync issues no writes).

use serde_json::Value;

/// Annotation holding [`desired_hash`] of the object as we last applied it.
pub const APPLIED_HASH_ANNOTATION: &str = "nim-operator/applied-hash";

/// SHA-256 (hex, first 32 characters) of the canonical JSON of `obj`. Object keys are sorted by
/// serde_json's map, so equal objects give equal digests whatever their construction order.
///
/// ```
/// use serde_json::json;
/// use nim_reconcile::hash::desired_hash;
/// assert_eq!(desired_hash(&json!({"a": 1, "b": 2})), desired_hash(&json!({"b": 2, "a": 1})));
/// assert_ne!(desired_hash(&json!({"a": 1})), desired_hash(&json!({"a": 2})));
/// assert_eq!(desired_hash(&json!({})).len(), 32);
/// ```
pub fn desired_hash(obj: &Value) -> String {
    let bytes = canonical(obj).into_bytes();
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    digest
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let body: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", body.join(","))
        }
        Value::Array(items) => {
            let body: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", body.join(","))
        }
        other => other.to_string(),
    }
}

/// The applied hash recorded on an observed object, if any.
///
/// ```
/// let obj = serde_json::json!({"metadata": {"annotations": {"nim-operator/applied-hash": "abc"}}});
/// assert_eq!(nim_reconcile::hash::applied_hash(&obj), Some("abc"));
/// ```
pub fn applied_hash(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/annotations")?
        .get(APPLIED_HASH_ANNOTATION)?
        .as_str()
}
