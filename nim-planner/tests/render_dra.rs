//! DRA (contract §3.2 step 14): generated ResourceClaimTemplates, CEL selectors, pod-level
//! `resourceClaims` and container `resources.claims` for all three source kinds, on the
//! sample `nimservice-dra.yaml`, and `plan()` ordering.
//!
//! Expected names were computed independently (FNV-32a → decimal → SafeEncodeString, the
//! scheme NVIDIA's unit test pins with `cd-claimtemplate-6bb8bf548c` for `test-nimservice`).

use k8s_openapi::api::core::v1::PodSpec;
use nim_planner::plan::{PlanInput, plan};
use nim_planner::render::dra::{self, DraSourceKind};
use nim_planner::render::{CacheInfo, RenderContext, RenderError, render_service};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::{NIMCache, NIMService};
use serde_json::{Value, json};

const NAME: &str = "meta-llama-3-2-1b-instruct";
const NS: &str = "nim-service";
const UID: &str = "5f0c1a8e-0000-4000-8000-0000000000d1";
const TEMPLATE: &str = "gpu-95ccf9954-0";
const CLAIM_GENERATED: &str = "claim-95ccf9954-1-7979756496-0";
const CLAIM_TEMPLATE: &str = "claim-95ccf9954-1-666d777dd6-0";

fn sample() -> Value {
    let text = include_str!("../../nim-types/tests/fixtures/samples/nimservice-dra.yaml");
    let mut v: Value = serde_saphyr::from_str(text).expect("sample parses");
    v["metadata"]["uid"] = json!(UID);
    v
}

fn svc(v: Value) -> NIMService {
    serde_json::from_value(v).expect("valid NIMService")
}

fn cache() -> Value {
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {
            "source": {"ngc": {"modelPuller": "nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0",
                               "pullSecret": "ngc-secret", "authSecret": "ngc-api-secret",
                               "model": {"profiles": ["all"]}}},
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}
        },
        "status": {"state": "Ready", "pvc": format!("{NAME}-pvc")}
    })
}

fn ctx() -> RenderContext {
    let c: NIMCache = serde_json::from_value(cache()).unwrap();
    RenderContext {
        nim_cache: Some(CacheInfo::from_nimcache(&c)),
        ..Default::default()
    }
}

fn pod(v: Value) -> PodSpec {
    render_service(&svc(v), &ctx())
        .unwrap()
        .deployment
        .unwrap()
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
}

#[test]
fn hash_matches_nvidia_unit_test() {
    assert_eq!(
        dra::compute_domain_claim_template_name("test-nimservice"),
        "cd-claimtemplate-6bb8bf548c"
    );
    assert_eq!(dra::string_hash(NAME), "95ccf9954");
}

#[test]
fn generated_template_from_claim_creation_spec() {
    let templates = dra::resource_claim_templates(&svc(sample()), &ctx()).unwrap();
    assert_eq!(
        templates.len(),
        1,
        "only claimCreationSpec entries generate templates"
    );
    let v = serde_json::to_value(&templates[0]).unwrap();
    assert_eq!(v["apiVersion"], "resource.k8s.io/v1");
    assert_eq!(v["kind"], "ResourceClaimTemplate");
    assert_eq!(v["metadata"]["name"], TEMPLATE);
    assert_eq!(v["metadata"]["namespace"], NS);
    assert_eq!(
        v["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "k8s-nim-operator"
    );
    assert_eq!(v["metadata"]["labels"]["app.kubernetes.io/name"], NAME);
    assert_eq!(v["metadata"]["ownerReferences"][0]["kind"], "NIMService");
    assert_eq!(v["metadata"]["ownerReferences"][0]["uid"], UID);
    assert_eq!(v["metadata"]["ownerReferences"][0]["controller"], true);
    assert_eq!(
        v["spec"]["metadata"]["labels"]["app.kubernetes.io/name"],
        NAME
    );
    assert_eq!(
        v["spec"]["spec"],
        json!({"devices": {"requests": [{
            "name": "gpu",
            "exactly": {
                "allocationMode": "ExactCount",
                "count": 1,
                "deviceClassName": "gpu.nvidia.com",
                "selectors": [
                    {"cel": {"expression": "device.driver == \"gpu.nvidia.com\""}},
                    {"cel": {"expression": "device.attributes[\"gpu.nvidia.com\"].architecture == \"Ampere\""}},
                    {"cel": {"expression": "(device.capacity[\"gpu.nvidia.com\"].memory).compareTo(quantity(\"40Gi\")) >= 0"}}
                ]
            }
        }]}})
    );
    assert!(!serde_json::to_string(&v).unwrap().contains("null"));
}

#[test]
fn cel_expressions_for_every_value_kind() {
    let dev: nim_types::DRADeviceSpec = serde_json::from_value(json!({
        "name": "gpu", "driverName": "example.com",
        "attributeSelectors": [
            {"key": "gpu.nvidia.com/productName", "op": "NotEqual", "value": {"stringValue": "A10"}},
            {"key": "mig", "op": "Equal", "value": {"boolValue": false}},
            {"key": "index", "op": "LessThan", "value": {"intValue": 4}},
            {"key": "driverVersion", "op": "GreaterThanOrEqual", "value": {"versionValue": "550.0.0"}}
        ]
    }))
    .unwrap();
    assert_eq!(
        dra::device_cel_expressions(&dev).unwrap(),
        vec![
            r#"device.driver == "example.com""#,
            r#"device.attributes["gpu.nvidia.com"].productName != "A10""#,
            r#"device.attributes["example.com"].mig == false"#,
            r#"device.attributes["example.com"].index < 4"#,
            r#"(device.attributes["example.com"].driverVersion).compareTo(semver("550.0.0")) >= 0"#,
        ]
    );
    let raw: nim_types::DRADeviceSpec = serde_json::from_value(json!({
        "name": "gpu", "celExpressions": ["device.attributes[\"gpu.nvidia.com\"].type == \"gpu\""]
    }))
    .unwrap();
    assert_eq!(dra::device_cel_expressions(&raw).unwrap().len(), 2);
    // NVIDIA's errors: ordering on strings, missing values, CEL mixed with selectors.
    for bad in [
        json!({"name": "g", "attributeSelectors": [{"key": "a", "op": "GreaterThan", "value": {"stringValue": "x"}}]}),
        json!({"name": "g", "attributeSelectors": [{"key": "a", "op": "Equal"}]}),
        json!({"name": "g", "celExpressions": ["true"], "capacitySelectors": [{"key": "memory", "value": "1Gi"}]}),
    ] {
        let d: nim_types::DRADeviceSpec = serde_json::from_value(bad).unwrap();
        assert!(matches!(
            dra::device_cel_expressions(&d),
            Err(RenderError::InvalidDraResource(_))
        ));
    }
}

#[test]
fn pod_claims_for_all_three_source_kinds() {
    let mut v = sample();
    v["spec"]["draResources"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resourceClaimName": "gpu-claim"}));
    let named = dra::named_dra_resources(&svc(v.clone()), None);
    let kinds: Vec<DraSourceKind> = named.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            DraSourceKind::ClaimTemplate,
            DraSourceKind::ClaimTemplate,
            DraSourceKind::Claim
        ]
    );
    let p = pod(v);
    assert_eq!(
        serde_json::to_value(p.resource_claims.as_ref().unwrap()).unwrap(),
        json!([
            {"name": CLAIM_GENERATED, "resourceClaimTemplateName": TEMPLATE},
            {"name": CLAIM_TEMPLATE, "resourceClaimTemplateName": "gpu-resourceclaimtemplate"},
            {"name": "claim-95ccf9954-0-858c8c8976-0", "resourceClaimName": "gpu-claim"}
        ])
    );
    let main = &p.containers[0];
    assert_eq!(main.name, format!("{NAME}-ctr"));
    let res = main.resources.as_ref().unwrap();
    assert_eq!(
        serde_json::to_value(res.claims.as_ref().unwrap()).unwrap(),
        json!([
            {"name": CLAIM_GENERATED},
            {"name": CLAIM_TEMPLATE, "request": "gpu"},
            {"name": "claim-95ccf9954-0-858c8c8976-0"}
        ])
    );
    // DRA replaces GPU auto-sizing.
    assert!(res.limits.is_none() && res.requests.is_none());
}

#[test]
fn sidecars_get_the_claims_too_and_duplicates_are_numbered() {
    let mut v = sample();
    v["spec"]["sidecarContainers"] =
        json!([{"name": "proxy", "image": {"repository": "envoy", "tag": "1.30"}}]);
    v["spec"]["draResources"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resourceClaimTemplateName": "gpu-resourceclaimtemplate"}));
    let p = pod(v);
    let names: Vec<&str> = p
        .resource_claims
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names[1], CLAIM_TEMPLATE);
    assert_eq!(names[2], "claim-95ccf9954-1-666d777dd6-1");
    for c in &p.containers {
        assert_eq!(
            c.resources.as_ref().unwrap().claims.as_ref().unwrap().len(),
            3,
            "{}",
            c.name
        );
    }
}

#[test]
fn plan_orders_templates_before_the_deployment() {
    let gpu_node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "n0", "labels": {
            "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB",
            "nvidia.com/gpu.count": "8", "nvidia.com/gpu.memory": "40960",
            "nvidia.com/gpu.family": "ampere", "nvidia.com/mig.capable": "false"}},
        "status": {"allocatable": {"nvidia.com/gpu": "8"}, "capacity": {"nvidia.com/gpu": "8"},
                   "conditions": [{"type": "Ready", "status": "True"}]}
    });
    let (input, problems) = PlanInput::from_objects(&[cache(), sample()]);
    assert!(problems.is_empty());
    let p = plan(&input, &ClusterSnapshot::from_objects(&[gpu_node]));
    let at = |kind: &str, name: &str| {
        p.objects
            .iter()
            .position(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    };
    let (Some(t), Some(d), Some(s)) = (
        at("ResourceClaimTemplate", TEMPLATE),
        at("Deployment", NAME),
        at("Service", NAME),
    ) else {
        panic!("not planned: {:#?}", p.diagnostics);
    };
    assert!(t < d && d < s);
    let deploy = &p.objects[d];
    assert_eq!(
        deploy["spec"]["template"]["spec"]["resourceClaims"][0]["resourceClaimTemplateName"],
        TEMPLATE
    );
}
