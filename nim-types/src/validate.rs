//! Offline validation of NIM manifests the way the apiserver does it: schema defaults, then the
//! OpenAPI schema (types, required, enums, patterns, bounds), then the CEL rules. Unknown fields
//! are reported as warnings, because the apiserver prunes them silently.
//!
//! Enabled by the `validate` cargo feature.
//!
//! ```
//! use nim_types::validate::{Validator, Severity};
//! let validator = Validator::new();
//! let obj = serde_json::json!({
//!     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
//!     "metadata": {"name": "llm"},
//!     "spec": {
//!         "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.3.3"},
//!         "replicas": 1,
//!         "scale": {"enabled": true, "hpa": {"maxReplicas": 2}}
//!     }
//! });
//! let problems = validator.validate(&obj).unwrap();
//! assert_eq!(problems.len(), 1);
//! assert_eq!(problems[0].severity, Severity::Error);
//! assert_eq!(problems[0].message, "spec.replicas cannot be set when spec.scale.enabled is true");
//! ```

use std::collections::BTreeMap;
use std::fmt;

use kube::core::cel::{CompiledSchema, apply_defaults, compile_schema, validate_compiled};
use regex::Regex;
use serde_json::Value;

use crate::crd::API_VERSION;

/// How serious a problem is.
///
/// ```
/// assert_eq!(nim_types::validate::Severity::Warning.to_string(), "warning");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The apiserver would reject the object.
    Error,
    /// Accepted, but probably not what was meant (e.g. a pruned unknown field).
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// One problem in one object.
///
/// ```
/// let p = nim_types::validate::Problem { severity: nim_types::validate::Severity::Error, path: "spec.image".into(), message: "Required value".into() };
/// assert_eq!(p.to_string(), "error: spec.image: Required value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Severity.
    pub severity: Severity,
    /// Field path, e.g. `spec.expose.service.port` (empty for the object itself).
    pub path: String,
    /// What is wrong, in the apiserver's words where it has them.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.severity, self.message)
        } else {
            write!(f, "{}: {}: {}", self.severity, self.path, self.message)
        }
    }
}

/// Why an object could not be validated at all.
///
/// ```
/// let v = nim_types::validate::Validator::new();
/// let err = v.validate(&serde_json::json!({"kind": "Pod"})).unwrap_err();
/// assert_eq!(err.code(), "NotANimObject");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidateError {
    /// Not an `apps.nvidia.com/v1alpha1` NIM kind.
    #[error("not a NIM object (apiVersion {api_version:?}, kind {kind:?})")]
    NotANimObject {
        /// The object's apiVersion.
        api_version: String,
        /// The object's kind.
        kind: String,
    },
}

impl ValidateError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotANimObject { .. } => "NotANimObject",
        }
    }
}

struct KindSchema {
    schema: Value,
    compiled: CompiledSchema,
}

/// Validates NIM objects against the generated CRD schemas and CEL rules. Build it once; it
/// compiles every CEL rule up front.
///
/// ```
/// let v = nim_types::validate::Validator::new();
/// assert!(v.kinds().any(|k| k == "NIMCache"));
/// ```
pub struct Validator {
    kinds: BTreeMap<String, KindSchema>,
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

impl Validator {
    /// Compile the schemas of the four CRDs.
    pub fn new() -> Self {
        let mut kinds = BTreeMap::new();
        for crd in crate::crds() {
            let kind = crd.spec.names.kind.clone();
            let Some(props) = crd
                .spec
                .versions
                .first()
                .and_then(|v| v.schema.as_ref())
                .and_then(|s| s.open_api_v3_schema.as_ref())
            else {
                continue;
            };
            let Ok(schema) = serde_json::to_value(props) else {
                continue;
            };
            let compiled = compile_schema(&schema);
            kinds.insert(kind, KindSchema { schema, compiled });
        }
        Self { kinds }
    }

    /// The kinds this validator knows.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// Whether the object claims to be one of our kinds.
    ///
    /// ```
    /// let v = nim_types::validate::Validator::new();
    /// assert!(v.is_nim_object(&serde_json::json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMBuild"})));
    /// ```
    pub fn is_nim_object(&self, obj: &Value) -> bool {
        obj.get("apiVersion").and_then(Value::as_str) == Some(API_VERSION)
            && obj
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| self.kinds.contains_key(k))
    }

    /// Apply the schema defaults, as the apiserver does before validating and storing.
    ///
    /// ```
    /// let v = nim_types::validate::Validator::new();
    /// let obj = serde_json::json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
    ///     "metadata": {"name": "a"}, "spec": {"image": {"repository": "r", "tag": "1"}, "expose": {"service": {}}}});
    /// let d = v.with_defaults(&obj).unwrap();
    /// assert_eq!(d["spec"]["expose"]["service"]["port"], 8000);
    /// assert_eq!(d["spec"]["inferencePlatform"], "standalone");
    /// ```
    pub fn with_defaults(&self, obj: &Value) -> Result<Value, ValidateError> {
        let ks = self.kind_schema(obj)?;
        Ok(apply_defaults(&ks.schema, obj))
    }

    /// Validate one object. `Ok` holds the problems found (empty = valid).
    pub fn validate(&self, obj: &Value) -> Result<Vec<Problem>, ValidateError> {
        let ks = self.kind_schema(obj)?;
        let defaulted = apply_defaults(&ks.schema, obj);
        let mut problems = Vec::new();
        check_metadata(&defaulted, &mut problems);
        walk(&ks.schema, &defaulted, "", true, &mut problems);
        // CEL rules only run on schema-valid objects, as on the apiserver.
        if !problems.iter().any(|p| p.severity == Severity::Error)
            && let Err(errors) = validate_compiled(&ks.compiled, &defaulted, None)
        {
            for e in errors.iter() {
                problems.push(Problem {
                    severity: Severity::Error,
                    path: e.field_path.trim_start_matches('.').to_string(),
                    message: e.message.clone(),
                });
            }
        }
        problems.sort();
        problems.dedup();
        Ok(problems)
    }

    /// Validate an update: like [`Validator::validate`] plus the transition rules against `old`.
    ///
    /// ```
    /// let v = nim_types::validate::Validator::new();
    /// let mk = |puller: &str| serde_json::json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
    ///     "metadata": {"name": "c"}, "spec": {"source": {"ngc": {"authSecret": "s", "modelPuller": puller}}, "storage": {}}});
    /// let problems = v.validate_update(&mk("img:2"), &mk("img:1")).unwrap();
    /// assert!(problems[0].message.starts_with("modelPuller is an immutable field"));
    /// ```
    pub fn validate_update(&self, obj: &Value, old: &Value) -> Result<Vec<Problem>, ValidateError> {
        let ks = self.kind_schema(obj)?;
        let mut problems = self.validate(obj)?;
        let new = apply_defaults(&ks.schema, obj);
        let old = apply_defaults(&ks.schema, old);
        if let Err(errors) = validate_compiled(&ks.compiled, &new, Some(&old)) {
            for e in errors.iter() {
                problems.push(Problem {
                    severity: Severity::Error,
                    path: e.field_path.trim_start_matches('.').to_string(),
                    message: e.message.clone(),
                });
            }
        }
        problems.sort();
        problems.dedup();
        Ok(problems)
    }

    fn kind_schema(&self, obj: &Value) -> Result<&KindSchema, ValidateError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        match self.kinds.get(kind) {
            Some(ks) if api_version == API_VERSION => Ok(ks),
            _ => Err(ValidateError::NotANimObject {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            }),
        }
    }
}

fn check_metadata(obj: &Value, problems: &mut Vec<Problem>) {
    let meta = obj.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
    let generate = meta
        .and_then(|m| m.get("generateName"))
        .and_then(Value::as_str);
    match name {
        None if generate.is_none() => problems.push(error(
            "metadata.name",
            "Required value: name or generateName is required",
        )),
        Some(n) if !is_dns1123_subdomain(n) => problems.push(error(
            "metadata.name",
            &format!(
                "Invalid value: {n:?}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        )),
        _ => {}
    }
}

/// Whether `s` is a DNS-1123 subdomain (≤ 253 chars, lowercase alphanumerics, '-' and '.').
///
/// ```
/// assert!(nim_types::validate::is_dns1123_subdomain("llama-3.1-8b"));
/// assert!(!nim_types::validate::is_dns1123_subdomain("Llama"));
/// ```
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn error(path: &str, message: &str) -> Problem {
    Problem {
        severity: Severity::Error,
        path: path.to_string(),
        message: message.to_string(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Walk `value` against a structural schema, collecting problems. `root` skips the
/// apiVersion/kind/metadata envelope, which the apiserver validates itself.
fn walk(schema: &Value, value: &Value, path: &str, root: bool, out: &mut Vec<Problem>) {
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool).unwrap_or(false);
    if value.is_null() {
        if !flag("nullable") {
            out.push(error(path, "Invalid value: \"null\": must not be null"));
        }
        return;
    }
    let int_or_string = flag("x-kubernetes-int-or-string");
    let preserve = flag("x-kubernetes-preserve-unknown-fields");
    let actual = type_name(value);
    if int_or_string {
        if actual != "integer" && actual != "string" {
            out.push(error(
                path,
                &format!("Invalid value: \"{actual}\": must be an integer or a string"),
            ));
            return;
        }
    } else if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        let ok = expected == actual || (expected == "number" && actual == "integer");
        if !ok {
            out.push(error(
                path,
                &format!("Invalid value: \"{actual}\": {path} in body must be of type {expected}"),
            ));
            return;
        }
    }

    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        let allowed: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(Value::to_string)
            .collect();
        out.push(error(
            path,
            &format!(
                "Unsupported value: {value}: supported values: {}",
                allowed.join(", ")
            ),
        ));
    }

    match value {
        Value::String(s) => check_string(schema, s, path, out),
        Value::Number(n) => check_number(schema, n, path, out),
        Value::Array(items) => {
            bounds(
                schema,
                "minItems",
                "maxItems",
                items.len(),
                path,
                "items",
                out,
            );
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(item_schema, item, &format!("{path}[{i}]"), false, out);
                }
            }
        }
        Value::Object(map) => {
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for key in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(key) {
                        out.push(error(&join(path, key), "Required value"));
                    }
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (key, child) in map {
                if root && matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let child_path = join(path, key);
                if let Some(child_schema) = props.and_then(|p| p.get(key)) {
                    walk(child_schema, child, &child_path, false, out);
                } else if let Some(extra) = additional.filter(|a| a.is_object()) {
                    walk(extra, child, &child_path, false, out);
                } else if !preserve && additional.and_then(Value::as_bool) != Some(true) {
                    out.push(Problem {
                        severity: Severity::Warning,
                        path: child_path,
                        message: "unknown field; the apiserver prunes it, so it has no effect"
                            .to_string(),
                    });
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn check_string(schema: &Value, s: &str, path: &str, out: &mut Vec<Problem>) {
    let len = s.chars().count();
    bounds(schema, "minLength", "maxLength", len, path, "chars", out);
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        match Regex::new(pattern) {
            Ok(re) if !re.is_match(s) => out.push(error(
                path,
                &format!("Invalid value: {s:?}: {path} in body should match '{pattern}'"),
            )),
            Ok(_) => {}
            Err(e) => out.push(error(
                path,
                &format!("schema pattern does not compile: {e}"),
            )),
        }
    }
}

fn check_number(schema: &Value, n: &serde_json::Number, path: &str, out: &mut Vec<Problem>) {
    let Some(x) = n.as_f64() else { return };
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
        && x < min
    {
        out.push(error(
            path,
            &format!("Invalid value: {n}: {path} in body should be greater than or equal to {min}"),
        ));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
        && x > max
    {
        out.push(error(
            path,
            &format!("Invalid value: {n}: {path} in body should be less than or equal to {max}"),
        ));
    }
}

fn bounds(
    schema: &Value,
    min_key: &str,
    max_key: &str,
    len: usize,
    path: &str,
    unit: &str,
    out: &mut Vec<Problem>,
) {
    let len = len as u64;
    if let Some(min) = schema.get(min_key).and_then(Value::as_u64)
        && len < min
    {
        out.push(error(
            path,
            &format!("Invalid value: {path} in body should have at least {min} {unit}"),
        ));
    }
    if let Some(max) = schema.get(max_key).and_then(Value::as_u64)
        && len > max
    {
        out.push(error(
            path,
            &format!("Too long: {path} in body may not have more than {max} {unit}"),
        ));
    }
}
