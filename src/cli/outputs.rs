//! What a command writes: its output checked before any work, locked while it runs, written
//! whole or not at all (a temporary renamed), and stdout.

use super::CliError;

/// What an output path holds: nothing yet (a new path), a regular file or a folder. Anything
/// else is refused by name before any work (issue 55 #1): a device node or socket would be
/// replaced by the rename that writes a file whole (as root, `--save-run /dev/null` would replace
/// the system's /dev/null), a FIFO blocks the first open forever, and a symbolic link loop, or a
/// link to nothing, names no file at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum OutputKind {
    New,
    File,
    Folder,
}

/// The kind of what is at `path` (following symbolic links), or why it cannot be an output.
pub(super) fn output_kind(path: &std::path::Path) -> Result<OutputKind, String> {
    use std::os::unix::fs::FileTypeExt;
    // ELOOP: too many levels of symbolic links.
    const ELOOP: i32 = 40;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OutputKind::New),
        Err(e) if e.raw_os_error() == Some(ELOOP) => return Err("a folder on its path is a symbolic link loop (following it never ends)".into()),
        Err(e) => return Err(format!("cannot look at it ({e})")),
    };
    let meta = if meta.file_type().is_symlink() {
        let to = std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default();
        match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.raw_os_error() == Some(ELOOP) => {
                return Err(format!("is a symbolic link loop (to {to}, which leads back to itself): it names no file; remove it or choose another path"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!("is a symbolic link to {to}, which does not exist; give the path itself, or remove the link"));
            }
            Err(e) => return Err(format!("is a symbolic link to {to}, which cannot be followed ({e})")),
        }
    } else {
        meta
    };
    let t = meta.file_type();
    let what = if t.is_file() {
        return Ok(OutputKind::File);
    } else if t.is_dir() {
        return Ok(OutputKind::Folder);
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(format!("is {what}, not a regular file: it is not written over; choose a regular file or a new path"))
}

/// [`output_kind`] as a refusal naming `flag` and `path`.
pub(super) fn check_output_kind(flag: &str, path: &std::path::Path) -> Result<OutputKind, CliError> {
    output_kind(path).map_err(|why| CliError::Usage(format!("{flag} {}: {why}", path.display())))
}

/// Checks, before any work and without writing anything that stays, that files can be written
/// in `dir`: in it where it exists (an empty name, a regular file, /proc ... fail here), else in
/// the nearest folder above it that exists (the folder itself is made at the first write).
/// `files` are the names the command writes inside it: each must be new or a regular file.
pub(super) fn check_out_dir(flag: &str, dir: &str, files: &[String]) -> Result<(), CliError> {
    if dir.trim().is_empty() {
        return Err(CliError::Usage(format!("{flag}: needs a folder name")));
    }
    let path = std::path::Path::new(dir);
    if check_output_kind(flag, path)? == OutputKind::Folder {
        for name in files {
            let inside = path.join(name);
            if check_output_kind(flag, &inside)? == OutputKind::Folder {
                return Err(CliError::Usage(format!("{flag} {dir}: cannot write {}: a folder of that name is there", inside.display())));
            }
        }
    }
    if path.exists() && !path.is_dir() {
        return Err(CliError::Usage(format!("{flag} {dir}: cannot create this folder: a file of that name is there")));
    }
    let mut at = path;
    while !at.exists() {
        at = match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => std::path::Path::new("."),
        };
    }
    let what = if at == path { "cannot write here" } else { "cannot create this folder" };
    if !at.is_dir() {
        return Err(CliError::Usage(format!("{flag} {dir}: {what}: {} is not a folder", at.display())));
    }
    let probe = at.join(format!(".collapse-lab-write-check.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| CliError::Usage(format!("{flag} {dir}: {what}: {e}")))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// An exclusive hold on an output (a `study --out` file, a `generations --out` folder, a
/// `--save-run` file) for the life of the command: a lock file beside it holding this process's
/// id, removed when the command ends. A second command on the same output is refused (exit 2)
/// while the first runs; a lock left by a process that is gone (killed) is taken over.
pub(super) struct OutputLock(std::path::PathBuf, Option<std::path::PathBuf>);

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        // A folder the lock made that is still empty (the command was refused before it wrote
        // anything there) is removed again: a refused command leaves nothing behind (issue 55).
        if let Some(made) = &self.1 {
            let _ = std::fs::remove_dir(made);
        }
    }
}

/// Whether `path` is a plain file (links followed) that [`crate::output::check_input`] lets a
/// command read, as a refusal naming `flag` and the path: a FIFO, a device or a socket given
/// as an input is refused before it is opened (a FIFO would block the read forever).
pub(super) fn check_in_file(flag: &str, path: &str) -> Result<(), CliError> {
    crate::output::check_input(std::path::Path::new(path)).map_err(|why| CliError::Usage(format!("{flag} {path}: {why}")))
}

/// The lock file of `target`: `.NAME.collapse-lab-lock` beside a file, inside a folder.
pub(super) fn lock_path(target: &std::path::Path, folder: bool) -> std::path::PathBuf {
    if folder {
        return target.join(".collapse-lab-lock");
    }
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.collapse-lab-lock"))
}

pub(super) fn lock_output(flag: &str, target: &std::path::Path, folder: bool) -> Result<OutputLock, CliError> {
    use std::io::Write;
    let made = (folder && !target.exists()).then(|| target.to_path_buf());
    if folder {
        std::fs::create_dir_all(target).map_err(|e| CliError::Usage(format!("{flag} {}: cannot create this folder: {e}", target.display())))?;
    }
    let lock = lock_path(target, folder);
    for _ in 0..3 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                clean_stale_temporaries(target, folder);
                return Ok(OutputLock(lock, made));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Read only a regular file: a FIFO put there would block the read forever.
                if let Err(why) = output_kind(&lock).and_then(|k| if k == OutputKind::File { Ok(()) } else { Err("is a folder".into()) }) {
                    return Err(CliError::Usage(format!("{flag} {}: its lock {} {why}", target.display(), lock.display())));
                }
                let holder = std::fs::read_to_string(&lock).ok().and_then(|t| t.trim().parse::<u32>().ok());
                if holder == Some(std::process::id()) {
                    return Err(CliError::Usage(format!(
                        "{flag} {}: this command already writes it under another flag; give each output its own {}",
                        target.display(),
                        if folder { "folder" } else { "file" }
                    )));
                }
                let running = holder.map(running_program);
                if let Some(Some(other)) = &running
                    && !is_collapse_lab(other)
                {
                    // The process that held it is gone and its id now belongs to another program.
                    eprintln!(
                        "note: {} was left by a collapse-lab that is gone (pid {} is now {other:?}); taking it over",
                        lock.display(),
                        holder.unwrap_or(0)
                    );
                    let _ = std::fs::remove_file(&lock);
                    continue;
                }
                if matches!(running, Some(Some(_))) {
                    return Err(CliError::Usage(format!(
                        "{flag} {}: another collapse-lab (pid {}) is writing it (lock {}); wait for it to end, or choose another {}",
                        target.display(),
                        holder.unwrap_or(0),
                        lock.display(),
                        if folder { "folder" } else { "file" }
                    )));
                }
                // Stale: its process is gone (killed before it could remove the lock).
                eprintln!(
                    "note: {} was left by a process that is gone (pid {}); taking it over",
                    lock.display(),
                    holder.map(|p| p.to_string()).unwrap_or_else(|| "unreadable".into())
                );
                let _ = std::fs::remove_file(&lock);
            }
            Err(e) => return Err(CliError::Usage(format!("{flag} {}: cannot lock it ({}): {e}", target.display(), lock.display()))),
        }
    }
    Err(CliError::Usage(format!("{flag} {}: could not take its lock {}", target.display(), lock.display())))
}

/// The program running as process `pid` (its /proc/PID/comm), or None where no process has
/// that id.
pub(super) fn running_program(pid: u32) -> Option<String> {
    let at = std::path::Path::new("/proc").join(pid.to_string());
    match std::fs::read_to_string(at.join("comm")) {
        Ok(name) => Some(name.trim().to_string()),
        // Alive but its name unreadable: counted as a collapse-lab (never taken over while it may run).
        Err(_) if at.exists() => Some(String::new()),
        Err(_) => None,
    }
}

/// Whether a process named `name` (/proc/PID/comm, cut to 15 bytes) is a collapse-lab: this
/// program's own name (it may be installed under another) or the lab's; an unreadable name counts.
pub(super) fn is_collapse_lab(name: &str) -> bool {
    let own = std::fs::read_to_string("/proc/self/comm").map(|n| n.trim().to_string()).unwrap_or_default();
    name.is_empty() || name == own || name == "collapse-lab"
}

/// The temporary files a killed writer of this output left (`.NAME.PID.tmp`, [`write_atomic`]'s,
/// beside the file or inside the folder), removed once its lock is held: only the lock's holder
/// writes there, so any such file is a dead writer's (issue 41 #15).
pub(super) fn clean_stale_temporaries(target: &std::path::Path, folder: bool) {
    let (dir, only) = if folder {
        (target.to_path_buf(), None)
    } else {
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")).to_path_buf();
        (dir, target.file_name().map(|n| n.to_string_lossy().into_owned()))
    };
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for e in entries.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let Some(middle) = f.strip_prefix('.').and_then(|m| m.strip_suffix(".tmp")) else { continue };
        let Some((name, pid)) = middle.rsplit_once('.') else { continue };
        if pid.parse::<u32>().is_ok() && only.as_deref().is_none_or(|o| o == name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Checks before any work that `path` can be written (its folder exists, it is not a folder).
/// Anything at `path` but a regular file (a device node, a FIFO, a socket, a symbolic link loop)
/// is refused by name ([`output_kind`]) before it is opened.
pub(super) fn check_out_file(flag: &str, path: &str) -> Result<(), CliError> {
    let p = std::path::Path::new(path);
    if path.trim().is_empty() || p.is_dir() {
        return Err(CliError::Usage(format!("{flag}: needs a file name, got {path:?}")));
    }
    check_output_kind(flag, p)?;
    let existed = p.exists();
    std::fs::OpenOptions::new().append(true).create(true).open(p).map_err(|e| CliError::Usage(format!("{flag} {path}: cannot write here: {e}")))?;
    if !existed {
        let _ = std::fs::remove_file(p);
    }
    // The file is written whole through a temporary file beside it, then renamed
    // (write_atomic): that needs the folder writable too, not only the file.
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let probe = dir.join(format!(".collapse-lab-write-check.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        CliError::Usage(format!(
            "{flag} {path}: its folder {} takes no new file (making one there failed: {e}); choose a file in a folder you can write",
            dir.display()
        ))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Whether two output paths name one file: the same folder (made absolute, links resolved where
/// it exists) and name, or one existing file by two names (a hard or symbolic link).
pub(super) fn same_file(a: &str, b: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let resolved = |p: &str| -> Option<std::path::PathBuf> {
        let p = std::path::Path::new(p);
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
    };
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b))
        && (x.dev(), x.ino()) == (y.dev(), y.ino())
    {
        return true;
    }
    match (resolved(a), resolved(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Prints `text` to stdout; a reader that has gone (a closed pipe) is not an error.
pub(super) fn emit(text: &str) {
    out!("{text}\n");
}

/// Writes `dir/name`, creating `dir` if needed.
pub(super) fn write_file(dir: &str, name: &str, text: &str) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::Failed(format!("{dir}: {e}")))?;
    let path = std::path::Path::new(dir).join(name);
    write_atomic(&path, text.as_bytes()).map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))
}

/// Writes a file whole or not at all: into a temporary file in the same folder, flushed to disk,
/// then renamed over `path`. A kill at any moment leaves the old file or the new one, never a
/// cut-short one (`--load-run F --save-run F` keeps F until the new F is complete).
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        kill_hook(&name);
        // The last guard (the commands check before any work): a rename never replaces what
        // is not a regular file (a device node, a FIFO, a socket).
        output_kind(path).map_err(std::io::Error::other)?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A test hook for the worst moment of a kill: with `COLLAPSE_LAB_KILL_AT_WRITE=NAME:N` the
/// process aborts at its N-th write of a file named NAME, after the temporary file is complete
/// and before the rename (tests/bad_input.rs kills `--save-run`, `study --out` and
/// `generations --out` there and finds the earlier file whole).
pub(super) fn kill_hook(name: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static WRITES: AtomicUsize = AtomicUsize::new(0);
    let Ok(v) = std::env::var("COLLAPSE_LAB_KILL_AT_WRITE") else { return };
    let Some((target, n)) = v.rsplit_once(':') else { return };
    if target == name && n.parse::<usize>().is_ok_and(|n| WRITES.fetch_add(1, Ordering::SeqCst) + 1 == n) {
        std::process::abort();
    }
}
