//! One module per CLI command.

pub mod crds;
pub mod plan;
pub mod validate;
