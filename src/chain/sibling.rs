//! Finding the workspace's other binaries from the running `xvr`.

use std::path::PathBuf;

/// `name` beside the running executable if it is there (how a build leaves them), else the
/// bare name, for `PATH`.
pub fn sibling_binary(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .filter(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}
