//! Every CEL rule of the contract (§4.1), evaluated offline with kube's CEL implementation:
//! one manifest it accepts, one it rejects with NVIDIA's message.

use nim_types::validate::{Severity, Validator};
use serde_json::{Value, json};

fn obj(kind: &str, spec: Value) -> Value {
    json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": kind, "metadata": {"name": "t", "namespace": "ns"}, "spec": spec})
}

fn svc(extra: Value) -> Value {
    let mut spec =
        json!({"image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.3.3"}});
    merge(&mut spec, extra);
    obj("NIMService", spec)
}

fn cache(source: Value) -> Value {
    obj(
        "NIMCache",
        json!({"source": source, "storage": {"pvc": {"create": true, "size": "50Gi"}}}),
    )
}

fn merge(base: &mut Value, extra: Value) {
    if let (Value::Object(b), Value::Object(e)) = (base, extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

fn errors(v: &Validator, o: &Value) -> Vec<String> {
    v.validate(o)
        .unwrap()
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.message)
        .collect()
}

const NGC: &str = r#"{"authSecret": "ngc-api-secret", "modelPuller": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3"}"#;

fn ngc() -> Value {
    serde_json::from_str(NGC).unwrap()
}

fn hf(names: Value) -> Value {
    let mut v = json!({"endpoint": "https://huggingface.co", "namespace": "meta-llama", "authSecret": "hf", "modelPuller": "img", "pullSecret": "ps"});
    merge(&mut v, names);
    v
}

/// (rule, accepted, rejected, message)
fn cases() -> Vec<(&'static str, Value, Value, &'static str)> {
    let gpu_device = json!({"name": "gpu", "attributeSelectors": [{"key": "architecture", "value": {"stringValue": "Hopper"}}]});
    vec![
        (
            "NIMCache exactly one source",
            cache(json!({"ngc": ngc()})),
            cache(json!({"ngc": ngc(), "hf": hf(json!({"modelName": "m"}))})),
            "Exactly one of ngc, dataStore, or hf must be defined",
        ),
        (
            "NIMCache hf exactly one of modelName/datasetName",
            cache(json!({"hf": hf(json!({"modelName": "m"}))})),
            cache(json!({"hf": hf(json!({"modelName": "m", "datasetName": "d"}))})),
            "Exactly one of modelName or datasetName must be defined",
        ),
        (
            "NIMCache dataStore exactly one of modelName/datasetName",
            cache(
                json!({"dataStore": {"endpoint": "https://ds.example.com/v1/hf", "authSecret": "a", "modelPuller": "p", "pullSecret": "s", "datasetName": "d"}}),
            ),
            cache(
                json!({"dataStore": {"endpoint": "https://ds.example.com/v1/hf", "authSecret": "a", "modelPuller": "p", "pullSecret": "s"}}),
            ),
            "Exactly one of modelName or datasetName must be defined",
        ),
        (
            "NIMCache ngc model xor modelEndpoint",
            cache(
                json!({"ngc": {"authSecret": "s", "modelPuller": "p", "modelEndpoint": "ngc://nim/meta/llama"}}),
            ),
            cache(
                json!({"ngc": {"authSecret": "s", "modelPuller": "p", "modelEndpoint": "ngc://x", "model": {"engine": "vllm"}}}),
            ),
            "Only one of 'model' or 'modelEndpoint' can be specified",
        ),
        (
            "NIMService multiNode forbids autoscaling",
            svc(json!({"multiNode": {"parallelism": {"pipeline": 2, "tensor": 8}}, "replicas": 1})),
            svc(
                json!({"multiNode": {"parallelism": {"pipeline": 2, "tensor": 8}}, "scale": {"enabled": true, "hpa": {"maxReplicas": 2}}}),
            ),
            "autoScaling must be nil or disabled when multiNode is set",
        ),
        (
            "NIMService replicas with scale.enabled",
            svc(json!({"scale": {"enabled": true, "hpa": {"minReplicas": 1, "maxReplicas": 4}}})),
            svc(json!({"replicas": 1, "scale": {"enabled": true, "hpa": {"maxReplicas": 4}}})),
            "spec.replicas cannot be set when spec.scale.enabled is true",
        ),
        (
            "NIMService legacy ingress with router.ingress",
            svc(
                json!({"expose": {"ingress": {"enabled": false}, "router": {"hostDomainName": "example.com", "ingress": {"ingressClass": "nginx"}}}}),
            ),
            svc(
                json!({"expose": {"ingress": {"enabled": true}, "router": {"hostDomainName": "example.com", "ingress": {"ingressClass": "nginx"}}}}),
            ),
            ".spec.expose.ingress is deprecated, and will be removed in a future release. If .spec.expose.ingress is set, please do not set .spec.expose.router.ingress.",
        ),
        (
            "router ingress xor gateway",
            svc(
                json!({"expose": {"router": {"hostDomainName": "example.com", "gateway": {"namespace": "gw", "name": "inference-gw"}}}}),
            ),
            svc(
                json!({"expose": {"router": {"hostDomainName": "example.com", "gateway": {"namespace": "gw", "name": "g"}, "ingress": {"ingressClass": "nginx"}}}}),
            ),
            "ingress and gateway cannot be specified together",
        ),
        (
            "eppConfig configMapRef xor config",
            svc(
                json!({"expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": "v1.3.1"}}, "config": {"plugins": []}}}}}),
            ),
            svc(
                json!({"expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": "v1.3.1"}}, "config": {"plugins": []}, "configMapRef": {"name": "cm", "key": "k"}}}}}),
            ),
            "only one of configMapRef or config can be specified",
        ),
        (
            "gateway backendRef of kind Service needs a port",
            svc(
                json!({"expose": {"router": {"gateway": {"name": "g", "backendRef": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "pool"}}}}}),
            ),
            svc(
                json!({"expose": {"router": {"gateway": {"name": "g", "backendRef": {"name": "svc"}}}}}),
            ),
            "Must have port for Service reference",
        ),
        (
            "multiNode mpi xor ray",
            svc(json!({"multiNode": {"parallelism": {"pipeline": 2}, "ray": {}}})),
            svc(json!({"multiNode": {"parallelism": {"pipeline": 2}, "ray": {}, "mpi": {}}})),
            "mpi and ray are mutually exclusive",
        ),
        (
            "computeDomain create xor name",
            svc(
                json!({"multiNode": {"parallelism": {"pipeline": 2}, "computeDomain": {"name": "cd"}}}),
            ),
            svc(
                json!({"multiNode": {"parallelism": {"pipeline": 2}, "computeDomain": {"create": true, "name": "cd"}}}),
            ),
            "if create is true, name must not be set; otherwise name is required.",
        ),
        (
            "draResources item has exactly one source",
            svc(json!({"draResources": [{"resourceClaimTemplateName": "gpu-template"}]})),
            svc(
                json!({"draResources": [{"resourceClaimTemplateName": "gpu-template", "resourceClaimName": "claim"}]}),
            ),
            "exactly one of spec.resourceClaimName, spec.resourceClaimTemplateName, or spec.claimCreationSpec must be set.",
        ),
        (
            "DRA device: celExpressions xor selectors",
            svc(
                json!({"draResources": [{"claimCreationSpec": {"devices": [gpu_device.clone()]}}]}),
            ),
            svc(
                json!({"draResources": [{"claimCreationSpec": {"devices": [{"name": "gpu", "celExpressions": ["true"], "attributeSelectors": [{"key": "a", "value": {"boolValue": true}}]}]}}]}),
            ),
            "celExpressions must not be set if attributeSelectors or capacitySelectors are set",
        ),
        (
            "NIMPipeline service specs carry the NIMService rules",
            obj(
                "NIMPipeline",
                json!({"services": [{"name": "llm", "enabled": true, "spec": {"image": {"repository": "r", "tag": "1"}, "replicas": 1}}]}),
            ),
            obj(
                "NIMPipeline",
                json!({"services": [{"name": "llm", "enabled": true, "spec": {"image": {"repository": "r", "tag": "1"}, "replicas": 1, "scale": {"enabled": true, "hpa": {"maxReplicas": 2}}}}]}),
            ),
            "spec.replicas cannot be set when spec.scale.enabled is true",
        ),
    ]
}

#[test]
fn each_rule_accepts_one_manifest_and_rejects_another_with_nvidias_message() {
    let v = Validator::new();
    for (rule, good, bad, message) in cases() {
        assert_eq!(
            errors(&v, &good),
            Vec::<String>::new(),
            "{rule}: valid manifest rejected"
        );
        let errs = errors(&v, &bad);
        assert!(
            errs.iter().any(|e| e == message),
            "{rule}: expected {message:?}, got {errs:?}"
        );
    }
}

#[test]
fn status_rule_dra_resource_status_has_exactly_one_kind() {
    let v = Validator::new();
    let mut good = svc(json!({}));
    good["status"] = json!({"draResourceStatuses": [{"name": "gpu", "resourceClaimStatus": {"name": "c", "state": "allocated"}}]});
    assert_eq!(errors(&v, &good), Vec::<String>::new());
    let mut bad = good.clone();
    bad["status"]["draResourceStatuses"][0]["resourceClaimTemplateStatus"] = json!({"name": "t"});
    assert!(
        errors(&v, &bad).contains(
            &"exactly one of resourceClaimStatus and resourceClaimTemplateStatus must be set."
                .to_string()
        )
    );
}

#[test]
fn transition_rules_immutable_fields() {
    let v = Validator::new();
    let problems = |new: &Value, old: &Value| -> Vec<String> {
        v.validate_update(new, old)
            .unwrap()
            .into_iter()
            .map(|p| p.message)
            .collect()
    };

    // NIMCache modelPuller.
    let old = cache(json!({"ngc": ngc()}));
    let mut same = old.clone();
    same["spec"]["resources"] = json!({"cpu": "1"});
    assert!(problems(&same, &old).is_empty());
    let mut changed = old.clone();
    changed["spec"]["source"]["ngc"]["modelPuller"] =
        json!("nvcr.io/nim/meta/llama-3.1-8b-instruct:1.4.0");
    assert!(
        problems(&changed, &old)
            .iter()
            .any(|m| m.starts_with("modelPuller is an immutable field"))
    );

    // NIMService draResources.
    let old = svc(json!({"draResources": [{"resourceClaimTemplateName": "a"}]}));
    let mut same = old.clone();
    same["spec"]["replicas"] = json!(2);
    assert!(problems(&same, &old).is_empty());
    let changed = svc(json!({"draResources": [{"resourceClaimTemplateName": "b"}]}));
    assert!(problems(&changed, &old).contains(&"spec.draResources is immutable".to_string()));

    // NIMBuild spec.
    let build = |profile: &str| {
        obj(
            "NIMBuild",
            json!({"nimCache": {"name": "c", "profile": profile}, "image": {"repository": "r", "tag": "1"}}),
        )
    };
    assert!(problems(&build("a"), &build("a")).is_empty());
    assert!(problems(&build("b"), &build("a")).contains(&"spec is immutable".to_string()));
}

#[test]
fn schema_level_checks_mirror_the_apiserver() {
    let v = Validator::new();
    // Required field, bounds, enum, pattern, and pruned unknown fields as warnings.
    let missing_image = obj("NIMService", json!({"replicas": 1}));
    let p = v.validate(&missing_image).unwrap();
    assert!(
        p.iter()
            .any(|p| p.path == "spec.image" && p.message == "Required value"),
        "{p:?}"
    );

    let bad = svc(
        json!({"replicas": -1, "inferencePlatform": "sagemaker", "expose": {"router": {"hostDomainName": "Not_A_Domain"}}}),
    );
    let p: Vec<String> = v
        .validate(&bad)
        .unwrap()
        .into_iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    assert!(
        p.iter()
            .any(|m| m.starts_with("spec.replicas: Invalid value: -1")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("spec.inferencePlatform: Unsupported value")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("spec.expose.router.hostDomainName: Invalid value")),
        "{p:?}"
    );

    // NVIDIA's own routers/ingress sample puts `router:` directly under spec: pruned, so a warning.
    let misplaced = svc(json!({"router": {"ingress": {"ingressClass": "nginx"}}}));
    let p = v.validate(&misplaced).unwrap();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].severity, Severity::Warning);
    assert_eq!(p[0].path, "spec.router");
}

#[test]
fn seed_gateway_without_namespace_is_accepted() {
    // Documented relaxation: NVIDIA requires gateway.namespace; the seed article omits it.
    let v = Validator::new();
    let seed = svc(
        json!({"storage": {"nimCache": {"name": "llama-3-1-8b-cache"}}, "scale": {"enabled": true, "hpa": {"minReplicas": 1, "maxReplicas": 4}}, "expose": {"router": {"gateway": {"name": "inference-gw"}}}}),
    );
    assert!(v.validate(&seed).unwrap().is_empty());
}
