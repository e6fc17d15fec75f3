//! `collapse-lab verdicts`: what reproduces, claim by claim, computed from the shipped files.

use super::{CliError, Flags, check_in_file};

/// `verdicts [--runs DIR] [--json]`: one verdict per claim of the papers, the review's open
/// questions and the lab's own (src/verdicts/), from the files in DIR (default `www/runs`, the
/// page's shipped runs); `--json` prints the page's copy of the verdicts: every row with
/// its group, place, quote, both settings, statistic, paired tests (seeds, interval), gates,
/// excluded runs and the provenance of each file its evidence comes from. A shipped file that
/// is missing or damaged is an error (exit 1) naming it.
pub(super) fn cmd_verdicts(args: &[String]) -> Result<(), CliError> {
    let f = Flags::parse(args, &["--json"], &["--runs", "--json"])?;
    let dir = std::path::PathBuf::from(f.get("--runs").unwrap_or("www/runs"));
    if !dir.is_dir() {
        return Err(CliError::Usage(format!("--runs: {} is not a folder (the shipped runs, www/runs, from the repository's root)", dir.display())));
    }
    // Every file the verdicts read is a plain file: a FIFO put in the folder would block the
    // read forever (issue 55), so anything else is refused by name before any is opened.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut names: Vec<std::path::PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        names.sort();
        for p in names {
            check_in_file("--runs", &p.to_string_lossy())?;
        }
    }
    // A shipped file that is missing or damaged is an error naming it: "not tested" is only
    // for a claim whose rule has no file by design.
    let folder = crate::verdicts::Folder(dir);
    let problems = folder.problems(crate::spec::presets::SHIPPED);
    if !problems.is_empty() {
        return Err(CliError::Failed(format!(
            "--runs: {} shipped file(s) cannot be read, so the verdicts that need them cannot be computed:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )));
    }
    let vs = crate::verdicts::verdicts(&folder);
    if f.has("--json") {
        outln!("{}", serde_json::to_string_pretty(&vs).map_err(|e| CliError::Failed(e.to_string()))?);
    } else {
        out!("{}", crate::verdicts::text(&vs));
    }
    Ok(())
}
