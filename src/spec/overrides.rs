//! `name=value` overrides of an [`ExperimentSpec`], shared by the CLI flags (`--width 64`) and
//! the page's URL parameters (`?width=64`), so both accept the same names and say the same
//! things about bad values.

use super::{ExperimentSpec, SpecError, limits};
use crate::data::Dataset;
use crate::diffusion::{Precond, ProcessKind, Target, TimeDist};
use crate::nn::{Activation, Parameterization};
use crate::sample::SamplerKind;

/// How a setting's value is written: the page picks its control from this, the CLI its help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Int,
    Number,
    /// true/false (a CLI flag alone means true).
    Bool,
    /// A number or `none`.
    OptionalNumber,
    /// One name of [`Setting::choices`].
    Choice,
    /// A comma list of names of [`Setting::choices`].
    Choices,
    /// A comma list of numbers.
    Numbers,
    /// `NAME=N` pairs (the steps per sampler).
    Pairs,
    /// A painted grid, `SIDE:DIGITS` (drawn with the page's brush).
    Grid,
    /// A CSV file named by `FINGERPRINT:ROWSxDIM` (written by loading the file).
    File,
}

/// One setting of an [`ExperimentSpec`] in both directions: `set` parses the text of a CLI flag
/// or URL parameter into the spec, `get` prints the spec's value as text that `set` reads back
/// (None: the setting is not in force, e.g. `dim` off mog-nd or the recursion settings outside
/// a generations run). CLI flags, URL parameters, the page's form and choices, the share link
/// and the CLI help are all derived from [`SETTINGS`].
pub struct Setting {
    /// The flag without `--` and the URL parameter.
    pub name: &'static str,
    /// The spec field it sets, as errors name it (`model.width`).
    pub field: &'static str,
    pub kind: Kind,
    /// The value's placeholder in the CLI help (`N`, `LIST`, `none|T`).
    pub arg: &'static str,
    pub help: &'static str,
    /// The names a Choice/Choices setting accepts.
    pub choices: fn() -> Vec<&'static str>,
    set: fn(&mut ExperimentSpec, &str, &str) -> Result<(), SpecError>,
    get: fn(&ExperimentSpec) -> Option<String>,
}

impl Setting {
    /// The spec's value as text `apply` reads back, or None where the setting is not in force.
    pub fn print(&self, s: &ExperimentSpec) -> Option<String> {
        (self.get)(s)
    }
}

fn no_choices() -> Vec<&'static str> {
    Vec::new()
}
fn datasets() -> Vec<&'static str> {
    Dataset::ALL.iter().map(|d| d.name()).collect()
}
fn processes() -> Vec<&'static str> {
    ProcessKind::ALL.iter().map(|d| d.name()).collect()
}
fn activations() -> Vec<&'static str> {
    Activation::ALL.iter().map(|d| d.name()).collect()
}
fn parameterizations() -> Vec<&'static str> {
    Parameterization::ALL.iter().map(|d| d.name()).collect()
}
fn targets() -> Vec<&'static str> {
    Target::ALL.iter().map(|d| d.name()).collect()
}
fn preconds() -> Vec<&'static str> {
    Precond::ALL.iter().map(|d| d.name()).collect()
}
fn time_dists() -> Vec<&'static str> {
    TimeDist::ALL.iter().map(|d| d.name()).collect()
}
fn samplers() -> Vec<&'static str> {
    SamplerKind::ALL.iter().map(|d| d.name()).collect()
}

/// "a, b or c".
fn one_of(names: Vec<&str>) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

fn join(v: &[f64]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}
fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "none".into())
}
fn rec<T>(s: &ExperimentSpec, f: impl Fn(&super::RecursionSpec) -> T) -> Option<T> {
    s.recursion.as_ref().map(f)
}

macro_rules! setting {
    ($name:literal, $field:literal, $kind:ident, $arg:literal, $help:literal, $choices:expr, $set:expr, $get:expr) => {
        Setting { name: $name, field: $field, kind: Kind::$kind, arg: $arg, help: $help, choices: $choices, set: $set, get: $get }
    };
}

/// Every setting, in the order the CLI help and the page list them.
pub static SETTINGS: &[Setting] = &[
    setting!(
        "dataset",
        "dataset",
        Choice,
        "NAME",
        "the data set",
        datasets,
        |s, n, v| {
            s.dataset = Dataset::parse(v.trim()).ok_or_else(|| bad(n, format!("unknown data set {v:?}; choose one of {}", datasets().join(", "))))?;
            Ok(())
        },
        |s| Some(s.dataset.name().into())
    ),
    setting!(
        "data-size",
        "data_size",
        Int,
        "N",
        "training-set size (default: the data set's, SPEC 1)",
        no_choices,
        |s, n, v| {
            s.data_size = Some(num(n, v, "an integer")?);
            Ok(())
        },
        |s| s.data_size.map(|x| x.to_string())
    ),
    setting!(
        "dim",
        "dim",
        Int,
        "N",
        "dimension of mog-nd (default 10)",
        no_choices,
        |s, n, v| {
            s.dim = num(n, v, "an integer")?;
            Ok(())
        },
        |s| (s.dataset == Dataset::MogNd).then(|| s.dim.to_string())
    ),
    setting!(
        "mixture-sd",
        "mixture_sd",
        OptionalNumber,
        "S",
        "the mixtures' component standard deviation (mog, mog1d, mog-nd; default: none, their 0.2): the workshop version's Fig. 4 varies it",
        no_choices,
        |s, n, v| {
            s.mixture_sd = if v.trim() == "none" { None } else { Some(num(n, v, "a number or none")?) };
            Ok(())
        },
        |s| s.mixture_sd.map(|x| x.to_string())
    ),
    setting!(
        "painted",
        "painted",
        Grid,
        "SIDE:DIGITS",
        "the painted data set's grid: SIDE x SIDE densities 0-9 over [-2,2]^2, rows from the top (the page's brush writes it)",
        no_choices,
        |s, n, v| {
            s.painted = Some(crate::data::Painted::parse(v).map_err(|m| bad(n, m))?);
            Ok(())
        },
        |s| s.painted.as_ref().map(|p| p.print())
    ),
    setting!(
        "csv",
        "csv",
        File,
        "FINGERPRINT:ROWSxDIM",
        "the csv data set's file, named by its fingerprint, rows and dimension (the CLI's --data-csv FILE and the page's Load CSV write it and attach the points)",
        no_choices,
        |s, n, v| {
            s.csv = Some(crate::data::CsvSet::parse(v).map_err(|m| bad(n, m))?);
            Ok(())
        },
        |s| s.csv.as_ref().map(|c| c.print())
    ),
    setting!(
        "process",
        "process",
        Choice,
        "P",
        "the forward process (default vp)",
        processes,
        |s, n, v| {
            s.process = ProcessKind::parse(v.trim()).ok_or_else(|| bad(n, format!("expected {}, got {v:?}", one_of(processes()))))?;
            Ok(())
        },
        |s| Some(s.process.name().into())
    ),
    setting!(
        "depth",
        "model.depth",
        Int,
        "D",
        "hidden layers (default 3)",
        no_choices,
        |s, n, v| {
            s.model.depth = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.model.depth.to_string())
    ),
    setting!(
        "width",
        "model.width",
        Int,
        "W",
        "width of every hidden layer (default 100)",
        no_choices,
        |s, n, v| {
            s.model.width = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.model.width.to_string())
    ),
    setting!(
        "activation",
        "model.activation",
        Choice,
        "A",
        "the hidden layers' activation (default tanh)",
        activations,
        |s, n, v| {
            s.model.activation = Activation::parse(v.trim()).ok_or_else(|| bad(n, format!("expected {}, got {v:?}", one_of(activations()))))?;
            Ok(())
        },
        |s| Some(s.model.activation.name().into())
    ),
    setting!(
        "parameterization",
        "model.parameterization",
        Choice,
        "P",
        "the net's output: plain, or a skip connection (fixed or learned, SPEC 8)",
        parameterizations,
        |s, n, v| {
            s.model.parameterization =
                Parameterization::parse(v.trim()).ok_or_else(|| bad(n, format!("expected {}, got {v:?}", one_of(parameterizations()))))?;
            Ok(())
        },
        |s| Some(s.model.parameterization.name().into())
    ),
    setting!(
        "target",
        "model.target",
        Choice,
        "T",
        "what the net predicts: eps (default, the paper's), x0, or v (the path's velocity; flow matching's on the linear process); samplers read eps back from it",
        targets,
        |s, n, v| {
            s.model.target = Target::parse(v.trim()).ok_or_else(|| bad(n, format!("expected {}, got {v:?}", one_of(targets()))))?;
            Ok(())
        },
        |s| Some(s.model.target.name().into())
    ),
    setting!(
        "iters",
        "training.iters",
        Int,
        "N",
        "training steps (default 10000)",
        no_choices,
        |s, n, v| {
            s.training.iters = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.training.iters.to_string())
    ),
    setting!(
        "batch",
        "training.batch",
        Int,
        "B",
        "batch size (default 2000)",
        no_choices,
        |s, n, v| {
            s.training.batch = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.training.batch.to_string())
    ),
    setting!(
        "lr",
        "training.lr",
        Number,
        "LR",
        "Adam's learning rate (default 0.005)",
        no_choices,
        |s, n, v| {
            // The nets train in f32: a value that rounds to 0 or infinity there is refused as
            // written, not as the 0 it would become.
            let x: f64 = num(n, v, "a number")?;
            if x.is_finite() && x != 0.0 && (x as f32 == 0.0 || !(x as f32).is_finite()) {
                return Err(bad(
                    "training.lr",
                    format!("must be in {}..={}, got {} (outside single precision, in which the nets train)", limits::LR.0, limits::LR.1, v.trim()),
                ));
            }
            s.training.lr = x as f32;
            Ok(())
        },
        |s| Some(s.training.lr.to_string())
    ),
    setting!(
        "precond",
        "model.precond",
        Choice,
        "P",
        "the net's preconditioning: none (default) or edm (EDM's c_skip, c_out, c_in, c_noise; process ve, target x0)",
        preconds,
        |s, n, v| {
            s.model.precond = Precond::parse(v.trim()).ok_or_else(|| bad(n, format!("expected {}, got {v:?}", one_of(preconds()))))?;
            Ok(())
        },
        |s| Some(s.model.precond.name().into())
    ),
    setting!(
        "sigma-data",
        "model.sigma_data",
        Number,
        "S",
        "s_d of EDM's preconditioning (default: the training data's standard deviation)",
        no_choices,
        |s, n, v| {
            s.model.sigma_data = if v.trim() == "auto" { None } else { Some(num(n, v, "a number or auto")?) };
            Ok(())
        },
        |s| s.model.sigma_data.map(|v| v.to_string())
    ),
    setting!(
        "t-dist",
        "training.t_dist",
        Choice,
        "D",
        "how training draws t: uniform (default), logit-normal (sigmoid of N(0, 1), flow-matching practice) or lognormal (EDM's ln sigma ~ N(-1.2, 1.2^2); process ve)",
        time_dists,
        |s, n, v| {
            s.training.t_dist = TimeDist::parse(v.trim()).ok_or_else(|| bad(n, format!("expected {}, got {v:?}", one_of(time_dists()))))?;
            Ok(())
        },
        |s| Some(s.training.t_dist.name().into())
    ),
    setting!(
        "checkpoints",
        "training.checkpoints",
        Numbers,
        "LIST",
        "iterations at which the net is also sampled and measured (multiples of report-every below iters, at most 12): collapse along training from one run, the same numbers as separate runs of those lengths (default: none)",
        no_choices,
        |s, n, v| {
            s.training.checkpoints = if v.trim() == "none" {
                Vec::new()
            } else {
                v.split(',').map(|x| num::<u64>(n, x, "a comma list of integers or none")).collect::<Result<_, _>>()?
            };
            Ok(())
        },
        |s| (!s.training.checkpoints.is_empty()).then(|| s.training.checkpoints.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(","))
    ),
    setting!(
        "report-every",
        "training.report_every",
        Int,
        "K",
        "the loss is reported (and checked) every K steps (default 100)",
        no_choices,
        |s, n, v| {
            s.training.report_every = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.training.report_every.to_string())
    ),
    setting!(
        "samplers",
        "sampling.samplers",
        Choices,
        "LIST",
        "comma list of samplers (default ode,sde)",
        samplers,
        |s, n, v| {
            s.sampling.samplers = v
                .split(',')
                .map(|x| SamplerKind::parse(x.trim()).ok_or_else(|| bad(n, format!("unknown sampler {x:?}; choose from {}", SamplerKind::names()))))
                .collect::<Result<_, _>>()?;
            Ok(())
        },
        |s| Some(s.sampling.samplers.iter().map(|k| k.name()).collect::<Vec<_>>().join(","))
    ),
    setting!(
        "steps",
        "sampling.steps",
        Pairs,
        "NAME=N,...",
        "steps per sampler (default ode=100 heun=50 ddim=100 dpm2=50 sde=1000 pc=100 ald=100 edm-sde=50)",
        samplers,
        |s, n, v| {
            let mut given = Vec::new();
            for part in v.split(',') {
                let (k, x) = part.split_once('=').ok_or_else(|| bad(n, format!("expected NAME=N pairs like ode=100, got {part:?}")))?;
                let kind = SamplerKind::parse(k.trim()).ok_or_else(|| bad(n, format!("unknown sampler {k:?}")))?;
                // A sampler named twice is refused, not silently given its last value.
                if given.contains(&kind) {
                    return Err(bad(n, format!("{} is given twice", kind.name())));
                }
                given.push(kind);
                s.sampling.steps.insert(kind, num(n, x, "an integer")?);
            }
            Ok(())
        },
        |s| (!s.sampling.steps.is_empty()).then(|| s.sampling.steps.iter().map(|(k, x)| format!("{}={x}", k.name())).collect::<Vec<_>>().join(","))
    ),
    setting!(
        "exact-score",
        "sampling.exact_score",
        Bool,
        "",
        "sample with the exact mixture score, no training (mog, mog1d, mog-nd)",
        no_choices,
        |s, n, v| {
            s.sampling.exact_score = boolean(n, v)?;
            Ok(())
        },
        |s| Some(s.sampling.exact_score.to_string())
    ),
    setting!(
        "snr",
        "sampling.snr",
        Number,
        "R",
        "Langevin snr of pc and ald (default 0.16)",
        no_choices,
        |s, n, v| {
            s.sampling.snr = num(n, v, "a number")?;
            Ok(())
        },
        |s| Some(s.sampling.snr.to_string())
    ),
    setting!(
        "corrector-steps",
        "sampling.corrector_steps",
        Int,
        "N",
        "Langevin steps per level of pc and ald (default 1)",
        no_choices,
        |s, n, v| {
            s.sampling.corrector_steps = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.sampling.corrector_steps.to_string())
    ),
    setting!(
        "churn",
        "sampling.churn.churn",
        Number,
        "S",
        "S_churn of edm-sde (EDM's Algorithm 2; default 40): gamma = min(S_churn / steps, sqrt 2 - 1)",
        no_choices,
        |s, n, v| {
            s.sampling.churn.churn = num(n, v, "a number")?;
            Ok(())
        },
        |s| Some(s.sampling.churn.churn.to_string())
    ),
    setting!(
        "s-tmin",
        "sampling.churn.s_tmin",
        Number,
        "S",
        "edm-sde churns where S_tmin <= sigma_t <= S_tmax (default 0.05)",
        no_choices,
        |s, n, v| {
            s.sampling.churn.s_tmin = num(n, v, "a number")?;
            Ok(())
        },
        |s| Some(s.sampling.churn.s_tmin.to_string())
    ),
    setting!(
        "s-tmax",
        "sampling.churn.s_tmax",
        Number,
        "S",
        "the upper sigma of edm-sde's churn (default 50)",
        no_choices,
        |s, n, v| {
            s.sampling.churn.s_tmax = num(n, v, "a number")?;
            Ok(())
        },
        |s| Some(s.sampling.churn.s_tmax.to_string())
    ),
    setting!(
        "s-noise",
        "sampling.churn.s_noise",
        Number,
        "S",
        "S_noise of edm-sde, the churn's noise scale (default 1.003)",
        no_choices,
        |s, n, v| {
            s.sampling.churn.s_noise = num(n, v, "a number")?;
            Ok(())
        },
        |s| Some(s.sampling.churn.s_noise.to_string())
    ),
    setting!(
        "nfe",
        "sampling.nfe",
        Int,
        "N",
        "a budget of network evaluations per sample: every sampler's steps follow from it, over the steps given (ode, ddim, sde: N steps; heun, dpm2, edm-sde: N/2; pc: N/(1 + corrector-steps); ald: N/corrector-steps): samplers at equal compute (default: none)",
        no_choices,
        |s, n, v| {
            s.sampling.nfe = if v.trim() == "none" { None } else { Some(num(n, v, "an integer or none")?) };
            Ok(())
        },
        |s| s.sampling.nfe.map(|b| b.to_string())
    ),
    setting!(
        "t-start",
        "sampling.t_start",
        OptionalNumber,
        "T",
        "the time every sampler starts at, from sigma(T) N(0, I), in (0.001, the process's end]: on the linear path the eps target's velocity multiplies the net's error by 1 / (1 - t) near its end (default: none, the process's end)",
        no_choices,
        |s, n, v| {
            s.sampling.t_start = if v.trim() == "none" { None } else { Some(num(n, v, "a time or none")?) };
            Ok(())
        },
        |s| s.sampling.t_start.map(|t| t.to_string())
    ),
    setting!(
        "denoise",
        "sampling.denoise",
        Bool,
        "",
        "end every sampler with one denoising (Tweedie) step",
        no_choices,
        |s, n, v| {
            s.sampling.denoise = boolean(n, v)?;
            Ok(())
        },
        |s| Some(s.sampling.denoise.to_string())
    ),
    setting!(
        "n-samples",
        "sampling.n_samples",
        Int,
        "N",
        "samples per sampler = size of the TID reference set (default 2000)",
        no_choices,
        |s, n, v| {
            s.sampling.n_samples = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.sampling.n_samples.to_string())
    ),
    setting!(
        "eps",
        "metrics.eps",
        Numbers,
        "LIST",
        "TID radii (default 0.01,0.02,0.03,0.05,0.07,0.1,0.15,0.2)",
        no_choices,
        |s, n, v| {
            s.metrics.eps = list_f64(n, v)?;
            Ok(())
        },
        |s| Some(join(&s.metrics.eps))
    ),
    setting!(
        "k",
        "metrics.k",
        Int,
        "K",
        "Hill's k (default N)",
        no_choices,
        |s, n, v| {
            s.metrics.k = Some(num(n, v, "an integer")?);
            Ok(())
        },
        |s| s.metrics.k.map(|k| k.to_string())
    ),
    setting!(
        "k-grid",
        "metrics.k_grid",
        Numbers,
        "LIST",
        "TID's robustness: Hill's k values (2..=n-samples, at most 12) over which TID is also measured at every radius, a k x e grid per sampler and for the data floor (default: none)",
        no_choices,
        |s, n, v| {
            s.metrics.k_grid = if v.trim() == "none" {
                Vec::new()
            } else {
                v.split(',').map(|x| num::<usize>(n, x, "a comma list of integers or none")).collect::<Result<_, _>>()?
            };
            Ok(())
        },
        |s| (!s.metrics.k_grid.is_empty()).then(|| s.metrics.k_grid.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(","))
    ),
    setting!(
        "repeats",
        "metrics.repeats",
        Int,
        "R",
        "reference draws for TID's spread (default 5)",
        no_choices,
        |s, n, v| {
            s.metrics.repeats = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.metrics.repeats.to_string())
    ),
    setting!(
        "survival-eps",
        "metrics.survival_eps",
        Number,
        "E",
        "radius of the survival plot P(n > x) (default 0.05)",
        no_choices,
        |s, n, v| {
            s.metrics.survival_eps = num(n, v, "a number")?;
            Ok(())
        },
        |s| Some(s.metrics.survival_eps.to_string())
    ),
    setting!(
        "coordinate",
        "record.coordinate",
        Int,
        "C",
        "coordinate whose marginal is recorded (default 0)",
        no_choices,
        |s, n, v| {
            s.record.coordinate = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.record.coordinate.to_string())
    ),
    setting!(
        "bins",
        "record.bins",
        Int,
        "B",
        "histogram bins of the recorded marginal (default 120)",
        no_choices,
        |s, n, v| {
            s.record.bins = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.record.bins.to_string())
    ),
    setting!(
        "record-times",
        "record.times",
        Numbers,
        "LIST",
        "times of the recorded marginal (default 1,0.98,..,0)",
        no_choices,
        |s, n, v| {
            s.record.times = list_f64(n, v)?;
            Ok(())
        },
        |s| Some(join(&s.record.times))
    ),
    setting!(
        "trajectories",
        "record.trajectories",
        Int,
        "N",
        "points whose whole path is recorded (default 64)",
        no_choices,
        |s, n, v| {
            s.record.trajectories = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.record.trajectories.to_string())
    ),
    setting!(
        "seed",
        "seed",
        Int,
        "S",
        "seed of every random stream (default 0)",
        no_choices,
        |s, n, v| {
            s.seed = num(n, v, "a non-negative integer")?;
            Ok(())
        },
        |s| Some(s.seed.to_string())
    ),
    setting!(
        "fixed-t",
        "training.fixed_t",
        OptionalNumber,
        "none|T",
        "high-noise-only control: every batch at t = T (1 = L(theta, t=1))",
        no_choices,
        |s, n, v| {
            s.training.fixed_t = optional_f64(n, v)?;
            Ok(())
        },
        |s| Some(opt(s.training.fixed_t))
    ),
    setting!(
        "two-model",
        "training.two_model",
        OptionalNumber,
        "none|T'",
        "two nets split at t' (e.g. 0.6), each trained on its own t range",
        no_choices,
        |s, n, v| {
            s.training.two_model = optional_f64(n, v)?;
            Ok(())
        },
        |s| Some(opt(s.training.two_model))
    ),
    setting!(
        "diagnostics",
        "diagnostics.enabled",
        Bool,
        "",
        "see-saw diagnostics (SPEC 7): velocity MAE and DSM loss at fixed t, velocity-error correlation along t, velocity field",
        no_choices,
        |s, n, v| {
            s.diagnostics.enabled = boolean(n, v)?;
            Ok(())
        },
        |s| Some(s.diagnostics.enabled.to_string())
    ),
    setting!(
        "diag-points",
        "diagnostics.points",
        Int,
        "N",
        "fresh draw size behind MAE(t) and DSM(t) (default 20000)",
        no_choices,
        |s, n, v| {
            s.diagnostics.points = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.diagnostics.points.to_string())
    ),
    setting!(
        "diag-times",
        "diagnostics.times",
        Numbers,
        "LIST",
        "times of MAE(t) and DSM(t) (default 1,0.1)",
        no_choices,
        |s, n, v| {
            s.diagnostics.times = list_f64(n, v)?;
            Ok(())
        },
        |s| Some(join(&s.diagnostics.times))
    ),
    setting!(
        "diag-trajectories",
        "diagnostics.trajectories",
        Int,
        "N",
        "paths followed for the error correlation (default 512)",
        no_choices,
        |s, n, v| {
            s.diagnostics.trajectories = num(n, v, "an integer")?;
            Ok(())
        },
        |s| Some(s.diagnostics.trajectories.to_string())
    ),
    setting!(
        "fresh",
        "recursion.fresh",
        Number,
        "A",
        "fresh-data fraction a of every generation's training set",
        no_choices,
        |s, n, v| {
            recursion(s).fresh = num(n, v, "a number in 0..=1")?;
            Ok(())
        },
        |s| rec(s, |r| r.fresh.to_string())
    ),
    setting!(
        "generations",
        "recursion.generations",
        Int,
        "N",
        "generations after generation 0 (default 20; at most 100)",
        no_choices,
        |s, n, v| {
            recursion(s).generations = num(n, v, "an integer")?;
            Ok(())
        },
        |s| rec(s, |r| r.generations.to_string())
    ),
    setting!(
        "gen-sampler",
        "recursion.sampler",
        Choice,
        "S",
        "the sampler drawing each generation's samples (default sde)",
        samplers,
        |s, n, v| {
            recursion(s).sampler =
                SamplerKind::parse(v.trim()).ok_or_else(|| bad(n, format!("unknown sampler {v:?}; choose one of {}", SamplerKind::names())))?;
            Ok(())
        },
        |s| rec(s, |r| r.sampler.name().to_string())
    ),
    setting!(
        "gen-size",
        "recursion.gen_size",
        Int,
        "M",
        "training-set size of every generation = samples drawn per generation (default 10000)",
        no_choices,
        |s, n, v| {
            recursion(s).gen_size = num(n, v, "an integer")?;
            Ok(())
        },
        |s| rec(s, |r| r.gen_size.to_string())
    ),
    setting!(
        "warm-start",
        "recursion.warm_start",
        Bool,
        "",
        "generation i+1 starts from generation i's weights (default: afresh)",
        no_choices,
        |s, n, v| {
            recursion(s).warm_start = boolean(n, v)?;
            Ok(())
        },
        |s| rec(s, |r| r.warm_start.to_string())
    ),
    setting!(
        "hist-bins",
        "recursion.hist_bins",
        Int,
        "B",
        "bins per axis of the chi^2/KL histogram (default 20)",
        no_choices,
        |s, n, v| {
            recursion(s).hist_bins = num(n, v, "an integer")?;
            Ok(())
        },
        |s| rec(s, |r| r.hist_bins.to_string())
    ),
    setting!(
        "hist-floor",
        "recursion.hist_floor",
        Number,
        "F",
        "data bins with less mass are merged into one rest bin; every denominator is at least F (default 0.001)",
        no_choices,
        |s, n, v| {
            recursion(s).hist_floor = num(n, v, "a number")?;
            Ok(())
        },
        |s| rec(s, |r| r.hist_floor.to_string())
    ),
    setting!(
        "shown",
        "recursion.shown",
        Int,
        "S",
        "samples per generation kept in the JSON for plots (default 500)",
        no_choices,
        |s, n, v| {
            recursion(s).shown = num(n, v, "an integer")?;
            Ok(())
        },
        |s| rec(s, |r| r.shown.to_string())
    ),
];

/// The setting of this name.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// Names accepted by [`apply`], in the order the CLI help lists them.
pub fn names() -> Vec<&'static str> {
    SETTINGS.iter().map(|s| s.name).collect()
}

/// The data set a setting belongs to, where it belongs to one: the page sends it only with that
/// data set (elsewhere the core refuses it rather than ignoring it).
pub fn only_for(name: &str) -> Option<&'static str> {
    match name {
        "dim" => Some("mog-nd"),
        "painted" => Some("painted"),
        "csv" => Some("csv"),
        _ => None,
    }
}

/// The page's own parameters: they shape the page, not the experiment, so a link carries them
/// but the spec (and the CLI) does not.
pub static PAGE_PARAMS: &[(&str, &str)] = &[
    ("autorun", "1: run on load (unless a stored result shows)"),
    ("embed", "1: the compact widget for an iframe (the main panels, each with its TID, and Re-run); full: the whole page in an iframe"),
    ("gpu", "auto (default), 1, 0 or time: which engine trains"),
    ("lose-gpu-after", "N: destroy the GPU device after iteration N (to see the fallback)"),
    ("view", "verdicts, hermite or generations: open that view (verdicts: what reproduces, claim by claim)"),
    ("hide", "controls or boxes to hide (classroom)"),
    ("lock", "controls or boxes to lock at the link's value (classroom)"),
    ("question", "a question shown above the results (classroom)"),
    ("preset", "the gallery entry the link opens"),
    ("size", "quick or paper: the gallery entry's size"),
    ("workers", "N: Web Workers that share each training batch (default one per core)"),
    ("together", "N: on WebGPU, the most nets a study trains side by side (default 8; 1: each group's alone)"),
];

/// The page parameters a share link keeps as the link gave them (a class shares one view).
pub static SHARED_PAGE_PARAMS: &[&str] = &["embed", "hide", "lock", "question"];

/// The most Web Workers the page runs at once (`workers=N`, a batch's workers).
pub const PAGE_WORKERS_MAX: usize = 16;

/// The inputs of a study's or a generations run's plan that are not settings of one run: the
/// study's axes and seeds per cell, the generations' fresh fractions, samplers in the loop and
/// seeds per chain (`generations` and `gen-size` are settings: `recursion.*`).
pub static PLAN_PARAMS: &[(&str, &str)] =
    &[("vary", "study"), ("seeds", "study"), ("fresh", "generations"), ("gen-sampler", "generations"), ("gen-seeds", "generations")];

/// Whether a setting belongs to recursive training (SPEC §10): any of them makes the spec a
/// generations run.
pub fn is_recursion(name: &str) -> bool {
    setting(name).is_some_and(|s| s.field.starts_with("recursion."))
}

/// Whether a setting takes true/false (a CLI flag alone means true).
pub fn is_boolean(name: &str) -> bool {
    setting(name).is_some_and(|s| s.kind == Kind::Bool)
}

/// Every setting in force with its value, as text [`from_pairs`] reads back into the same spec.
pub fn print(s: &ExperimentSpec) -> Vec<(&'static str, String)> {
    SETTINGS.iter().filter_map(|x| x.print(s).map(|v| (x.name, v))).collect()
}

/// The settings where `s` differs from the defaults (what a share link or a command line needs).
pub fn print_changed(s: &ExperimentSpec) -> Vec<(&'static str, String)> {
    let d = ExperimentSpec::default();
    SETTINGS.iter().filter_map(|x| x.print(s).filter(|v| x.print(&d).as_ref() != Some(v)).map(|v| (x.name, v))).collect()
}

/// The CLI help lines of the run settings (the recursion ones have their own section).
pub fn help_lines() -> String {
    let mut out = String::new();
    for x in SETTINGS.iter().filter(|x| !x.field.starts_with("recursion.")) {
        let mut head = format!("  --{}", x.name);
        if !x.arg.is_empty() {
            head = format!("{head} {}", x.arg);
        }
        let mut help = x.help.to_string();
        if matches!(x.kind, Kind::Choice | Kind::Choices) && x.name != "steps" {
            help = format!("{}: {help}", (x.choices)().join(" | "));
        }
        // Wrapped at 96 columns under a 26-column head.
        let mut line = format!("{head:<26}");
        if head.len() >= 26 {
            line = format!("{head} ");
        }
        let mut width = line.len();
        for word in help.split(' ') {
            if width + word.len() > 96 && width > 26 {
                out.push_str(line.trim_end());
                out.push('\n');
                line = " ".repeat(26);
                width = 26;
            }
            line.push_str(word);
            line.push(' ');
            width += word.len() + 1;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

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
        _ => Err(bad(name, format!("expected true or false (or 1/0, yes/no), got {v:?}"))),
    }
}

/// `none` for no value, else a number; an empty value is refused (it is a slip, not a choice).
fn optional_f64(name: &str, v: &str) -> Result<Option<f64>, SpecError> {
    match v.trim() {
        "none" => Ok(None),
        "" => Err(bad(name, "expected a number or none, got an empty value".into())),
        x => Ok(Some(num(name, x, "a number or none")?)),
    }
}

pub fn list_f64(name: &str, v: &str) -> Result<Vec<f64>, SpecError> {
    v.split(',').map(|x| num::<f64>(name, x, "a comma list of numbers")).collect()
}

/// Sets one field from text. Range checks are left to [`ExperimentSpec::validate`]; this
/// only parses, and names the override in its errors.
pub fn apply(s: &mut ExperimentSpec, name: &str, v: &str) -> Result<(), SpecError> {
    if name.is_empty() {
        return Err(bad("(empty name)", format!("a setting needs a name; known: {}", names().join(", "))));
    }
    match setting(name) {
        Some(x) => (x.set)(s, name, v),
        None => Err(bad(name, format!("unknown setting; known: {}", names().join(", ")))),
    }
}

fn recursion(s: &mut ExperimentSpec) -> &mut super::RecursionSpec {
    s.recursion.get_or_insert_with(Default::default)
}

/// The override that sets a spec field, for error messages ("model.width" -> "width").
pub fn name_of(field: &str) -> Option<&'static str> {
    if field.starts_with("sampling.steps") {
        return Some("steps");
    }
    SETTINGS.iter().find(|s| s.field == field).map(|s| s.name)
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
    fn the_shared_page_params_are_page_params() {
        for name in SHARED_PAGE_PARAMS {
            assert!(PAGE_PARAMS.iter().any(|p| p.0 == *name), "{name} is shared but not a page parameter");
        }
    }

    #[test]
    fn the_mixture_sd_sets_the_datas_spread_and_the_exact_score() {
        // mog1d: means -1 and 1, equal weights: variance 1 + sd^2.
        for (sd, var) in [(None, 1.04), (Some("0.5"), 1.25), (Some("0.01"), 1.0001)] {
            let mut pairs = vec![("dataset", "mog1d")];
            if let Some(v) = sd {
                pairs.push(("mixture-sd", v));
            }
            let s = from_pairs(pairs).unwrap();
            let v = s.data(200_000).variance()[0];
            assert!((v - var).abs() < 0.02, "{sd:?}: variance {v}, want {var}");
            let m = s.mixture().unwrap();
            assert!(m.stds.iter().all(|&x| (x * x + 1.0 - var).abs() < 1e-9), "{sd:?}: {:?}", m.stds);
        }
        // Unset, the data are those of the data set itself, bit for bit.
        let plain = from_pairs([("dataset", "mog")]).unwrap();
        assert_eq!(plain.data(1000), crate::data::Dataset::Mog.generate(1000, 10, plain.seed));
    }

    #[test]
    fn every_name_is_accepted_with_a_valid_value() {
        let values = [
            ("dataset", "mog-nd"),
            ("data-size", "1000"),
            ("dim", "3"),
            ("mixture-sd", "0.05"),
            ("painted", "4:0000099009900000"),
            ("csv", "0123456789abcdef:5000x2"),
            ("process", "sub-vp"),
            ("depth", "2"),
            ("width", "16"),
            ("activation", "silu"),
            ("parameterization", "skip-fixed"),
            ("iters", "10"),
            ("target", "eps"),
            ("t-dist", "logit-normal"),
            ("precond", "none"),
            ("sigma-data", "auto"),
            ("checkpoints", "none"),
            ("batch", "100"),
            ("lr", "0.001"),
            ("report-every", "5"),
            ("samplers", "sde,pc,ald"),
            ("steps", "sde=50,dpm2=10"),
            ("exact-score", "true"),
            ("snr", "0.2"),
            ("corrector-steps", "2"),
            ("nfe", "60"),
            ("t-start", "0.9"),
            ("churn", "10"),
            ("s-tmin", "0.1"),
            ("s-tmax", "20"),
            ("s-noise", "1.0"),
            ("denoise", "yes"),
            ("n-samples", "100"),
            ("eps", "0.1,0.2"),
            ("k", "50"),
            ("k-grid", "10,50"),
            ("repeats", "2"),
            ("survival-eps", "0.1"),
            ("coordinate", "1"),
            ("bins", "40"),
            ("record-times", "1,0.5,0"),
            ("trajectories", "8"),
            ("seed", "9"),
            ("fixed-t", "none"),
            ("two-model", "0.6"),
            ("diagnostics", "true"),
            ("diag-points", "500"),
            ("diag-times", "1,0.5,0.1"),
            ("diag-trajectories", "64"),
            ("fresh", "0.1"),
            ("generations", "3"),
            ("gen-sampler", "ode"),
            ("gen-size", "1000"),
            ("warm-start", "true"),
            ("hist-bins", "16"),
            ("hist-floor", "0.01"),
            ("shown", "100"),
        ];
        assert_eq!(values.len(), SETTINGS.len());
        // The painted grid and the CSV file belong to their data sets only (checked below).
        let values: Vec<_> = values.iter().copied().filter(|(k, _)| !["painted", "csv"].contains(k)).collect();
        let c = from_pairs([("dataset", "csv"), ("csv", "0123456789ABCDEF:5000x3")]).unwrap();
        assert_eq!((c.data_size(), c.data_dim(), c.csv.as_ref().unwrap().print()), (5000, 3, "0123456789abcdef:5000x3".into()));
        assert!(
            c.check_data()
                .unwrap_err()
                .to_string()
                .starts_with("csv: this run trains on a CSV file (5000 rows x 3, fingerprint 0123456789abcdef) that is not loaded")
        );
        let p = from_pairs([("dataset", "painted"), ("painted", "4:0000099009900000")]).unwrap();
        assert_eq!((p.dataset, p.painted.as_ref().map(|g| g.side), p.data_dim()), (crate::data::Dataset::Painted, Some(4), 2));
        for (pairs, want) in [
            (vec![("dataset", "painted")], "painted: the painted data set needs its grid"),
            (vec![("mixture-sd", "0.1")], "mixture_sd: only the mixtures (mog, mog1d, mog-nd) have a component sd; the data set is chessboard"),
            (vec![("dataset", "mog1d"), ("mixture-sd", "0")], "mixture_sd: must be a number in 0.001..=10"),
            (vec![("painted", "4:0000099009900000")], "painted: only the painted data set reads a painted grid; the data set is chessboard"),
            (vec![("dataset", "painted"), ("painted", "4:00001")], "painted: a 4x4 grid has 16 cells, got 5"),
            (vec![("dataset", "csv")], "csv: the csv data set needs its file"),
            (vec![("csv", "0123456789abcdef:5000x2")], "csv: only the csv data set reads a CSV file; the data set is chessboard"),
            (vec![("dataset", "csv"), ("csv", "0123456789abcdef:3999x2")], "sampling.n_samples: must be at most half the CSV's 3999 rows (1999)"),
            (
                vec![("dataset", "csv"), ("csv", "0123456789abcdef:50x2"), ("n-samples", "10")],
                "csv: a CSV set has 100..=1000000 rows of 1..=64 values, got 50 x 2",
            ),
            (vec![("dataset", "csv"), ("csv", "0123456789abcdef:5000x2"), ("data-size", "4000")], "data_size: a CSV set trains on all of its file's 5000 rows"),
            (vec![("dataset", "csv"), ("csv", "0123456789abcdef:5000x2"), ("generations", "3")], "csv: generations need fresh draws"),
            (vec![("dataset", "csv"), ("csv", "0123456789abcdef:5000x2"), ("exact-score", "true")], "sampling.exact_score: csv has no exact score"),
        ] {
            let e = from_pairs(pairs).unwrap_err();
            assert!(e.to_string().starts_with(want), "{e}");
        }
        // Every name but the see-saw diagnostics and data-size, which a generations run refuses.
        let s = from_pairs(values.iter().copied().filter(|(k, _)| !["diagnostics", "data-size", "k-grid"].contains(k))).unwrap();
        // ... and the k x e grid, which it does not measure (issue 41 #9).
        let e = from_pairs(values.iter().copied().filter(|(k, _)| !["diagnostics", "data-size"].contains(k))).unwrap_err();
        assert!(e.to_string().starts_with("metrics.k_grid: a generations run"), "{e}");
        let r = s.recursion.clone().unwrap();
        assert_eq!((r.fresh, r.sampler, r.generations, r.gen_size), (0.1, SamplerKind::Ode, 3, 1000));
        assert!(r.warm_start && r.hist_bins == 16 && r.hist_floor == 0.01 && r.shown == 100);
        let e = from_pairs(values.iter().copied().filter(|(k, _)| !["data-size", "k-grid"].contains(k))).unwrap_err();
        assert!(e.to_string().starts_with("diagnostics.enabled"), "{e}");
        let e = from_pairs(values.clone()).unwrap_err();
        assert!(e.to_string().starts_with("data-size: a generations run"), "{e}");
        let recursion: Vec<_> = values.iter().copied().filter(|(k, _)| !is_recursion(k)).collect();
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

    /// The table's two directions agree: printing a spec and reading the text back gives the
    /// same spec, for the defaults, a spec with every setting changed, and a generations run.
    #[test]
    fn print_reads_back_into_the_same_spec() {
        let changed = [
            ("dataset", "mog-nd"),
            ("dim", "3"),
            ("mixture-sd", "0.1"),
            ("process", "sub-vp"),
            ("depth", "2"),
            ("width", "16"),
            ("activation", "silu"),
            ("parameterization", "skip-learned"),
            ("iters", "10"),
            ("batch", "100"),
            ("lr", "0.0013"),
            ("t-dist", "logit-normal"),
            ("checkpoints", "5"),
            ("report-every", "5"),
            ("samplers", "dpm2,sde,pc"),
            ("steps", "sde=50,dpm2=10"),
            ("snr", "0.2"),
            ("corrector-steps", "2"),
            ("churn", "10"),
            ("s-tmin", "0.1"),
            ("s-tmax", "20"),
            ("s-noise", "1.0"),
            ("nfe", "60"),
            ("t-start", "0.9"),
            ("denoise", "yes"),
            ("n-samples", "100"),
            ("eps", "0.1,0.25"),
            ("k", "50"),
            ("k-grid", "10,50"),
            ("repeats", "2"),
            ("survival-eps", "0.1"),
            ("coordinate", "1"),
            ("bins", "40"),
            ("record-times", "1,0.5,0"),
            ("trajectories", "8"),
            ("seed", "9"),
            ("two-model", "0.6"),
            ("diagnostics", "true"),
            ("diag-points", "500"),
            ("diag-times", "1,0.5,0.1"),
            ("diag-trajectories", "64"),
            ("data-size", "1234"),
        ];
        let generations = [
            ("dataset", "mog"),
            ("fresh", "0.1"),
            ("generations", "3"),
            ("gen-sampler", "ode"),
            ("gen-size", "3000"),
            ("warm-start", "true"),
            ("hist-bins", "16"),
            ("hist-floor", "0.01"),
            ("shown", "100"),
        ];
        let fixed = [("fixed-t", "0.3"), ("exact-score", "true"), ("dataset", "mog")];
        let painted = [("dataset", "painted"), ("painted", "4:0000099009900000")];
        let csv = [("dataset", "csv"), ("csv", "0123456789abcdef:5000x3")];
        // A target other than eps needs the plain output (the changed spec's is skip-learned).
        let flow = [("process", "linear"), ("target", "v"), ("t-dist", "logit-normal")];
        assert_eq!(print_changed(&from_pairs(flow).unwrap()), flow.map(|(k, v)| (k, v.to_string())));
        let edm = [("process", "ve"), ("target", "x0"), ("precond", "edm"), ("sigma-data", "0.5"), ("t-dist", "lognormal")];
        assert_eq!(print_changed(&from_pairs(edm).unwrap()), edm.map(|(k, v)| (k, v.to_string())));
        for s in [
            ExperimentSpec::default(),
            from_pairs(flow).unwrap(),
            from_pairs(edm).unwrap(),
            from_pairs(changed).unwrap(),
            from_pairs(generations).unwrap(),
            from_pairs(fixed).unwrap(),
            from_pairs(painted).unwrap(),
            from_pairs(csv).unwrap(),
        ] {
            let text = print(&s);
            let back = from_pairs(text.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
            assert_eq!(back, s, "{text:?}");
            let diff = print_changed(&s);
            let back = from_pairs(diff.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
            assert_eq!(back, s, "{diff:?}");
        }
        // Every setting of the changed spec differs from the default and is printed as changed;
        // the defaults print no change; settings not in force are not printed.
        let s = from_pairs(changed).unwrap();
        let names: Vec<_> = print_changed(&s).into_iter().map(|(k, _)| k).collect();
        let want: Vec<_> = SETTINGS
            .iter()
            .map(|x| x.name)
            .filter(|n| !is_recursion(n) && !["exact-score", "fixed-t", "painted", "csv", "target", "precond", "sigma-data"].contains(n))
            .collect();
        assert_eq!(names, want);
        assert!(print_changed(&ExperimentSpec::default()).is_empty());
        let d = print(&ExperimentSpec::default());
        assert!(d.iter().all(|(k, _)| !["dim", "data-size", "k", "steps"].contains(k) && !is_recursion(k)), "{d:?}");
        assert_eq!(d.iter().find(|(k, _)| *k == "fixed-t").unwrap().1, "none");
        // The choices come from the core's own lists.
        assert_eq!((setting("dataset").unwrap().choices)().len(), Dataset::ALL.len());
        assert_eq!((setting("samplers").unwrap().choices)(), vec!["ode", "heun", "ddim", "dpm2", "sde", "pc", "ald", "edm-sde"]);
        // The help of `steps` states every sampler's default (a hand-written line: checked here).
        for k in SamplerKind::ALL {
            assert!(setting("steps").unwrap().help.contains(&format!("{}={}", k.name(), k.default_steps())), "steps help lacks {k:?}");
        }
        assert!(is_boolean("warm-start") && !is_boolean("width") && is_recursion("gen-size") && !is_recursion("seed"));
    }

    #[test]
    fn the_help_lists_every_run_setting() {
        let help = help_lines();
        for x in SETTINGS.iter().filter(|x| !is_recursion(x.name)) {
            assert!(help.contains(&format!("  --{}", x.name)), "{}", x.name);
        }
        assert!(help.contains("chessboard | spiral | mog | semicircle | mog1d | mog-nd"));
        assert!(help.lines().all(|l| l.len() <= 100), "{help}");
        assert!(!help.contains("--fresh"));
    }

    #[test]
    fn bad_values_name_their_setting() {
        for (k, v, want) in [
            ("width", "wide", "width: expected an integer"),
            ("width", "0", "model.width: must be in 1..=1024"),
            ("lr", "NaN", "training.lr"),
            ("lr", "1e-309", "training.lr: must be in 0.0000001..=1, got 1e-309 (outside single precision"),
            ("lr", "1e39", "training.lr: must be in 0.0000001..=1, got 1e39 (outside"),
            ("colour", "red", "colour: unknown setting"),
            ("exact-score", "maybe", "exact-score: expected true or false"),
            ("process", "edm", "process: expected vp, sub-vp, linear or ve"),
            ("precond", "edm", "model.precond: EDM's preconditioning is defined for the ve process"),
            ("sigma-data", "0.5", "model.sigma_data: s_d belongs to EDM's preconditioning"),
            ("t-dist", "lognormal", "training.t_dist: EDM's lognormal"),
            ("checkpoints", "150", "training.checkpoints: each checkpoint must be a multiple of report-every"),
            ("s-noise", "-1", "sampling.churn.s_noise: must be a number in 0..=10"),
            ("churn", "NaN", "sampling.churn.churn"),
            ("samplers", "ode,euler", "samplers: unknown sampler"),
            ("coordinate", "2", "record.coordinate: must be in 0..=1"),
            ("record-times", "0.5,2", "record.times"),
            ("snr", "inf", "sampling.snr"),
            ("fixed-t", "2", "training.fixed_t"),
            ("fixed-t", "one", "fixed-t: expected a number or none"),
            ("fixed-t", "", "fixed-t: expected a number or none, got an empty value"),
            ("two-model", " ", "two-model: expected a number or none, got an empty value"),
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
        // The default diagnostic time t = 1 is past the linear process's end (0.999): it is
        // measured there, so the default fits every process (experiment::diagnose).
        let e = from_pairs([("diagnostics", "true"), ("diag-times", "0")]).unwrap_err();
        assert!(e.to_string().starts_with("diagnostics.times"), "{e}");
        assert!(from_pairs([("process", "linear")]).is_ok());
        assert!(from_pairs([("process", "linear"), ("diagnostics", "true")]).is_ok());
        let e = from_pairs([("process", "linear"), ("diagnostics", "true"), ("diag-times", "1.5")]).unwrap_err();
        assert!(e.to_string().starts_with("diagnostics.times"), "{e}");
    }
}
