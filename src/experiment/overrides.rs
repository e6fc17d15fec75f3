//! `name=value` overrides of an [`ExperimentSpec`], shared by the CLI flags (`--width 64`) and
//! the page's URL parameters (`?width=64`), so both accept the same names and say the same
//! things about bad values.

use super::spec::{ExperimentSpec, SpecError};
use crate::data::Dataset;
use crate::diffusion::ProcessKind;
use crate::nn::{Activation, Parameterization};
use crate::sample::SamplerKind;

/// Names accepted by [`apply`], in the order the CLI help lists them.
pub const NAMES: &[&str] = &[
    "dataset", "data-size", "dim", "process", "depth", "width", "activation", "parameterization", "iters", "batch",
    "lr", "report-every", "samplers", "steps", "exact-score", "snr", "corrector-steps", "denoise", "n-samples", "eps",
    "k", "repeats", "survival-eps", "coordinate", "bins", "record-times", "trajectories", "seed", "fixed-t",
    "two-model", "diagnostics", "diag-points", "diag-times", "diag-trajectories", "fresh", "generations", "gen-sampler",
    "gen-size", "warm-start", "hist-bins", "hist-floor", "shown",
];

/// The settings of recursive training (SPEC §10): any of them makes the spec a generations run.
pub const RECURSION: &[&str] = &["fresh", "generations", "gen-sampler", "gen-size", "warm-start", "hist-bins", "hist-floor", "shown"];

/// The settings that take true/false (a CLI flag alone means true).
pub const BOOLEANS: &[&str] = &["exact-score", "denoise", "diagnostics", "warm-start"];

fn bad(name: &str, message: String) -> SpecError {
    SpecError { field: name.to_string(), message }
}

fn num<T: std::str::FromStr>(name: &str, v: &str, what: &str) -> Result<T, SpecError> {
    v.trim().parse::<T>().map_err(|_| bad(name, format!("expected {what}, got {v:?}")))
}

fn boolean(name: &str, v: &str) -> Result<bool, SpecError> {
    match v.trim() {
        "" | "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(bad(name, format!("expected true or false, got {v:?}"))),
    }
}

/// `none` (or empty) for no value, else a number.
fn optional_f64(name: &str, v: &str) -> Result<Option<f64>, SpecError> {
    match v.trim() {
        "" | "none" => Ok(None),
        x => Ok(Some(num(name, x, "a number or none")?)),
    }
}

pub fn list_f64(name: &str, v: &str) -> Result<Vec<f64>, SpecError> {
    v.split(',').map(|x| num::<f64>(name, x, "a comma list of numbers")).collect()
}

/// Sets one field from text. Range checks are left to [`ExperimentSpec::validate`]; this
/// only parses, and names the override in its errors.
pub fn apply(s: &mut ExperimentSpec, name: &str, v: &str) -> Result<(), SpecError> {
    match name {
        "dataset" => {
            s.dataset = Dataset::parse(v.trim()).ok_or_else(|| {
                let names: Vec<_> = Dataset::ALL.iter().map(|d| d.name()).collect();
                bad(name, format!("unknown data set {v:?}; choose one of {}", names.join(", ")))
            })?
        }
        "data-size" => s.data_size = Some(num(name, v, "an integer")?),
        "dim" => s.dim = num(name, v, "an integer")?,
        "process" => {
            s.process = ProcessKind::parse(v.trim())
                .ok_or_else(|| bad(name, format!("expected vp, sub-vp or linear, got {v:?}")))?
        }
        "depth" => s.model.depth = num(name, v, "an integer")?,
        "width" => s.model.width = num(name, v, "an integer")?,
        "activation" => {
            s.model.activation = Activation::parse(v.trim())
                .ok_or_else(|| bad(name, format!("expected tanh, relu or silu, got {v:?}")))?
        }
        "parameterization" => {
            s.model.parameterization = Parameterization::parse(v.trim())
                .ok_or_else(|| bad(name, format!("expected plain, skip-fixed or skip-learned, got {v:?}")))?
        }
        "iters" => s.training.iters = num(name, v, "an integer")?,
        "batch" => s.training.batch = num(name, v, "an integer")?,
        "lr" => s.training.lr = num(name, v, "a number")?,
        "report-every" => s.training.report_every = num(name, v, "an integer")?,
        "samplers" => {
            s.sampling.samplers = v
                .split(',')
                .map(|x| {
                    SamplerKind::parse(x.trim())
                        .ok_or_else(|| bad(name, format!("unknown sampler {x:?}; choose from {}", SamplerKind::names())))
                })
                .collect::<Result<_, _>>()?
        }
        "steps" => {
            for part in v.split(',') {
                let (k, n) = part
                    .split_once('=')
                    .ok_or_else(|| bad(name, format!("expected NAME=N pairs like ode=100, got {part:?}")))?;
                let kind =
                    SamplerKind::parse(k.trim()).ok_or_else(|| bad(name, format!("unknown sampler {k:?}")))?;
                s.sampling.steps.insert(kind, num(name, n, "an integer")?);
            }
        }
        "exact-score" => s.sampling.exact_score = boolean(name, v)?,
        "snr" => s.sampling.snr = num(name, v, "a number")?,
        "corrector-steps" => s.sampling.corrector_steps = num(name, v, "an integer")?,
        "denoise" => s.sampling.denoise = boolean(name, v)?,
        "coordinate" => s.record.coordinate = num(name, v, "an integer")?,
        "bins" => s.record.bins = num(name, v, "an integer")?,
        "record-times" => s.record.times = list_f64(name, v)?,
        "trajectories" => s.record.trajectories = num(name, v, "an integer")?,
        "n-samples" => s.sampling.n_samples = num(name, v, "an integer")?,
        "eps" => s.metrics.eps = list_f64(name, v)?,
        "k" => s.metrics.k = Some(num(name, v, "an integer")?),
        "repeats" => s.metrics.repeats = num(name, v, "an integer")?,
        "survival-eps" => s.metrics.survival_eps = num(name, v, "a number")?,
        "seed" => s.seed = num(name, v, "a non-negative integer")?,
        "fixed-t" => s.training.fixed_t = optional_f64(name, v)?,
        "two-model" => s.training.two_model = optional_f64(name, v)?,
        "diagnostics" => s.diagnostics.enabled = boolean(name, v)?,
        "diag-points" => s.diagnostics.points = num(name, v, "an integer")?,
        "diag-times" => s.diagnostics.times = list_f64(name, v)?,
        "diag-trajectories" => s.diagnostics.trajectories = num(name, v, "an integer")?,
        "fresh" => recursion(s).fresh = num(name, v, "a number in 0..=1")?,
        "generations" => recursion(s).generations = num(name, v, "an integer")?,
        "gen-sampler" => {
            recursion(s).sampler = SamplerKind::parse(v.trim())
                .ok_or_else(|| bad(name, format!("unknown sampler {v:?}; choose one of {}", SamplerKind::names())))?
        }
        "gen-size" => recursion(s).gen_size = num(name, v, "an integer")?,
        "warm-start" => recursion(s).warm_start = boolean(name, v)?,
        "hist-bins" => recursion(s).hist_bins = num(name, v, "an integer")?,
        "hist-floor" => recursion(s).hist_floor = num(name, v, "a number")?,
        "shown" => recursion(s).shown = num(name, v, "an integer")?,
        "" => return Err(bad("(empty name)", format!("a setting needs a name; known: {}", NAMES.join(", ")))),
        _ => return Err(bad(name, format!("unknown setting; known: {}", NAMES.join(", ")))),
    }
    Ok(())
}

fn recursion(s: &mut ExperimentSpec) -> &mut super::spec::RecursionSpec {
    s.recursion.get_or_insert_with(Default::default)
}

/// The override that sets a spec field, for error messages ("model.width" -> "width").
pub fn name_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "dataset" => "dataset",
        "data_size" => "data-size",
        "dim" => "dim",
        "model.depth" => "depth",
        "model.width" => "width",
        "training.iters" => "iters",
        "training.batch" => "batch",
        "training.lr" => "lr",
        "training.report_every" => "report-every",
        "sampling.samplers" => "samplers",
        "sampling.n_samples" => "n-samples",
        "sampling.exact_score" => "exact-score",
        "metrics.eps" => "eps",
        "metrics.k" => "k",
        "metrics.repeats" => "repeats",
        "metrics.survival_eps" => "survival-eps",
        "sampling.snr" => "snr",
        "sampling.corrector_steps" => "corrector-steps",
        "record.coordinate" => "coordinate",
        "record.bins" => "bins",
        "record.times" => "record-times",
        "record.trajectories" => "trajectories",
        "training.fixed_t" => "fixed-t",
        "training.two_model" => "two-model",
        "diagnostics.points" => "diag-points",
        "diagnostics.times" => "diag-times",
        "diagnostics.trajectories" => "diag-trajectories",
        "recursion.fresh" => "fresh",
        "recursion.generations" => "generations",
        "recursion.sampler" => "gen-sampler",
        "recursion.gen_size" => "gen-size",
        "recursion.hist_bins" => "hist-bins",
        "recursion.hist_floor" => "hist-floor",
        "recursion.shown" => "shown",
        "diagnostics.enabled" => "diagnostics",
        f if f.starts_with("sampling.steps") => "steps",
        _ => return None,
    })
}

/// Applies `name=value` pairs in order and validates the result.
pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<ExperimentSpec, SpecError> {
    let mut s = ExperimentSpec::default();
    let mut given = Vec::new();
    for (k, v) in pairs {
        apply(&mut s, k, v)?;
        given.push(k);
    }
    check_given(&s, &given)?;
    s.validate()?;
    Ok(s)
}

/// Settings that only mean something with others: given where they would be ignored, they are
/// refused rather than silently dropped (`dim` off `mog-nd`).
pub fn check_given(s: &ExperimentSpec, given: &[&str]) -> Result<(), SpecError> {
    if given.contains(&"dim") && s.dataset != crate::data::Dataset::MogNd {
        return Err(SpecError {
            field: "dim".into(),
            message: format!("only mog-nd has a dimension to choose; {} is {}-dimensional", s.dataset.name(), s.data_dim()),
        });
    }
    if given.contains(&"data-size") && s.recursion.is_some() {
        return Err(SpecError {
            field: "data-size".into(),
            message: "a generations run trains every generation on gen-size points; set gen-size instead".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_accepted_with_a_valid_value() {
        let values = [
            ("dataset", "mog-nd"), ("data-size", "1000"), ("dim", "3"), ("process", "sub-vp"), ("depth", "2"),
            ("width", "16"), ("activation", "silu"), ("parameterization", "skip-fixed"), ("iters", "10"),
            ("batch", "100"), ("lr", "0.001"), ("report-every", "5"), ("samplers", "sde,pc,ald"),
            ("steps", "sde=50,dpm2=10"), ("exact-score", "true"), ("snr", "0.2"), ("corrector-steps", "2"),
            ("denoise", "yes"), ("n-samples", "100"), ("eps", "0.1,0.2"), ("k", "50"), ("repeats", "2"),
            ("survival-eps", "0.1"), ("coordinate", "1"), ("bins", "40"), ("record-times", "1,0.5,0"), ("trajectories", "8"), ("seed", "9"),
            ("fixed-t", "none"), ("two-model", "0.6"), ("diagnostics", "true"), ("diag-points", "500"),
            ("diag-times", "1,0.5,0.1"), ("diag-trajectories", "64"), ("fresh", "0.1"), ("generations", "3"),
            ("gen-sampler", "ode"), ("gen-size", "1000"), ("warm-start", "true"), ("hist-bins", "16"),
            ("hist-floor", "0.01"), ("shown", "100"),
        ];
        assert_eq!(values.len(), NAMES.len());
        // Every name but the see-saw diagnostics and data-size, which a generations run refuses.
        let s = from_pairs(values.iter().copied().filter(|(k, _)| !["diagnostics", "data-size"].contains(k))).unwrap();
        let r = s.recursion.clone().unwrap();
        assert_eq!((r.fresh, r.sampler, r.generations, r.gen_size), (0.1, SamplerKind::Ode, 3, 1000));
        assert!(r.warm_start && r.hist_bins == 16 && r.hist_floor == 0.01 && r.shown == 100);
        let e = from_pairs(values.iter().copied().filter(|(k, _)| *k != "data-size")).unwrap_err();
        assert!(e.to_string().starts_with("diagnostics.enabled"), "{e}");
        let e = from_pairs(values).unwrap_err();
        assert!(e.to_string().starts_with("data-size: a generations run"), "{e}");
        let recursion: Vec<_> = values.iter().copied().filter(|(k, _)| !RECURSION.contains(k)).collect();
        let s = from_pairs(recursion).unwrap();
        assert_eq!((s.model.width, s.sampling.n_samples, s.seed), (16, 100, 9));
        assert!(s.sampling.exact_score && s.sampling.denoise);
        assert_eq!((s.process, s.sampling.corrector_steps, s.record.coordinate), (ProcessKind::SubVp, 2, 1));
        assert_eq!(s.record.times, vec![1.0, 0.5, 0.0]);
        assert_eq!((s.training.fixed_t, s.training.two_model), (None, Some(0.6)));
        assert!(s.diagnostics.enabled);
        assert_eq!(s.nets(), vec![(crate::diffusion::T_EPS, 0.6), (0.6, 1.0)]);
        let f = from_pairs([("fixed-t", "1")]).unwrap();
        assert_eq!(f.nets(), vec![(1.0, 1.0)]);
    }

    #[test]
    fn bad_values_name_their_setting() {
        for (k, v, want) in [
            ("width", "wide", "width: expected an integer"),
            ("width", "0", "model.width: must be in 1..=1024"),
            ("lr", "NaN", "training.lr"),
            ("colour", "red", "colour: unknown setting"),
            ("exact-score", "maybe", "exact-score: expected true or false"),
            ("process", "ve", "process: expected vp, sub-vp or linear"),
            ("samplers", "ode,euler", "samplers: unknown sampler"),
            ("coordinate", "2", "record.coordinate: must be in 0..=1"),
            ("record-times", "0.5,2", "record.times"),
            ("snr", "inf", "sampling.snr"),
            ("fixed-t", "2", "training.fixed_t"),
            ("fixed-t", "one", "fixed-t: expected a number or none"),
            ("two-model", "1", "training.two_model"),
            ("diagnostics", "maybe", "diagnostics: expected true or false"),
            ("dim", "3", "dim: only mog-nd has a dimension"),
            ("diag-times", "-inf", "diagnostics.times"),
            ("fresh", "1.5", "recursion.fresh: the fresh-data fraction a must be in 0..=1"),
            ("fresh", "NaN", "recursion.fresh"),
            ("fresh", "lots", "fresh: expected a number in 0..=1"),
            ("generations", "0", "recursion.generations: must be in 1..=100"),
            ("generations", "100000", "recursion.generations: must be in 1..=100"),
            ("gen-sampler", "euler", "gen-sampler: unknown sampler"),
            ("gen-size", "50", "recursion.gen_size"),
            ("hist-floor", "0", "recursion.hist_floor"),
        ] {
            let e = from_pairs([(k, v)]).unwrap_err();
            assert!(e.to_string().starts_with(want), "{k}={v}: {e}");
        }
        // Diagnostic times are checked against the process only when the diagnostics run: the
        // default t = 1 is past the linear process's end (0.999).
        let e = from_pairs([("diagnostics", "true"), ("diag-times", "0")]).unwrap_err();
        assert!(e.to_string().starts_with("diagnostics.times"), "{e}");
        assert!(from_pairs([("process", "linear")]).is_ok());
        let e = from_pairs([("process", "linear"), ("diagnostics", "true")]).unwrap_err();
        assert!(e.to_string().starts_with("diagnostics.times"), "{e}");
    }
}
