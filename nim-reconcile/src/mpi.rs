//! The multi-node MPI SSH key. NVIDIA's operator generates one private key per multi-node
//! NIMService in MPI mode (Secret `<name>-ssh-pk`, key `private.key`): the leader's `mpirun`
//! reaches the workers over SSH with it. The planner is pure and cannot make a random key, so it
//! reports `NotRendered`; the NIMService controller makes the key here, once, and never
//! replaces it (Secrets are create-only children).
//!
//! The key is Ed25519 in OpenSSH format (NVIDIA uses RSA-2048): the start script derives
//! `authorized_keys` with `ssh-keygen -y`, which reads either.

use nim_planner::graph::ObjectId;
use nim_planner::render::RenderContext;
use nim_planner::render::leaderworkerset::ssh_secret;
use nim_types::NIMService;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;
use ssh_key::private::Ed25519Keypair;
use ssh_key::{LineEnding, PrivateKey};

use crate::error::{Error, Result};
use crate::traits::Observe;

/// A fresh Ed25519 private key in OpenSSH format, from the system's secure random source.
///
/// ```
/// let pem = nim_reconcile::mpi::generate_ssh_private_key().unwrap();
/// assert!(pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
/// assert_ne!(pem, nim_reconcile::mpi::generate_ssh_private_key().unwrap());
/// ```
pub fn generate_ssh_private_key() -> Result<String> {
    let failed = |message: String| Error::KeyGeneration {
        what: "the MPI SSH key".into(),
        message,
    };
    let mut seed = [0u8; 32];
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| failed("the system random source failed".into()))?;
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| failed(e.to_string()))?;
    Ok(pem.to_string())
}

/// The MPI SSH key Secret of `svc`, when its multi-node MPI mode needs one: its id, and the
/// Secret to create (a fresh key, with the labels, annotations and owner the planner renders for
/// the service's other children) or `None` when it already exists, so its key is kept.
/// `Ok(None)` for every other service.
///
/// ```
/// use nim_reconcile::memory::MemoryCluster;
/// use nim_reconcile::mpi::mpi_ssh_secret;
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
///     "metadata": {"name": "ds", "namespace": "nim", "uid": "u1"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "multiNode": {"parallelism": {"pipeline": 2}}}
/// })).unwrap();
/// let cluster = MemoryCluster::default();
/// let (id, secret) = mpi_ssh_secret(&cluster, &svc).unwrap().unwrap();
/// assert_eq!(id.to_string(), "Secret nim/ds-ssh-pk");
/// let secret = secret.expect("not in the cluster yet");
/// assert!(secret["stringData"]["private.key"].as_str().unwrap().contains("OPENSSH PRIVATE KEY"));
/// assert_eq!(secret["metadata"]["ownerReferences"][0]["uid"], "u1");
/// ```
pub fn mpi_ssh_secret(
    observe: &dyn Observe,
    svc: &NIMService,
) -> Result<Option<(ObjectId, Option<Value>)>> {
    // Probe with a placeholder: `ssh_secret` renders only for MPI-mode multi-node services.
    let probe = RenderContext {
        mpi_ssh_private_key: Some("probe".into()),
        ..Default::default()
    };
    let Some(secret) = ssh_secret(svc, &probe) else {
        return Ok(None);
    };
    let id = ObjectId::new(
        "v1",
        "Secret",
        secret.metadata.namespace.as_deref().unwrap_or_default(),
        secret.metadata.name.as_deref().unwrap_or_default(),
    );
    if observe.get(&id).is_some() {
        return Ok(Some((id, None)));
    }
    let ctx = RenderContext {
        mpi_ssh_private_key: Some(generate_ssh_private_key()?),
        ..Default::default()
    };
    let secret = ssh_secret(svc, &ctx)
        .map(serde_json::to_value)
        .transpose()?;
    Ok(Some((id, secret)))
}
