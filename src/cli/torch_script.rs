//! `collapse-lab torch-script`: the run as a self-contained PyTorch script.

use super::{CliError, check_out_file, note_unsampled_steps, run_flags, spec_from_flags, spec_usage, write_atomic};

/// `torch-script [RUN FLAGS] [--out FILE.py]`: the experiment as a PyTorch script.
pub(super) fn cmd_torch_script(args: &[String]) -> Result<(), CliError> {
    let f = run_flags(args, &["--out"], &["--print-spec"])?;
    for flag in ["--samples-out", "--record-out", "--threads", "--engine", "--print-spec"] {
        if f.given(flag) {
            return Err(CliError::Usage(format!("{flag}: torch-script writes a script and runs nothing; drop {flag}")));
        }
    }
    let spec = spec_from_flags(&f)?;
    note_unsampled_steps(&f, &spec.sampling.samplers, "--samplers");
    let script = crate::export::torch_script(&spec).map_err(|e| spec_usage(&e))?;
    match f.get("--out") {
        Some(path) => {
            check_out_file("--out", path)?;
            write_atomic(std::path::Path::new(path), script.as_bytes()).map_err(|e| CliError::Failed(format!("--out {path}: {e}")))?;
            if !f.has("--quiet") {
                eprintln!("wrote {path}: run it with `python3 {path}` (PyTorch needed; --help lists its options)");
            }
        }
        None => out!("{script}"),
    }
    Ok(())
}
