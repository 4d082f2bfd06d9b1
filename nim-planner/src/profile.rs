//! NIM model profiles: parsing `model_manifest.yaml` (schema v1 and v2, `gpu-domain.md` §3.1),
//! tag accessors (§3.2), the NIM operator's profile selection for a NIMCache (`MatchProfiles`,
//! contract §3.1 / `gpu-domain.md` §3.5) and profile ↔ node GPU compatibility.
//!
//! The manifest is taken as a [`serde_json::Value`] so that this crate needs no YAML parser: the
//! caller parses the YAML (JSON is valid YAML, so a JSON manifest also works as is).
//!
//! ```
//! use nim_planner::profile::{Manifest, SchemaVersion};
//!
//! let manifest = Manifest::from_value(&serde_json::json!({
//!     "schema_version": "2.0.0",
//!     "profile_selection_criteria": "default",
//!     "profiles": [{"id": "abc", "tags": {
//!         "llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "2", "pp": "1",
//!         "gpu": "H100", "gpu_device": "2330:10de"}}]
//! }))?;
//! assert_eq!(manifest.schema, SchemaVersion::V2);
//! let p = &manifest.profiles["abc"];
//! assert_eq!((p.tp(), p.pp(), p.gpus()), (2, 1, 2));
//! assert_eq!(p.gpu_tag(), Some("H100"));
//! # Ok::<(), nim_planner::profile::ManifestError>(())
//! ```

use std::collections::BTreeMap;

use nim_types::ModelSpec;
use nim_types::inventory::ProductInfo;
use serde::Serialize;
use serde_json::Value;

/// Manifest schema version.
///
/// ```
/// use nim_planner::profile::SchemaVersion;
/// assert!(SchemaVersion::V1 < SchemaVersion::V2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaVersion {
    /// A map keyed by profile ID.
    V1,
    /// `schema_version: 2.x` with a `profiles` list.
    V2,
}

/// One NIM model profile: its ID and its tags (all values as strings).
///
/// ```
/// use std::collections::BTreeMap;
/// use nim_planner::profile::Profile;
/// let p = Profile::new("id1", BTreeMap::from([
///     ("tp".to_string(), "4".to_string()),
///     ("pp".to_string(), "2".to_string()),
///     ("precision".to_string(), "bf16".to_string()),
/// ]));
/// assert_eq!(p.gpus(), 8);
/// assert_eq!(p.precision(), Some("bf16"));
/// assert!(p.is_generic());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Profile ID (a 64-hex hash in real manifests).
    pub id: String,
    /// `model` (v1 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `release` (v1 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Tags, e.g. `tp`, `pp`, `gpu`, `gpu_device`, `precision`, `llm_engine`, `profile`.
    pub tags: BTreeMap<String, String>,
}

fn parse_degree(v: Option<&str>) -> u32 {
    v.and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

impl Profile {
    /// Builds a profile from an ID and tags.
    ///
    /// ```
    /// let p = nim_planner::profile::Profile::new("x", Default::default());
    /// assert_eq!(p.tp(), 1);
    /// ```
    pub fn new(id: impl Into<String>, tags: BTreeMap<String, String>) -> Self {
        Self {
            id: id.into(),
            model: None,
            release: None,
            tags,
        }
    }

    /// A tag value.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("profile".into(), "latency".into())]));
    /// assert_eq!(p.tag("profile"), Some("latency"));
    /// ```
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }

    /// Tensor parallelism: tag `tp` (or `tensorParallelism`), default 1; malformed or 0 ⇒ 1.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("tp".into(), "8".into())]));
    /// assert_eq!(p.tp(), 8);
    /// ```
    pub fn tp(&self) -> u32 {
        parse_degree(self.tag("tp").or_else(|| self.tag("tensorParallelism")))
    }

    /// Pipeline parallelism: tag `pp`, default 1; malformed or 0 ⇒ 1.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("pp".into(), "2".into())]));
    /// assert_eq!(p.pp(), 2);
    /// ```
    pub fn pp(&self) -> u32 {
        parse_degree(self.tag("pp"))
    }

    /// GPUs one replica needs: `tp × pp` (pp > 1 means several pods, one per pipeline stage).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("tp".into(), "8".into()), ("pp".into(), "2".into())]));
    /// assert_eq!(p.gpus(), 16);
    /// ```
    pub fn gpus(&self) -> u32 {
        self.tp().saturating_mul(self.pp())
    }

    /// The `gpu` tag (e.g. `H100`, `L40S`, `H100_NVL`); `None` when absent or empty.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("gpu".into(), "L40S".into())]));
    /// assert_eq!(p.gpu_tag(), Some("L40S"));
    /// ```
    pub fn gpu_tag(&self) -> Option<&str> {
        self.tag("gpu").filter(|s| !s.trim().is_empty())
    }

    /// The `gpu_device` tag (PCI device ID, e.g. `2330:10de`); `None` when absent or empty.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("gpu_device".into(), "26b9:10de".into())]));
    /// assert_eq!(p.gpu_device(), Some("26b9:10de"));
    /// ```
    pub fn gpu_device(&self) -> Option<&str> {
        self.tag("gpu_device").filter(|s| !s.trim().is_empty())
    }

    /// The `precision` tag (`fp16`, `bf16`, `fp8`, …).
    ///
    /// ```
    /// let p = nim_planner::profile::Profile::new("x", Default::default());
    /// assert_eq!(p.precision(), None);
    /// ```
    pub fn precision(&self) -> Option<&str> {
        self.tag("precision").filter(|s| !s.trim().is_empty())
    }

    /// The engine: `llm_engine`, else `model_type`, else `backend` (operator v2 rule).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("backend".into(), "vllm".into())]));
    /// assert_eq!(p.engine(), Some("vllm"));
    /// ```
    pub fn engine(&self) -> Option<&str> {
        ["llm_engine", "model_type", "backend"]
            .into_iter()
            .find_map(|k| self.tag(k).filter(|s| !s.trim().is_empty()))
    }

    /// `true` when the profile names no GPU identity (`gpu`, `key`, `product_name_regex`): it runs
    /// on any GPU with enough memory.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("gpu".into(), "H100".into())]));
    /// assert!(!p.is_generic());
    /// ```
    pub fn is_generic(&self) -> bool {
        ["gpu", "key", "product_name_regex"]
            .into_iter()
            .all(|k| self.tag(k).is_none_or(|s| s.trim().is_empty()))
    }

    /// `true` when `trtllm_buildable == "true"` (engine built locally for any GPU).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([("trtllm_buildable".into(), "true".into())]));
    /// assert!(p.is_buildable());
    /// ```
    pub fn is_buildable(&self) -> bool {
        self.tag("trtllm_buildable")
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"))
    }

    /// Whether a node whose `nvidia.com/gpu.product` parses to `product` can run this profile:
    /// generic and buildable profiles run anywhere; otherwise the node must match the
    /// `gpu_device` PCI ID when the profile has one, else the `gpu` tag
    /// ([`ProductInfo::matches_nim_gpu_tag`]), else (only `key` / `product_name_regex`) the
    /// operator's substring rule on `key`.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use nim_types::inventory::ProductInfo;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([
    ///     ("gpu".into(), "H100".into()), ("gpu_device".into(), "2330:10de".into())]));
    /// assert!(p.runs_on(&ProductInfo::parse("NVIDIA-H100-80GB-HBM3")));
    /// assert!(!p.runs_on(&ProductInfo::parse("NVIDIA-L40S")));
    /// ```
    pub fn runs_on(&self, product: &ProductInfo) -> bool {
        if self.is_generic() || self.is_buildable() {
            return true;
        }
        if let Some(device) = self.gpu_device() {
            return product.matches_nim_gpu_device(device);
        }
        if let Some(gpu) = self.gpu_tag() {
            return product.matches_nim_gpu_tag(gpu);
        }
        self.tag("key")
            .is_some_and(|k| nim_types::inventory::nim_operator_product_match(&product.raw, k))
    }

    /// Human-readable name in the `list-model-profiles` style
    /// (`<engine>[-<gpu>]-<precision>-tp<N>-pp<M>[-<profile>][-lora]`), best effort.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let p = nim_planner::profile::Profile::new("x", BTreeMap::from([
    ///     ("llm_engine".into(), "tensorrt_llm".into()), ("gpu".into(), "H100".into()),
    ///     ("precision".into(), "fp8".into()), ("tp".into(), "1".into()),
    ///     ("profile".into(), "throughput".into())]));
    /// assert_eq!(p.display_name(), "tensorrt_llm-h100-fp8-tp1-pp1-throughput");
    /// ```
    pub fn display_name(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(e) = self.engine() {
            parts.push(e.to_ascii_lowercase());
        }
        if let Some(g) = self.gpu_tag() {
            parts.push(g.to_ascii_lowercase());
        }
        if let Some(p) = self.precision() {
            parts.push(p.to_ascii_lowercase());
        }
        parts.push(format!("tp{}", self.tp()));
        parts.push(format!("pp{}", self.pp()));
        if let Some(q) = self.tag("profile").filter(|s| !s.is_empty()) {
            parts.push(q.to_ascii_lowercase());
        }
        if self
            .tag("feat_lora")
            .is_some_and(|s| s.eq_ignore_ascii_case("true"))
        {
            parts.push("lora".into());
        }
        parts.join("-")
    }
}

/// A problem in a manifest. Every variant names the profile or field at fault.
///
/// ```
/// use nim_planner::profile::{Manifest, ManifestError};
/// let err = Manifest::from_value(&serde_json::json!([1, 2])).unwrap_err();
/// assert_eq!(err, ManifestError::NotAMapping { found: "array" });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The document is not a mapping.
    #[error("manifest: expected a mapping at the top level, found {found}")]
    NotAMapping {
        /// JSON type found.
        found: &'static str,
    },
    /// v2: `profiles` is missing or not a list.
    #[error("manifest v2: field `profiles` must be a list, found {found}")]
    ProfilesNotAList {
        /// JSON type found.
        found: &'static str,
    },
    /// A profile entry is not a mapping (v1: the value under the ID; v2: the list item).
    #[error("manifest: profile {profile} is not a mapping (found {found})")]
    ProfileNotAMapping {
        /// Profile ID (v1) or `profiles[<i>]` (v2).
        profile: String,
        /// JSON type found.
        found: &'static str,
    },
    /// v2: a profile has no string `id`.
    #[error("manifest v2: profiles[{index}].id is missing or not a string")]
    MissingId {
        /// List index.
        index: usize,
    },
    /// A profile's `tags` is not a mapping of scalars.
    #[error("manifest: profile {profile}: field `tags.{tag}` is not a scalar (found {found})")]
    TagNotScalar {
        /// Profile ID.
        profile: String,
        /// Tag key (empty when `tags` itself is not a mapping).
        tag: String,
        /// JSON type found.
        found: &'static str,
    },
    /// Two profiles share an ID.
    #[error("manifest: duplicate profile id {profile}")]
    DuplicateId {
        /// Profile ID.
        profile: String,
    },
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "mapping",
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn parse_tags(profile: &str, v: Option<&Value>) -> Result<BTreeMap<String, String>, ManifestError> {
    let mut tags = BTreeMap::new();
    let Some(v) = v else {
        return Ok(tags);
    };
    let map = match v {
        Value::Null => return Ok(tags),
        Value::Object(m) => m,
        other => {
            return Err(ManifestError::TagNotScalar {
                profile: profile.to_owned(),
                tag: String::new(),
                found: type_name(other),
            });
        }
    };
    for (k, val) in map {
        let s = scalar_string(val).ok_or_else(|| ManifestError::TagNotScalar {
            profile: profile.to_owned(),
            tag: k.clone(),
            found: type_name(val),
        })?;
        tags.insert(k.clone(), s);
    }
    Ok(tags)
}

/// A parsed manifest: schema version and profiles keyed by ID.
///
/// ```
/// use nim_planner::profile::{Manifest, SchemaVersion};
/// let m = Manifest::from_value(&serde_json::json!({
///     "03fd": {"model": "meta/llama3-70b-instruct", "release": "1.0.0",
///              "tags": {"gpu": "L40S", "tp": "8", "precision": "fp16", "llm_engine": "tensorrt_llm"}}
/// }))?;
/// assert_eq!(m.schema, SchemaVersion::V1);
/// assert_eq!(m.profiles["03fd"].gpus(), 8);
/// assert_eq!(m.profiles["03fd"].model.as_deref(), Some("meta/llama3-70b-instruct"));
/// # Ok::<(), nim_planner::profile::ManifestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// Schema version.
    pub schema: SchemaVersion,
    /// Profiles by ID.
    pub profiles: BTreeMap<String, Profile>,
}

impl Manifest {
    /// Parses a manifest document. v2 is detected like the NIM operator does: a top-level
    /// `schema_version` containing a `2`; everything else is v1 (a map of ID → profile).
    ///
    /// ```
    /// use nim_planner::profile::Manifest;
    /// assert!(Manifest::from_value(&serde_json::json!({"schema_version": "2.0.0"})).is_err());
    /// assert!(Manifest::from_value(&serde_json::json!({})).unwrap().profiles.is_empty());
    /// ```
    pub fn from_value(doc: &Value) -> Result<Self, ManifestError> {
        let Value::Object(top) = doc else {
            return Err(ManifestError::NotAMapping {
                found: type_name(doc),
            });
        };
        let is_v2 = top
            .get("schema_version")
            .and_then(scalar_string)
            .is_some_and(|s| s.contains('2'));
        let mut profiles = BTreeMap::new();
        if is_v2 {
            let list = match top.get("profiles") {
                Some(Value::Array(a)) => a,
                Some(other) => {
                    return Err(ManifestError::ProfilesNotAList {
                        found: type_name(other),
                    });
                }
                None => return Err(ManifestError::ProfilesNotAList { found: "nothing" }),
            };
            for (index, item) in list.iter().enumerate() {
                let Value::Object(entry) = item else {
                    return Err(ManifestError::ProfileNotAMapping {
                        profile: format!("profiles[{index}]"),
                        found: type_name(item),
                    });
                };
                let id = entry
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .ok_or(ManifestError::MissingId { index })?;
                let profile = Profile {
                    id: id.to_owned(),
                    model: entry.get("model").and_then(scalar_string),
                    release: entry.get("release").and_then(scalar_string),
                    tags: parse_tags(id, entry.get("tags"))?,
                };
                if profiles.insert(id.to_owned(), profile).is_some() {
                    return Err(ManifestError::DuplicateId {
                        profile: id.to_owned(),
                    });
                }
            }
        } else {
            for (id, item) in top {
                let Value::Object(entry) = item else {
                    return Err(ManifestError::ProfileNotAMapping {
                        profile: id.clone(),
                        found: type_name(item),
                    });
                };
                profiles.insert(
                    id.clone(),
                    Profile {
                        id: id.clone(),
                        model: entry.get("model").and_then(scalar_string),
                        release: entry.get("release").and_then(scalar_string),
                        tags: parse_tags(id, entry.get("tags"))?,
                    },
                );
            }
        }
        Ok(Self {
            schema: if is_v2 {
                SchemaVersion::V2
            } else {
                SchemaVersion::V1
            },
            profiles,
        })
    }

    /// Finds a profile by ID, else by a unique [`Profile::display_name`] (case-insensitive), as
    /// `NIM_MODEL_PROFILE` accepts either.
    ///
    /// ```
    /// use nim_planner::profile::Manifest;
    /// let m = Manifest::from_value(&serde_json::json!({
    ///     "abc": {"tags": {"llm_engine": "vllm", "precision": "bf16", "tp": "2"}}
    /// }))?;
    /// assert_eq!(m.find("abc").map(|p| p.tp()), Some(2));
    /// assert_eq!(m.find("vllm-bf16-tp2-pp1").map(|p| p.id.as_str()), Some("abc"));
    /// assert!(m.find("nope").is_none());
    /// # Ok::<(), nim_planner::profile::ManifestError>(())
    /// ```
    pub fn find(&self, id_or_name: &str) -> Option<&Profile> {
        if let Some(p) = self.profiles.get(id_or_name) {
            return Some(p);
        }
        let mut by_name = self
            .profiles
            .values()
            .filter(|p| p.display_name().eq_ignore_ascii_case(id_or_name));
        match (by_name.next(), by_name.next()) {
            (Some(p), None) => Some(p),
            _ => None,
        }
    }

    /// The NIM operator's profile selection for a NIMCache (`MatchProfiles`, contract §3.1),
    /// returning matching profile IDs in ID order. `discovered_products` are the distinct
    /// `nvidia.com/gpu.product` node labels, used when `model.gpus` is empty.
    ///
    /// * `model.profiles` non-empty: exactly those IDs that exist (`all` ⇒ every profile).
    /// * `precision`, `tensorParallelism` (tag `tp`), `qosProfile` (tag `profile`): equal
    ///   (case-insensitive in v2, case-sensitive in v1).
    /// * `engine`: spec engine (v1: minus `_llm`) is a case-insensitive substring of the profile
    ///   engine; `triton` counts as `tensorrt` (v2).
    /// * `lora`: v2 — when set, `feat_lora` must equal it; v1 — when unset, LoRA profiles are
    ///   skipped. `buildable` (v2 only): when set, `trtllm_buildable` must equal it.
    /// * GPU filter: see [`Manifest::gpu_filter_passes`]; in v2 a buildable profile that fails
    ///   only the GPU filter is still selected.
    ///
    /// Not evaluated: `product_name_regex` (needs a regex engine; treated as not matching).
    ///
    /// ```
    /// use nim_planner::profile::Manifest;
    /// use nim_types::ModelSpec;
    /// let m = Manifest::from_value(&serde_json::json!({
    ///     "schema_version": "2.0.0",
    ///     "profiles": [
    ///         {"id": "h100-tp2", "tags": {"llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "2", "gpu": "H100"}},
    ///         {"id": "l40s-tp2", "tags": {"llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "2", "gpu": "L40S"}},
    ///         {"id": "vllm-tp2", "tags": {"llm_engine": "vllm", "precision": "bf16", "tp": "2"}}
    ///     ]
    /// }))?;
    /// let spec = ModelSpec { engine: Some("tensorrt_llm".into()), tensor_parallelism: Some("2".into()), ..Default::default() };
    /// assert_eq!(m.select(&spec, &["NVIDIA-H100XM-80C"]), ["h100-tp2"]);
    /// # Ok::<(), nim_planner::profile::ManifestError>(())
    /// ```
    pub fn select(&self, model: &ModelSpec, discovered_products: &[&str]) -> Vec<String> {
        if !model.profiles.is_empty() {
            if model.profiles.iter().any(|p| p == "all") {
                return self.profiles.keys().cloned().collect();
            }
            let mut ids: Vec<String> = model
                .profiles
                .iter()
                .filter(|p| self.profiles.contains_key(*p))
                .cloned()
                .collect();
            ids.sort();
            ids.dedup();
            return ids;
        }
        self.profiles
            .values()
            .filter(|p| self.matches(p, model, discovered_products))
            .map(|p| p.id.clone())
            .collect()
    }

    fn tag_eq(&self, profile: &Profile, tag: &str, want: Option<&str>) -> bool {
        let Some(want) = want else {
            return true;
        };
        let have = profile.tag(tag).unwrap_or("");
        match self.schema {
            SchemaVersion::V1 => have == want,
            SchemaVersion::V2 => have.eq_ignore_ascii_case(want),
        }
    }

    fn matches(&self, p: &Profile, model: &ModelSpec, discovered: &[&str]) -> bool {
        if !self.tag_eq(p, "precision", model.precision.as_deref())
            || !self.tag_eq(p, "tp", model.tensor_parallelism.as_deref())
            || !self.tag_eq(p, "profile", model.qos_profile.as_deref())
        {
            return false;
        }
        let lora = p
            .tag("feat_lora")
            .is_some_and(|s| s.eq_ignore_ascii_case("true"));
        match (self.schema, model.lora) {
            (SchemaVersion::V1, None) if lora => return false,
            (_, Some(want)) if want != lora => return false,
            _ => {}
        }
        if self.schema == SchemaVersion::V2
            && let Some(want) = model.buildable
            && want != p.is_buildable()
        {
            return false;
        }
        let backend = match self.schema {
            SchemaVersion::V1 => p.tag("llm_engine").or_else(|| p.tag("backend")),
            SchemaVersion::V2 => p.engine(),
        }
        .unwrap_or("")
        .to_ascii_lowercase();
        if let Some(engine) = model.engine.as_deref() {
            let mut want = engine.to_ascii_lowercase();
            let mut have = backend.clone();
            if self.schema == SchemaVersion::V1 {
                want = want.trim_end_matches("_llm").to_owned();
            } else {
                want = want.replace("triton", "tensorrt");
                have = have.replace("triton", "tensorrt");
            }
            if !have.contains(&want) {
                return false;
            }
        }
        if self.schema == SchemaVersion::V1 {
            let tensorrt_spec = model
                .engine
                .as_deref()
                .is_some_and(|e| e.to_ascii_lowercase().contains("tensorrt"));
            if !tensorrt_spec && model.gpus.is_empty() {
                return true;
            }
            if !backend.contains("tensorrt") {
                return false;
            }
            return Self::gpu_filter_passes(self.schema, p, model, discovered);
        }
        Self::gpu_filter_passes(self.schema, p, model, discovered) || p.is_buildable()
    }

    /// The GPU part of `MatchProfiles` for one profile. With `model.gpus`: some entry matches —
    /// its `ids` (if any) contain `gpu_device` without `:10de`, and its `product` (if any) is a
    /// case-insensitive substring of the `gpu` or `key` tag. Otherwise with discovered products:
    /// some label contains the `gpu` or `key` tag (case-insensitive). A v2 profile without GPU
    /// identity tags, or with neither `gpus` nor discovered products, passes.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use nim_planner::profile::{Manifest, Profile, SchemaVersion};
    /// let p = Profile::new("x", BTreeMap::from([("gpu".into(), "L40S".into())]));
    /// let spec = nim_types::ModelSpec::default();
    /// assert!(!Manifest::gpu_filter_passes(SchemaVersion::V2, &p, &spec, &["NVIDIA-H100-80GB-HBM3"]));
    /// assert!(Manifest::gpu_filter_passes(SchemaVersion::V2, &p, &spec, &["NVIDIA-L40S-48C"]));
    /// ```
    pub fn gpu_filter_passes(
        schema: SchemaVersion,
        p: &Profile,
        model: &ModelSpec,
        discovered: &[&str],
    ) -> bool {
        if schema == SchemaVersion::V2 && p.is_generic() {
            return true;
        }
        let gpu = p.tag("gpu").unwrap_or("").to_ascii_lowercase();
        let key = p.tag("key").unwrap_or("").to_ascii_lowercase();
        if !model.gpus.is_empty() {
            let device = p
                .gpu_device()
                .map(|d| d.trim().to_ascii_lowercase().replace(":10de", ""));
            return model.gpus.iter().any(|g| {
                let ids_ok = g.ids.is_empty()
                    || device
                        .as_deref()
                        .is_some_and(|d| g.ids.iter().any(|id| id.eq_ignore_ascii_case(d)));
                let product_ok = g.product.as_deref().is_none_or(|prod| {
                    let prod = prod.to_ascii_lowercase();
                    (!gpu.is_empty() && gpu.contains(&prod))
                        || (!key.is_empty() && key.contains(&prod))
                });
                ids_ok && product_ok
            });
        }
        if discovered.is_empty() {
            return true;
        }
        discovered.iter().any(|label| {
            let label = label.to_ascii_lowercase();
            (schema == SchemaVersion::V1 && p.tag("gpu").is_some() && label.contains(&gpu))
                || (!gpu.is_empty() && label.contains(&gpu))
                || (!key.is_empty() && label.contains(&key))
        })
    }
}

/// Converts a NIMCache `status.profiles[]` entry into a [`Profile`] (tags = `config`).
///
/// ```
/// use std::collections::BTreeMap;
/// let np = nim_types::NIMProfile { name: "abc".into(), config: BTreeMap::from([("tp".into(), "2".into())]), ..Default::default() };
/// assert_eq!(nim_planner::profile::from_status(&np).tp(), 2);
/// ```
pub fn from_status(p: &nim_types::NIMProfile) -> Profile {
    Profile {
        id: p.name.clone(),
        model: Some(p.model.clone()).filter(|s| !s.is_empty()),
        release: Some(p.release.clone()).filter(|s| !s.is_empty()),
        tags: p.config.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nim_types::GPUSpec;
    use serde_json::json;

    fn v1() -> Manifest {
        Manifest::from_value(&json!({
            "03fdb4d1": {"model": "meta/llama3-70b-instruct", "release": "1.0.0",
                "tags": {"feat_lora": "false", "gpu": "L40S", "gpu_device": "26b5:10de",
                         "llm_engine": "tensorrt_llm", "pp": "1", "precision": "fp16",
                         "profile": "throughput", "tp": "8"}},
            "36fc1fa4": {"model": "meta/llama3-70b-instruct", "release": "1.0.0",
                "tags": {"feat_lora": "true", "gpu": "H100", "gpu_device": "2330:10de",
                         "llm_engine": "tensorrt_llm", "pp": "1", "precision": "fp16",
                         "profile": "throughput", "tp": 4}},
            "8835c317": {"model": "meta/llama3-70b-instruct", "release": "1.0.0",
                "tags": {"llm_engine": "vllm", "precision": "fp16", "tp": "4"}}
        }))
        .expect("v1")
    }

    #[test]
    fn v1_numbers_become_strings() {
        assert_eq!(v1().profiles["36fc1fa4"].tag("tp"), Some("4"));
    }

    #[test]
    fn v1_lora_unset_skips_lora_profiles() {
        let m = v1();
        let spec = ModelSpec {
            engine: Some("tensorrt_llm".into()),
            ..Default::default()
        };
        assert_eq!(
            m.select(&spec, &["NVIDIA-H100-80GB-HBM3", "NVIDIA-L40S"]),
            ["03fdb4d1"]
        );
        let spec = ModelSpec {
            lora: Some(true),
            ..spec
        };
        assert_eq!(m.select(&spec, &["NVIDIA-H100-80GB-HBM3"]), ["36fc1fa4"]);
    }

    #[test]
    fn v1_non_tensorrt_without_gpus_passes_filter() {
        let spec = ModelSpec {
            engine: Some("vllm".into()),
            ..Default::default()
        };
        assert_eq!(v1().select(&spec, &["NVIDIA-L40S"]), ["8835c317"]);
    }

    #[test]
    fn gpu_ids_and_products() {
        let spec = ModelSpec {
            gpus: vec![GPUSpec {
                product: Some("h100".into()),
                ids: vec!["2330".into()],
            }],
            lora: Some(true),
            ..Default::default()
        };
        assert_eq!(v1().select(&spec, &[]), ["36fc1fa4"]);
    }

    #[test]
    fn explicit_profiles_and_all() {
        let m = v1();
        let spec = ModelSpec {
            profiles: vec!["8835c317".into(), "missing".into()],
            ..Default::default()
        };
        assert_eq!(m.select(&spec, &[]), ["8835c317"]);
        let spec = ModelSpec {
            profiles: vec!["all".into()],
            ..Default::default()
        };
        assert_eq!(m.select(&spec, &[]).len(), 3);
    }

    #[test]
    fn v2_buildable_exception_and_errors() {
        let m = Manifest::from_value(&json!({
            "schema_version": "2.0.0",
            "profiles": [
                {"id": "b", "tags": {"llm_engine": "tensorrt_llm", "gpu": "H100", "trtllm_buildable": "true"}},
                {"id": "c", "tags": {"llm_engine": "tensorrt_llm", "gpu": "H100"}}
            ]
        }))
        .expect("v2");
        assert_eq!(m.select(&ModelSpec::default(), &["NVIDIA-L40S"]), ["b"]);
        assert_eq!(
            Manifest::from_value(&json!({"schema_version": "2", "profiles": [{"tags": {}}]})),
            Err(ManifestError::MissingId { index: 0 })
        );
        assert!(matches!(
            Manifest::from_value(&json!({"x": {"tags": {"tp": [1]}}})),
            Err(ManifestError::TagNotScalar { .. })
        ));
        assert!(matches!(
            Manifest::from_value(&json!({"x": 3})),
            Err(ManifestError::ProfileNotAMapping { .. })
        ));
    }

    #[test]
    fn runs_on_vgpu_products() {
        let h100 = Profile::new(
            "h",
            BTreeMap::from([
                ("gpu".into(), "H100".into()),
                ("gpu_device".into(), "2330:10de".into()),
            ]),
        );
        assert!(h100.runs_on(&ProductInfo::parse("NVIDIA-H100XM-80C")));
        assert!(!h100.runs_on(&ProductInfo::parse("NVIDIA-L40S-48C")));
        let l40s = Profile::new("l", BTreeMap::from([("gpu".into(), "L40S".into())]));
        assert!(l40s.runs_on(&ProductInfo::parse("NVIDIA-L40S-48C")));
    }
}
