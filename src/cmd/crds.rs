//! `nim-operator crds`: the four CRDs as one multi-document YAML stream.

use std::io::Write;

/// Render the CRDs as YAML documents separated by `---`.
pub fn render() -> Result<String, serde_saphyr::SerializeError> {
    let mut out = String::new();
    for crd in nim_types::crds() {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(&crd)?);
    }
    Ok(out)
}

/// Print the CRDs to stdout.
pub fn run() -> anyhow::Result<()> {
    let yaml = render()?;
    std::io::stdout().write_all(yaml.as_bytes())?;
    Ok(())
}
