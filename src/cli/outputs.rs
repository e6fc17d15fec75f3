//! What a command writes: its output checked before any work, locked while it runs, written
//! whole or not at all (a temporary renamed), and stdout.

use super::*;

/// Checks, before any work and without writing anything that stays, that files can be written
/// in `dir`: in it where it exists (an empty name, a regular file, /proc ... fail here), else in
/// the nearest folder above it that exists (the folder itself is made at the first write).
pub(super) fn check_out_dir(flag: &str, dir: &str) -> Result<(), CliError> {
    if dir.trim().is_empty() {
        return Err(CliError::Usage(format!("{flag}: needs a folder name")));
    }
    let path = std::path::Path::new(dir);
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
pub(super) struct OutputLock(std::path::PathBuf);

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
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
    if folder {
        std::fs::create_dir_all(target).map_err(|e| CliError::Usage(format!("{flag} {}: cannot create this folder: {e}", target.display())))?;
    }
    let lock = lock_path(target, folder);
    for _ in 0..3 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                clean_stale_temporaries(target, folder);
                return Ok(OutputLock(lock));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(&lock).ok().and_then(|t| t.trim().parse::<u32>().ok());
                let alive = holder.is_some_and(|pid| std::path::Path::new("/proc").join(pid.to_string()).exists());
                if alive {
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
pub(super) fn check_out_file(flag: &str, path: &str) -> Result<(), CliError> {
    let p = std::path::Path::new(path);
    if path.trim().is_empty() || p.is_dir() {
        return Err(CliError::Usage(format!("{flag}: needs a file name, got {path:?}")));
    }
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
