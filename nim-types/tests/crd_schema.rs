//! The generated CRDs: structural (the apiserver rejects anything else), NVIDIA's names and
//! printer columns, and no unreviewed drift from the checked-in golden YAML.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

fn crd_values() -> Vec<(String, Value)> {
    nim_types::crds()
        .into_iter()
        .map(|c| {
            let name = c.metadata.name.clone().unwrap_or_default();
            (name, serde_json::to_value(&c).unwrap())
        })
        .collect()
}

/// Kubernetes' structural-schema rules (apiextensions `validation/structural`), the parts a
/// generator can get wrong.
fn structural_violations(schema: &Value, path: &str, in_junctor: bool, out: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        out.push(format!("{path}: schema is not an object"));
        return;
    };
    for forbidden in ["$ref", "definitions", "$defs", "$schema"] {
        if obj.contains_key(forbidden) {
            out.push(format!("{path}: `{forbidden}` is not allowed"));
        }
    }
    if in_junctor {
        for forbidden in [
            "type",
            "additionalProperties",
            "default",
            "nullable",
            "x-kubernetes-preserve-unknown-fields",
            "x-kubernetes-int-or-string",
            "description",
        ] {
            if obj.contains_key(forbidden) {
                out.push(format!(
                    "{path}: `{forbidden}` inside anyOf/oneOf/allOf/not"
                ));
            }
        }
    } else {
        let int_or_string = obj.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
        let preserve = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        if !obj.contains_key("type") && !int_or_string && !preserve {
            out.push(format!("{path}: missing `type`"));
        }
        if obj.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
            out.push(format!(
                "{path}: x-kubernetes-preserve-unknown-fields must be true or absent"
            ));
        }
        if obj.get("type").and_then(Value::as_str) == Some("array") && !obj.contains_key("items") {
            out.push(format!("{path}: array without `items`"));
        }
        if obj.get("type").and_then(Value::as_str) == Some("object")
            && obj.get("properties").is_none()
            && obj.get("additionalProperties").is_none()
            && !preserve
            && path != "$"
        {
            out.push(format!("{path}: empty object schema (needs properties, additionalProperties or preserve-unknown-fields)"));
        }
    }
    if obj.contains_key("properties")
        && obj
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false))
    {
        out.push(format!(
            "{path}: both `properties` and `additionalProperties`"
        ));
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            structural_violations(v, &format!("{path}.{k}"), in_junctor, out);
        }
    }
    if let Some(items) = obj.get("items") {
        if items.is_array() {
            out.push(format!("{path}: `items` must be a single schema"));
        } else {
            structural_violations(items, &format!("{path}[]"), in_junctor, out);
        }
    }
    if let Some(extra) = obj.get("additionalProperties").filter(|a| a.is_object()) {
        structural_violations(extra, &format!("{path}{{}}"), in_junctor, out);
    }
    for junctor in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = obj.get(junctor).and_then(Value::as_array) {
            for (i, b) in branches.iter().enumerate() {
                structural_violations(b, &format!("{path}.{junctor}[{i}]"), true, out);
            }
        }
    }
    if let Some(not) = obj.get("not") {
        structural_violations(not, &format!("{path}.not"), true, out);
    }
}

#[test]
fn every_generated_schema_is_structural() {
    for (name, crd) in crd_values() {
        let versions = crd["spec"]["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 1, "{name}");
        let schema = &versions[0]["schema"]["openAPIV3Schema"];
        let mut problems = Vec::new();
        structural_violations(schema, "$", false, &mut problems);
        assert!(
            problems.is_empty(),
            "{name} is not structural:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn the_walker_catches_what_the_apiserver_rejects() {
    // An empty schema (what `serde_json::Value` derives to), a typed anyOf branch, and
    // properties beside additionalProperties must all be flagged.
    let bad = serde_json::json!({
        "type": "object",
        "properties": {
            "free": {},
            "choice": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "both": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "string"}}
        }
    });
    let mut problems = Vec::new();
    structural_violations(&bad, "$", false, &mut problems);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("$.free: missing `type`")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("choice.anyOf[0]: `type`")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("both: both")),
        "{problems:?}"
    );
}

#[test]
fn names_scope_subresources_and_printer_columns_match_nvidia() {
    let expected = [
        (
            "nimcaches.apps.nvidia.com",
            "NIMCache",
            "nimcache",
            vec!["Status", "PVC", "Age"],
        ),
        (
            "nimservices.apps.nvidia.com",
            "NIMService",
            "nimservice",
            vec!["Status", "Age"],
        ),
        (
            "nimpipelines.apps.nvidia.com",
            "NIMPipeline",
            "nimpipeline",
            vec!["Status", "Age"],
        ),
        (
            "nimbuilds.apps.nvidia.com",
            "NIMBuild",
            "nimbuild",
            vec!["Status", "Age"],
        ),
    ];
    let crds: Vec<CustomResourceDefinition> = nim_types::crds();
    assert_eq!(crds.len(), expected.len());
    for (crd, (name, kind, singular, columns)) in crds.iter().zip(expected) {
        assert_eq!(crd.metadata.name.as_deref(), Some(name));
        assert_eq!(crd.spec.group, "apps.nvidia.com");
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.kind, kind);
        assert_eq!(crd.spec.names.singular.as_deref(), Some(singular));
        let v = &crd.spec.versions[0];
        assert_eq!(v.name, "v1alpha1");
        assert!(v.served && v.storage);
        assert!(
            v.subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some(),
            "{name} status subresource"
        );
        let got: Vec<&str> = v
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(got, columns, "{name} printer columns");
    }
}

#[test]
fn required_fields_defaults_and_bounds_follow_the_contract() {
    let crds = crd_values();
    let svc = &crds[1].1["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let required: Vec<&str> = svc["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        required,
        ["image"],
        "authSecret is optional (main's relaxation)"
    );
    let port = &svc["properties"]["expose"]["properties"]["service"]["properties"]["port"];
    assert_eq!(port["default"], 8000);
    assert_eq!(port["minimum"], 1.0);
    assert_eq!(port["maximum"], 65535.0);
    assert_eq!(
        svc["properties"]["inferencePlatform"]["default"],
        "standalone"
    );
    assert_eq!(svc["properties"]["replicas"]["minimum"], 0.0);
    let hpa = &svc["properties"]["scale"]["properties"]["hpa"];
    assert_eq!(hpa["properties"]["minReplicas"]["default"], 1);
    assert_eq!(hpa["required"], serde_json::json!(["maxReplicas"]));
    let gw = &svc["properties"]["expose"]["properties"]["router"]["properties"]["gateway"];
    assert_eq!(
        gw["required"],
        serde_json::json!(["name"]),
        "gateway.namespace is optional (documented relaxation)"
    );
    assert_eq!(gw["properties"]["httpRoutesEnabled"]["default"], true);
    let epp_config = &svc["properties"]["expose"]["properties"]["router"]["properties"]["eppConfig"]
        ["properties"]["config"];
    assert_eq!(epp_config["type"], "object");
    assert_eq!(epp_config["x-kubernetes-preserve-unknown-fields"], true);
    let cache =
        &crds[0].1["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let required: Vec<&str> = cache["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, ["source", "storage"]);
    assert_eq!(
        cache["properties"]["source"]["properties"]["dataStore"]["properties"]["namespace"]["default"],
        "default"
    );
}

/// Golden snapshot: `UPDATE_GOLDEN=1 cargo test -p nim-types --test crd_schema` rewrites it;
/// review the diff like any other API change.
#[test]
fn golden_snapshot_has_no_unreviewed_drift() {
    let mut rendered = String::new();
    for crd in nim_types::crds() {
        rendered.push_str("---\n");
        rendered.push_str(&serde_saphyr::to_string(&crd).unwrap());
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/crds.yaml");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if golden != rendered {
        let line = golden
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| golden.lines().count().min(rendered.lines().count()));
        panic!(
            "generated CRDs differ from {} at line {} (golden {:?} vs generated {:?}); if intended, rerun with UPDATE_GOLDEN=1 and review the diff",
            path.display(),
            line + 1,
            golden.lines().nth(line),
            rendered.lines().nth(line)
        );
    }
}
