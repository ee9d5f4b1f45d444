//! Strict modes, as ssh has them: postez runs the `passphrase_command` of its config file, and
//! reads or writes the encrypted token file, only when the files and folders involved are the
//! user's alone. Anyone who can write `config.toml` chooses the command postez runs; anyone who
//! can write the data folder can swap the token file or plant a config in a `POSTEZ_HOME`. This
//! module only checks, and says what to fix; it never repairs modes itself (a folder someone else
//! could write may already hold their files).

use std::path::{Path, PathBuf};

use super::SecretError;

/// Checks `path` and the folders above it before postez does `action` with it.
///
/// `path` itself (when it exists) must belong to the user (or root) and not be writable by group
/// or others. The folders above it must belong to the user or root and be writable by nobody
/// else, unless sticky (`/tmp`: others cannot rename or delete what is ours there). A missing
/// `path` is fine: postez creates it privately.
pub fn require_private(path: &Path, action: &'static str) -> Result<(), SecretError> {
    #[cfg(unix)]
    {
        unix::require_private(path, action)
    }
    #[cfg(not(unix))]
    {
        // Windows ACLs are not mode bits; the user's profile folder is private by default.
        let _ = (path, action);
        Ok(())
    }
}

fn untrusted(action: &'static str, path: &Path, problem: String, fix: String) -> SecretError {
    SecretError::Untrusted {
        action,
        path: path.to_path_buf(),
        problem,
        fix,
    }
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::MetadataExt;

    use super::{Path, PathBuf, SecretError, untrusted};

    const GROUP_OR_OTHER_WRITE: u32 = 0o022;
    const STICKY: u32 = 0o1000;

    pub(super) fn require_private(path: &Path, action: &'static str) -> Result<(), SecretError> {
        let me = rustix::process::geteuid().as_raw();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SecretError::Io { path, source }
        };
        let exists = match std::fs::metadata(path) {
            Ok(meta) => {
                check(path, &meta, me, action, false)?;
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(source) => return Err(io(path)(source)),
        };
        // The folders that lead to it, even when it is missing (someone who can write one of
        // them could put it there, or take it away, between postez's read and this check): as
        // written, since a link in a folder others can write can be re-pointed, and as the
        // kernel resolves them, since that is where the file really is.
        let written = std::path::absolute(path).map_err(io(path))?;
        let nearest = written
            .ancestors()
            .skip(usize::from(!exists))
            .find(|p| p.exists())
            .unwrap_or(Path::new("/"));
        let real: PathBuf = std::fs::canonicalize(nearest).map_err(io(nearest))?;
        let written_dirs = written.ancestors().skip(1).filter(|d| d.exists());
        let real_dirs = real.ancestors().skip(usize::from(exists));
        for dir in written_dirs.chain(real_dirs) {
            let meta = std::fs::metadata(dir).map_err(io(dir))?;
            check(dir, &meta, me, action, true)?;
        }
        Ok(())
    }

    fn check(
        path: &Path,
        meta: &std::fs::Metadata,
        me: u32,
        action: &'static str,
        above: bool,
    ) -> Result<(), SecretError> {
        let shown = path.display();
        if meta.uid() != me && meta.uid() != 0 {
            return Err(untrusted(
                action,
                path,
                format!("belongs to another user (uid {})", meta.uid()),
                format!(
                    "if `{shown}` is yours, run `chown $(id -un) {shown}`; otherwise remove it \
                     and check how it got there"
                ),
            ));
        }
        let mode = meta.mode();
        let writable = mode & GROUP_OR_OTHER_WRITE != 0;
        if writable && !(above && mode & STICKY != 0) {
            return Err(untrusted(
                action,
                path,
                "can be written by group or others".into(),
                format!("check that its contents are yours, then run `chmod go-w {shown}`"),
            ));
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn private_files_pass_and_missing_ones_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.toml");
        require_private(&file, "run it").expect("missing is fine");
        // …but not in a folder others can write: they could put it there after postez read it.
        chmod(dir.path(), 0o777);
        assert!(require_private(&file, "run it").is_err());
        chmod(dir.path(), 0o755);
        std::fs::write(&file, "x").expect("write");
        chmod(&file, 0o644);
        chmod(dir.path(), 0o755);
        require_private(&file, "run it").expect("0644 in 0755");
        require_private(dir.path(), "run it").expect("folder");
    }

    #[test]
    fn writable_by_others_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "x").expect("write");
        for mode in [0o664, 0o646] {
            chmod(&file, mode);
            let err = require_private(&file, "run the passphrase command").expect_err("refused");
            let shown = err.to_string();
            assert!(
                shown.contains("will not run the passphrase command")
                    && shown.contains("config.toml")
                    && shown.contains("group or others"),
                "{shown}"
            );
            assert!(err.hint().expect("hint").contains("chmod go-w"), "{err:?}");
        }
        chmod(&file, 0o600);
        // A writable folder above it is refused too, unless sticky (like /tmp).
        chmod(dir.path(), 0o777);
        assert!(require_private(&file, "run it").is_err());
        chmod(dir.path(), 0o1777);
        require_private(&file, "run it").expect("sticky folder");
        chmod(dir.path(), 0o700);
    }
}
