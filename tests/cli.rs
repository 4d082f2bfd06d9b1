//! The `nim-operator` binary's contract: output, messages and exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nim-operator"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run nim-operator")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nim-operator-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn crds_prints_four_yaml_documents_that_parse_back() {
    let out = bin(&["crds"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&stdout(&out)).unwrap();
    let names: Vec<&str> = docs
        .iter()
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "nimcaches.apps.nvidia.com",
            "nimservices.apps.nvidia.com",
            "nimpipelines.apps.nvidia.com",
            "nimbuilds.apps.nvidia.com"
        ]
    );
    assert!(docs.iter().all(|d| d["kind"] == "CustomResourceDefinition"));
}

#[test]
fn validate_accepts_the_examples_and_samples() {
    let out = bin(&["validate", "examples", "nim-types/tests/fixtures/samples"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("0 error(s)"), "{}", stderr(&out));
}

#[test]
fn validate_reports_one_line_per_problem_and_exits_1() {
    let path = temp_file(
        "bad.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: ignored}\n---\napiVersion: apps.nvidia.com/v1alpha1\nkind: NIMService\nmetadata: {name: llm}\nspec:\n  image: {repository: r, tag: '1'}\n  replicas: 1\n  scale: {enabled: true, hpa: {maxReplicas: 2}}\n  router: {}\n",
    );
    let out = bin(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let file = path.display().to_string();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines.contains(&format!("error: {file}: document 2: NIMService/llm: spec: spec.replicas cannot be set when spec.scale.enabled is true").as_str()), "{text}");
    assert!(lines.contains(&format!("warning: {file}: document 2: NIMService/llm: spec.router: unknown field; the apiserver prunes it, so it has no effect").as_str()), "{text}");
}

#[test]
fn validate_exits_2_on_unreadable_or_unparsable_input() {
    let out = bin(&["validate", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does/not/exist.yaml: cannot read"),
        "{}",
        stderr(&out)
    );

    let path = temp_file("broken.yaml", "apiVersion: v1\nkind: [\n");
    let out = bin(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("invalid YAML") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn bad_flags_exit_2() {
    let out = bin(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = bin(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
}

fn plan_json(files: &str, cluster: &str) -> (Option<i32>, serde_json::Value) {
    let out = bin(&["plan", "-f", files, "--cluster", cluster, "-o", "json"]);
    let json = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), json)
}

fn objects_of_kind<'a>(plan: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    plan["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == kind)
        .collect()
}

#[test]
fn plan_of_the_seed_binds_the_model_to_gpu_nodes_and_renders_the_children() {
    let (code, plan) = plan_json("examples/seed", "examples/clusters/vks.yaml");
    assert_eq!(code, Some(0), "{plan:#}");
    let keys: Vec<&String> = plan.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["diagnostics", "objects", "placements"]);

    let deploys = objects_of_kind(&plan, "Deployment");
    assert_eq!(deploys.len(), 1);
    let pod = &deploys[0]["spec"]["template"]["spec"];
    let term = &pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        [0]["matchExpressions"][0];
    assert_eq!(term["key"], "nvidia.com/gpu.product");
    assert_eq!(
        term["values"],
        serde_json::json!(["NVIDIA-H100XM-80C", "NVIDIA-L40S-48C"])
    );
    // The seed sets no GPU count; the cache's tp=1 profiles size the pod (NVIDIA would give it none).
    assert_eq!(
        pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "1"
    );
    assert!(
        deploys[0]["spec"].get("replicas").is_none(),
        "the HPA owns replicas"
    );
    assert_eq!(objects_of_kind(&plan, "HorizontalPodAutoscaler").len(), 1);
    let route = objects_of_kind(&plan, "HTTPRoute");
    assert_eq!(route[0]["spec"]["parentRefs"][0]["name"], "inference-gw");
    assert_eq!(
        objects_of_kind(&plan, "Job").len(),
        1,
        "the caching Job is planned from the manifest"
    );

    // The seed scales on the HPA's default (CPU): the sharp edge is flagged.
    let codes: Vec<&str> = plan["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["CpuMetricAutoscaling"]);

    // Apply order: the PVC before the Job, RBAC before the Deployment, the Deployment before its Service.
    let order: Vec<String> = plan["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    let pos = |k: &str| {
        order
            .iter()
            .position(|o| o == k)
            .unwrap_or_else(|| panic!("{k} missing in {order:?}"))
    };
    assert!(
        pos("PersistentVolumeClaim/llama-3-1-8b-cache-pvc") < pos("Job/llama-3-1-8b-cache-job")
    );
    assert!(pos("RoleBinding/llama-3-1-8b") < pos("Deployment/llama-3-1-8b"));
    assert!(pos("Deployment/llama-3-1-8b") < pos("Service/llama-3-1-8b"));
    assert!(pos("Service/llama-3-1-8b") < pos("HTTPRoute/llama-3-1-8b"));
}

#[test]
fn plan_refuses_a_tp4_model_on_l40s_vgpu_and_binds_it_to_h100_sxm_vgpu() {
    let (code, plan) = plan_json("examples/llama-70b", "examples/clusters/vks-l40s-only.yaml");
    assert_eq!(code, Some(1));
    let first = &plan["diagnostics"][0];
    assert_eq!(first["code"], "VgpuMultiGpuUnsupported");
    assert_eq!(first["object"]["name"], "llama-3-1-70b");
    assert!(
        objects_of_kind(&plan, "Deployment").is_empty(),
        "no pods that cannot start"
    );

    let (code, plan) = plan_json("examples/llama-70b", "examples/clusters/vks.yaml");
    assert_eq!(code, Some(0), "{plan:#}");
    let deploy = objects_of_kind(&plan, "Deployment")[0];
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(
        pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "4"
    );
    assert_eq!(
        pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
            [0]["matchExpressions"][0]["values"],
        serde_json::json!(["NVIDIA-H100XM-80C"])
    );
    assert_eq!(
        plan["placements"][0]["eligible_pools"],
        serde_json::json!(["nvidia-h100xm-80c-x4"])
    );
}

#[test]
fn plan_output_is_byte_for_byte_stable() {
    let a = bin(&[
        "plan",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks.yaml",
    ]);
    let b = bin(&[
        "plan",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks.yaml",
    ]);
    assert_eq!(a.stdout, b.stdout);
    let text = stdout(&a);
    assert!(text.starts_with("# nim-operator plan: "), "{text}");
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    assert!(
        docs.iter().all(|d| d.get("kind").is_some()),
        "every YAML document is an object"
    );
}

#[test]
fn plan_reports_invalid_specs_and_unreadable_snapshots() {
    let bad = temp_file(
        "bad-plan.yaml",
        "apiVersion: apps.nvidia.com/v1alpha1\nkind: NIMService\nmetadata: {name: llm}\nspec:\n  image: {repository: r, tag: '1.0'}\n  replicas: 1\n  scale: {enabled: true, hpa: {maxReplicas: 2}}\n",
    );
    let (code, plan) = plan_json(bad.to_str().unwrap(), "examples/clusters/vks.yaml");
    assert_eq!(code, Some(1));
    let d = &plan["diagnostics"][0];
    assert_eq!(d["code"], "InvalidSpec");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("spec.replicas cannot be set when spec.scale.enabled is true"),
        "{d}"
    );

    let out = bin(&[
        "plan",
        "-f",
        "examples/seed",
        "--cluster",
        "no/such/cluster.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no/such/cluster.yaml: cannot read"),
        "{}",
        stderr(&out)
    );
}
