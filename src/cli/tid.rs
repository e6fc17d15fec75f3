//! `collapse-lab tid`: TID of two CSV point sets.

use super::{CliError, ExperimentSpec, Flags, emit, metrics, num, overrides, set_threads};

pub(super) fn cmd_tid(args: &[String]) -> Result<(), CliError> {
    let f = Flags::parse(args, &[], &["--train", "--samples", "--eps", "--k", "--seed", "--threads", "--survival-eps"])?;
    set_threads(&f)?;
    let read = |flag: &str| -> Result<(String, usize, Vec<f64>, crate::points::CsvInfo), CliError> {
        let path = f.get(flag).ok_or_else(|| CliError::Usage(format!("tid needs {flag} FILE.csv")))?;
        let (dim, values, info) = crate::points::read_csv_file(path).map_err(|e| CliError::Usage(format!("{flag} {path}: {e}")))?;
        Ok((path.to_string(), dim, values, info))
    };
    let (train_path, train_dim, train_v, train_info) = read("--train")?;
    let (samples_path, samples_dim, samples_v, samples_info) = read("--samples")?;
    if train_dim != samples_dim {
        return Err(CliError::Usage(format!("--train has {train_dim} columns but --samples has {samples_dim}; both must have the same dimension")));
    }
    let defaults = ExperimentSpec::default().metrics;
    let eps = match f.get("--eps") {
        Some(v) => {
            let eps = overrides::list_f64("eps", v).map_err(|e| CliError::Usage(format!("--{e}")))?;
            crate::spec::once("eps", &eps, "radius", "each radius is one TID").map_err(|e| CliError::Usage(format!("--{e}")))?;
            eps
        }
        None => defaults.eps,
    };
    let seed: u64 = f.get("--seed").map(|v| num("--seed", v, "an integer")).transpose()?.unwrap_or(0);
    let k: Option<usize> = f.get("--k").map(|v| num("--k", v, "an integer")).transpose()?;
    // Hill's estimator needs two order statistics at least, as `run --k` says.
    if k.is_some_and(|k| k < 2) {
        return Err(CliError::Usage("--k: Hill's k must be at least 2 (the estimator compares the top k neighbour counts with the k-th)".into()));
    }
    let survival_eps: f64 = f.get("--survival-eps").map(|v| num("--survival-eps", v, "a number")).transpose()?.unwrap_or(defaults.survival_eps);
    let c = metrics::compare::compare(train_dim, &train_v, &samples_v, &eps, k, seed, survival_eps)
        .map_err(|(field, m)| CliError::Usage(if field == "data" { m } else { format!("--{field}: {m}") }))?;
    let mut out = serde_json::to_value(&c).unwrap();
    out["train"] = serde_json::json!({"path": train_path, "points": c.train_points, "dim": c.dim, "header": train_info.header});
    out["samples"] = serde_json::json!({"path": samples_path, "points": c.samples_points, "dim": c.dim, "header": samples_info.header});
    emit(&serde_json::to_string_pretty(&out).unwrap());
    Ok(())
}
