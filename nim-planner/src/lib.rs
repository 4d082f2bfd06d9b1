//! Placeholder
pub mod diagnostics;
pub mod placement;
pub mod profile;
pub mod snapshot;
