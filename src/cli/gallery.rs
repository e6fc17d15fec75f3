//! `collapse-lab gallery`: the page's presets with their command lines.

use super::{CliError, Flags};

/// `gallery [--size quick|paper]`: every preset of the page's gallery with its command line.
pub(super) fn cmd_gallery(args: &[String]) -> Result<(), CliError> {
    use crate::spec::presets::{PRESETS, Size};
    let f = Flags::parse(args, &["--shipped"], &["--size", "--shipped", "--command"])?;
    if let Some(id) = f.get("--command") {
        // One preset's command (scripts/make-gallery-runs.sh runs it for the shipped files).
        let size = match f.get("--size") {
            None => Size::Paper,
            Some(v) => Size::parse(v).ok_or_else(|| CliError::Usage(format!("--size: expected quick or paper, got {v:?}")))?,
        };
        let p =
            crate::spec::presets::preset(id).ok_or_else(|| CliError::Usage(format!("--command: unknown preset {id:?}; `collapse-lab gallery` lists them")))?;
        outln!("{}", p.command(size).map_err(|e| CliError::Failed(e.to_string()))?);
        return Ok(());
    }
    if f.has("--shipped") {
        // The presets whose paper runs ship with the page (scripts/make-gallery-runs.sh reads this).
        crate::spec::presets::SHIPPED.iter().for_each(|id| outln!("{id}"));
        return Ok(());
    }
    let size = match f.get("--size") {
        None => Size::Paper,
        Some(v) => Size::parse(v).ok_or_else(|| CliError::Usage(format!("--size: expected quick or paper, got {v:?}")))?,
    };
    for p in PRESETS {
        let cmd = p.command(size).map_err(|e| CliError::Failed(e.to_string()))?;
        outln!("# {} {}: {}\n#   {}\n#   page: ?{}\n{cmd}\n", p.id, p.figure, p.title, p.look, p.query(size));
    }
    Ok(())
}
