//! Files and folders postez creates on the user's disk, made so that a link or a folder planted
//! by someone else cannot turn a write or a `chmod` against the user (issue 15): postez's own
//! folders are created 0700 and tightened only when they are real folders of the user's; files
//! postez writes at a path the user chose are new 0600 files renamed into place, never written
//! through a symbolic link. Never prints.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Make sure postez's own folder `dir` exists and is readable by the user alone.
///
/// A missing folder is created 0700, and so are its missing parents: created with the umask
/// (002 on systems with a group per user), `~/.config` or `~/.local/share` would be
/// group-writable, which the strict modes of `secrets` then refuse. An existing real folder of the
/// user's is tightened to 0700. A symbolic link is used as it is and never `chmod`ed: its
/// target is somewhere the user chose, whose mode is theirs to decide. A folder (or a link's
/// target) that belongs to another user is refused, like ssh's StrictModes: postez would keep
/// logins and the queue where someone else can read or swap them.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    let meta = match fs_err::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_all_0700(parent)?;
            }
            match create_0700(dir) {
                // Another postez created it meanwhile: check it like any existing folder.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                other => other?,
            }
            return tighten(dir);
        }
        Err(e) => return Err(e.into()),
    };
    if meta.file_type().is_symlink() {
        // The target's owner still matters; its mode is left alone.
        let target = fs_err::metadata(dir)?;
        if !target.is_dir() {
            return Err(not_a_folder(dir));
        }
        return owned_by_user(dir, &target);
    }
    if !meta.is_dir() {
        return Err(not_a_folder(dir));
    }
    tighten(dir)
}

/// Create the folder `dir` the user named (e.g. `export --media`) as 0700 when it does not exist
/// yet. An existing folder is used as it is: its mode is the user's choice, not postez's.
pub fn create_user_dir(dir: &Path) -> Result<()> {
    match fs_err::metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(Error::invalid(
                format!("`{}` is not a folder", dir.display()),
                Some("give a folder (new or existing) for the copies".into()),
            ));
        }
        Err(_) => {}
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_all_0700(parent)?;
    }
    match create_0700(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => Ok(other?),
    }
}

/// Make an existing file readable by the user alone.
pub fn make_private(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs_err::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Write the file at `path`, which the user named, as a new file readable by them alone (0600).
///
/// `write` fills a temporary file created next to `path` (`O_CREAT|O_EXCL`, so nothing existing
/// and no link is opened), which is then renamed over `path`. An existing regular file is thus
/// replaced whole, and a hard link to it elsewhere keeps its old content. A symbolic link or
/// anything else that is not a regular file at `path` is refused instead of replaced: it may be
/// a system file's link (`/dev/stdout`), and rename would swap the link itself.
pub fn write_private(
    path: &Path,
    write: impl FnOnce(&mut fs_err::File) -> io::Result<()>,
) -> Result<()> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => {
            let shown = path.display();
            let (message, hint) = if meta.file_type().is_symlink() {
                (
                    format!(
                        "`{shown}` is a symbolic link, and postez does not write through links"
                    ),
                    "give the path of the file itself, or remove the link first".to_string(),
                )
            } else if meta.is_dir() {
                (
                    format!("`{shown}` is a folder, not a file"),
                    format!(
                        "give a file name in it, e.g. `{}`",
                        path.join("export.json").display()
                    ),
                )
            } else {
                (
                    format!("`{shown}` is not a regular file (a device, pipe or socket)"),
                    "give the path of a new or regular file".to_string(),
                )
            };
            return Err(Error::invalid(message, Some(hint)));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let tmp = temp_path(path)?;
    // std's OpenOptions, so the error is the OS's alone and can name the target: the temporary
    // name means nothing to the user. The handle then names the target in write errors too.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&tmp).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("could not create `{}`: {e}", path.display()),
        )
    })?;
    let mut file = fs_err::File::from_parts(file, path);
    let written = write(&mut file).and_then(|()| {
        // The umask may have taken bits away; 0600 exactly, set on the handle.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.sync_all()
    });
    drop(file);
    if let Err(e) = written.and_then(|()| fs_err::rename(&tmp, path)) {
        let _ = fs_err::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

/// Create one folder, 0700 from the start (std's `DirBuilder`: fs-err has none, so the error
/// names the path here).
fn create_0700(dir: &Path) -> io::Result<()> {
    create_dirs_0700(dir, false)
}

/// Create `dir` and its missing parents, each 0700 from the start; existing ones are left as
/// they are.
fn create_all_0700(dir: &Path) -> io::Result<()> {
    create_dirs_0700(dir, true)
}

fn create_dirs_0700(dir: &Path, parents: bool) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(parents);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("failed to create directory `{}`: {e}", dir.display()),
        )
    })
}

/// A fresh, unguessable name next to `path`.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        Error::invalid(
            format!("`{}` does not name a file", path.display()),
            Some("give a file name, e.g. `backup.json`".into()),
        )
    })?;
    let tmp = format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        rand::random::<u64>()
    );
    Ok(path.with_file_name(tmp))
}

fn not_a_folder(dir: &Path) -> Error {
    Error::config(
        format!(
            "`{}` is not a folder, so postez cannot keep its files there",
            dir.display()
        ),
        Some("remove or rename it, or set POSTEZ_HOME to another folder".into()),
    )
}

/// Tighten a real folder of the user's to 0700 through a handle opened without following
/// links, so a folder swapped for a link between the check and the `chmod` is not followed.
#[cfg(unix)]
fn tighten(dir: &Path) -> Result<()> {
    use fs_err::os::unix::fs::OpenOptionsExt;
    use rustix::fs::OFlags;
    use std::os::unix::fs::PermissionsExt;
    let flags = (OFlags::NOFOLLOW | OFlags::DIRECTORY).bits();
    let handle = fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(flags as i32)
        .open(dir);
    let handle = match handle {
        Ok(h) => h,
        // ELOOP: it became a link meanwhile; treat it like one.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return ensure_private_dir(dir);
        }
        Err(e) => return Err(e.into()),
    };
    let meta = handle.metadata()?;
    owned_by_user(dir, &meta)?;
    if meta.permissions().mode() & 0o777 != 0o700 {
        handle.set_permissions(std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Refuse a folder that belongs to someone else.
#[cfg(unix)]
fn owned_by_user(dir: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(Error::config(
            format!(
                "the folder `{}` belongs to another user (uid {}), so postez will not keep \
                 logins and the queue there",
                dir.display(),
                meta.uid()
            ),
            Some(format!(
                "use a folder of your own (set POSTEZ_HOME), or take it over: `chown {me} {}`",
                dir.display()
            )),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owned_by_user(_dir: &Path, _meta: &std::fs::Metadata) -> Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn own_folders_are_created_or_tightened_to_0700() {
        let tmp = tempfile::tempdir().unwrap();
        let new = tmp.path().join("a/b");
        ensure_private_dir(&new).unwrap();
        assert_eq!(mode(&new), 0o700);
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&open).unwrap();
        assert_eq!(mode(&open), 0o700);
    }

    #[test]
    fn a_linked_folder_is_used_but_not_chmodded() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        std::fs::create_dir(&target).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        ensure_private_dir(&link).unwrap();
        assert_eq!(mode(&target), 0o755);
        // A link to a file is not a folder.
        let file = tmp.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let to_file = tmp.path().join("to-file");
        std::os::unix::fs::symlink(&file, &to_file).unwrap();
        assert!(ensure_private_dir(&to_file).is_err());
        assert!(ensure_private_dir(&file).is_err());
    }

    #[test]
    fn write_private_replaces_a_file_and_refuses_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        std::fs::write(&out, "old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        let other_name = tmp.path().join("hard");
        std::fs::hard_link(&out, &other_name).unwrap();
        write_private(&out, |f| io::Write::write_all(f, b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        assert_eq!(mode(&out), 0o600);
        // The hard link elsewhere still holds the old bytes: the file was replaced, not written.
        assert_eq!(std::fs::read_to_string(&other_name).unwrap(), "old");
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let inode = std::fs::metadata(&victim).unwrap().ino();
        let link = tmp.path().join("link.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = write_private(&link, |f| io::Write::write_all(f, b"evil")).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::metadata(&victim).unwrap().ino(), inode);
        // No temporary file is left behind, after success or failure.
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // A failing writer leaves the old file in place.
        let failed = write_private(&out, |_| Err(io::Error::other("disk full")));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
    }
}
