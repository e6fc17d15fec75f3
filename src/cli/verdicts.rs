//! `collapse-lab verdicts`: what reproduces, claim by claim, computed from the shipped files.

use super::*;

/// `verdicts [--runs DIR] [--json]`: one verdict per claim of both papers (src/verdicts.rs),
/// from the files in DIR (default `www/runs`, the page's shipped runs); `--json` prints the
/// page's copy (`www/verdicts.json`).
pub(super) fn cmd_verdicts(args: &[String]) -> Result<(), CliError> {
    let f = Flags::parse(args, &["--json"], &["--runs", "--json"])?;
    let dir = std::path::PathBuf::from(f.get("--runs").unwrap_or("www/runs"));
    if !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "--runs: {} is not a folder (the shipped runs, www/runs, from the repository's root)",
            dir.display()
        )));
    }
    let vs = crate::verdicts::verdicts(&crate::verdicts::Folder(dir));
    if f.has("--json") {
        outln!("{}", serde_json::to_string_pretty(&vs).map_err(|e| CliError::Failed(e.to_string()))?);
    } else {
        out!("{}", crate::verdicts::text(&vs));
    }
    Ok(())
}
