//! Pluggable reconcile traits (apply, status, events, inventory) and the kube-rs controllers for the
//! four NIM custom resources. Not implemented yet: this crate is the next milestone (see the
//! README); today it only reserves the name in the workspace.
