//! `collapse-lab hermite`: the Hermite see-saw of Prop. 1.

use super::{CliError, Flags, emit, num};

pub(super) fn cmd_hermite(args: &[String]) -> Result<(), CliError> {
    let f = Flags::parse(args, &[], &["--mu", "--max-degree", "--nodes"])?;
    let mu: f64 = f.get("--mu").map(|v| num("--mu", v, "a number")).transpose()?.unwrap_or(1.0);
    let p: usize = f.get("--max-degree").map(|v| num("--max-degree", v, "an integer")).transpose()?.unwrap_or(15);
    let nodes: usize = f.get("--nodes").map(|v| num("--nodes", v, "an integer")).transpose()?.unwrap_or(150);
    let r = crate::diagnostics::hermite::seesaw(mu, p, nodes).map_err(|m| CliError::Usage(format!("--{m}")))?;
    emit(&serde_json::to_string_pretty(&r).unwrap());
    Ok(())
}
