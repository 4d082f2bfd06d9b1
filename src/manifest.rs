//! Reading Kubernetes manifests: files or directories of multi-document YAML (or JSON), `List`
//! objects flattened, every object remembered with its file and document index.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// One object read from a manifest file.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from.
    pub file: PathBuf,
    /// 1-based index of the YAML document in the file.
    pub index: usize,
    /// The object.
    pub object: Value,
}

impl Document {
    /// `Kind/name` for messages.
    pub fn kind_name(&self) -> String {
        let kind = self
            .object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("<no kind>");
        let name = self
            .object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("<no name>");
        format!("{kind}/{name}")
    }

    /// `file: document N` for messages.
    pub fn location(&self) -> String {
        format!("{}: document {}", self.file.display(), self.index)
    }
}

/// A file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// I/O error.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// YAML syntax error (the message carries the line and column).
    #[error("{path}: invalid YAML: {message}")]
    Parse {
        /// The path.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The live cluster could not be read (`--from-cluster`).
    #[error("cannot read the cluster of the current kubeconfig: {message}")]
    Cluster {
        /// What went wrong.
        message: String,
    },
    /// A document is not a Kubernetes object.
    #[error(
        "{path}: document {index}: not a Kubernetes object (expected a mapping with apiVersion and kind)"
    )]
    NotAnObject {
        /// The path.
        path: PathBuf,
        /// 1-based document index.
        index: usize,
    },
}

impl ReadError {
    /// Stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "ReadFailed",
            Self::Parse { .. } => "InvalidYaml",
            Self::NotAnObject { .. } => "NotAnObject",
            Self::Cluster { .. } => "ClusterUnreachable",
        }
    }
}

/// Expand directories (recursively, `*.yaml`/`*.yml`/`*.json`, sorted) into files.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    Ok(files)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for entry in entries {
        let is_manifest = entry
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if entry.is_dir() || is_manifest {
            collect(&entry, out)?;
        }
    }
    Ok(())
}

/// Read every object of one file.
pub fn read_file(path: &Path) -> Result<Vec<Document>, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parse multi-document YAML text; `path` is only used in messages. Documents are split on
/// `---` lines so that document indices (and line numbers) match the file even when some
/// documents are empty.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Document>, ReadError> {
    let mut out = Vec::new();
    for (i, (start_line, chunk)) in split_documents(text).into_iter().enumerate() {
        let index = i + 1;
        let doc: Value = serde_saphyr::from_str(&chunk).map_err(|e| ReadError::Parse {
            path: path.to_path_buf(),
            message: format!("document {index} (starting at line {start_line}): {e}"),
        })?;
        match doc {
            Value::Null => {}
            Value::Object(_) => flatten(path, index, doc, &mut out)?,
            _ => {
                return Err(ReadError::NotAnObject {
                    path: path.to_path_buf(),
                    index,
                });
            }
        }
    }
    Ok(out)
}

/// Split a YAML stream on document-start lines (`---`, optionally followed by content), keeping
/// each document's first line number (1-based). Comments or blank lines before the first `---`
/// are not a document.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut start = 1;
    let mut body = String::new();
    let mut has_content = false;
    let mut after_marker = false;
    for (n, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") {
            if after_marker || has_content {
                docs.push((start, std::mem::take(&mut body)));
            }
            body.clear();
            after_marker = true;
            start = n + 1;
            let rest = line[3..].trim_start();
            has_content = !rest.is_empty();
            if has_content {
                body.push_str(rest);
                body.push('\n');
            }
            continue;
        }
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            has_content = true;
        }
        body.push_str(line);
        body.push('\n');
    }
    if after_marker || has_content {
        docs.push((start, body));
    }
    docs
}

fn flatten(
    path: &Path,
    index: usize,
    doc: Value,
    out: &mut Vec<Document>,
) -> Result<(), ReadError> {
    let is_list = doc
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List"))
        && doc.get("items").is_some_and(Value::is_array);
    if is_list {
        if let Some(Value::Array(items)) = doc.get("items") {
            for item in items {
                if !item.is_object() {
                    return Err(ReadError::NotAnObject {
                        path: path.to_path_buf(),
                        index,
                    });
                }
                out.push(Document {
                    file: path.to_path_buf(),
                    index,
                    object: item.clone(),
                });
            }
        }
        return Ok(());
    }
    if doc.get("kind").is_none() || doc.get("apiVersion").is_none() {
        return Err(ReadError::NotAnObject {
            path: path.to_path_buf(),
            index,
        });
    }
    out.push(Document {
        file: path.to_path_buf(),
        index,
        object: doc,
    });
    Ok(())
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.kind_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_flattened_and_empty_documents_skipped() {
        let text = "---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: b}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
        let docs = parse(Path::new("x.yaml"), text).unwrap();
        let names: Vec<String> = docs.iter().map(Document::kind_name).collect();
        assert_eq!(names, ["Node/a", "Node/b", "Pod/p"]);
        assert_eq!(docs[2].index, 3);
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let err = parse(Path::new("bad.yaml"), "kind: Pod\nmetadata: {name: [\n").unwrap_err();
        assert_eq!(err.code(), "InvalidYaml");
        let msg = err.to_string();
        assert!(msg.starts_with("bad.yaml: invalid YAML"), "{msg}");
        assert!(msg.contains("line"), "{msg}");
    }

    #[test]
    fn document_indices_and_lines_match_the_file() {
        let docs = split_documents("# header\n---\na: 1\n---\n---\nb: 2\n");
        let starts: Vec<usize> = docs.iter().map(|d| d.0).collect();
        assert_eq!(starts, [2, 4, 5]);
        assert_eq!(split_documents("a: 1\n").len(), 1);
        let err = parse(
            Path::new("x.yaml"),
            "apiVersion: v1\nkind: A\n---\nkind: [\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("document 2 (starting at line 3)"),
            "{err}"
        );
    }

    #[test]
    fn scalars_are_not_objects() {
        let err = parse(Path::new("s.yaml"), "just a string\n").unwrap_err();
        assert_eq!(err.code(), "NotAnObject");
    }
}
