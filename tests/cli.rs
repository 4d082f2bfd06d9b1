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
