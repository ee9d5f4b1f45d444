//! How the token file meets the disk: files only the user may read (mode 0600 from creation
//! on), directories only the user may enter (0700), and replacement that readers see as all
//! old or all new, even across a crash. It knows nothing of what the bytes hold.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::secrets::{SecretError, io_err};

pub(super) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Open options for files only the user may read: mode 0600 from creation on (no window in
/// which the file exists with the umask's mode).
pub(super) fn private_options() -> fs_err::OpenOptions {
    let mut options = fs_err::OpenOptions::new();
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` (and missing parents) with mode 0700. An existing directory is left as it is.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), SecretError> {
    // fs-err has no DirBuilder, so std's is used and the path is added by `io_err`.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io_err(dir))
}

/// Replaces `path` with `bytes` so that readers see the old file or the new one, never a mix,
/// even across a crash: temp file in the same directory, fsync, rename, fsync the directory.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SecretError> {
    let dir = parent_dir(path);
    create_private_dir(dir)?;
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(
        ".tmp-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut tmp = TempFile {
        path: dir.join(name),
        armed: true,
    };
    let mut file = private_options()
        .write(true)
        .create_new(true)
        .open(&tmp.path)
        .map_err(io_err(&tmp.path))?;
    file.write_all(bytes).map_err(io_err(&tmp.path))?;
    file.sync_all().map_err(io_err(&tmp.path))?;
    drop(file);
    fs_err::rename(&tmp.path, path).map_err(io_err(path))?;
    tmp.armed = false;
    // The rename is durable only once the directory entry is on disk.
    #[cfg(unix)]
    fs_err::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    Ok(())
}

/// A temp file removed on drop while armed, i.e. on every early return before the rename.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs_err::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::secrets::file::tests::names_in;
    use crate::secrets::tests::{PASSPHRASE, TOKEN, store_in};
    use crate::secrets::{FileStore, Secret};

    #[cfg(unix)]
    #[test]
    fn files_are_0600_and_new_dirs_0700() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("a").join("b");
        let path = sub.join("secrets.json");
        let store = FileStore::new(path.clone(), Secret::new(PASSPHRASE));
        store.set("k", &Secret::new(TOKEN)).expect("set");
        let mode = |p: &Path| fs_err::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&sub.join("secrets.json.lock")), 0o600);
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        // A file made world-readable by someone else is replaced by a private one.
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        store.set("k", &Secret::new("v2")).expect("set");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn atomic_replace_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_in(dir.path());
        for i in 0..5 {
            store
                .set(&format!("k{i}"), &Secret::new(TOKEN))
                .expect("set");
        }
        store.delete("k0").expect("delete");
        assert_eq!(names_in(dir.path()), ["secrets.json", "secrets.json.lock"]);
        // A failing write (wrong passphrase) leaves nothing behind either.
        let wrong = FileStore::new(dir.path().join("secrets.json"), Secret::new("nope"));
        assert!(wrong.set("x", &Secret::new("y")).is_err());
        assert_eq!(names_in(dir.path()), ["secrets.json", "secrets.json.lock"]);
    }
}
