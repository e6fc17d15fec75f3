//! One serialisable description of an experiment. The CLI flags, the `--spec` JSON file, the
//! page's form and URL, and the result JSON all carry this same object; defaults live here only
//! and are the paper's 2D setting (appendix C.1, SPEC §4).

pub mod overrides;
pub mod presets;
mod validate;

use crate::data::Dataset;
use crate::diffusion::{Precond, ProcessKind, Target, TimeDist};
use crate::nn::{Activation, Parameterization};
use crate::sample::{Churn, SamplerKind, SamplerSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExperimentSpec {
    pub dataset: Dataset,
    /// Training-set size; null means the data set's default (SPEC §1).
    pub data_size: Option<usize>,
    /// Dimension of `mog-nd` (ignored by the other data sets).
    pub dim: usize,
    /// The mixtures' component standard deviation (`mog`, `mog1d`, `mog-nd`; `None`: their 0.2):
    /// the workshop version's Fig. 4 and App. G.2 vary it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture_sd: Option<f64>,
    pub process: ProcessKind,
    pub model: ModelSpec,
    pub training: TrainingSpec,
    pub sampling: SamplingSpec,
    pub metrics: MetricsSpec,
    pub record: RecordSpec,
    /// The see-saw diagnostics of SPEC §7 (off unless asked for).
    pub diagnostics: DiagnosticsSpec,
    pub seed: u64,
    /// Recursive training (SPEC §10): present only in a generations run (`collapse-lab
    /// generations`, the page's Generations view), which trains generation after generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recursion: Option<RecursionSpec>,
    /// The grid of the `painted` data set (and of no other).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub painted: Option<crate::data::Painted>,
    /// The file of the `csv` data set (and of no other): named by its fingerprint, rows and
    /// dimension; its points are attached where the file is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<crate::data::CsvSet>,
}

/// One chain of recursive training (SPEC §10): generation 0 trains on `gen_size` points of the
/// data; generation i+1 on `gen_size` points of which a fraction `fresh` are fresh data and the
/// rest samples of generation i drawn by `sampler`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecursionSpec {
    /// The fresh-data fraction a in [0, 1].
    pub fresh: f64,
    /// The sampler that draws each generation's samples (the next training set's synthetic part).
    pub sampler: SamplerKind,
    /// Generations after generation 0: N trains N + 1 nets, generations 0..=N.
    pub generations: usize,
    /// Training-set size of every generation, and the samples each generation draws (its
    /// histogram uses them all; the next training set takes the first (1 - a) of them).
    pub gen_size: usize,
    /// Generation i+1 starts from generation i's weights (the paper: afresh, the default).
    pub warm_start: bool,
    /// Bins per axis of the fixed histogram of the first two coordinates.
    pub hist_bins: usize,
    /// Bins where the data has less mass than this are merged into one "rest" bin (with
    /// everything outside the histogram's range), and every denominator of chi^2 and KL is
    /// at least this.
    pub hist_floor: f64,
    /// Samples per generation kept in the result for the scatter views (first two coordinates;
    /// at most gen_size of course).
    pub shown: usize,
}

impl Default for RecursionSpec {
    fn default() -> Self {
        RecursionSpec {
            fresh: 0.5,
            sampler: SamplerKind::Sde,
            generations: 20,
            gen_size: 10_000,
            warm_start: false,
            hist_bins: 20,
            hist_floor: 1e-3,
            shown: 500,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSpec {
    /// Hidden layers.
    pub depth: usize,
    pub width: usize,
    pub activation: Activation,
    pub parameterization: Parameterization,
    /// What the net regresses onto: eps (the paper's), x0 or the path's velocity v
    /// (`diffusion::Target`); samplers read eps_hat back from it.
    #[serde(default, skip_serializing_if = "Target::is_eps")]
    pub target: Target,
    /// EDM's preconditioning (`diffusion::Precond`): `ve` and the x0 target only.
    #[serde(default, skip_serializing_if = "Precond::is_none")]
    pub precond: Precond,
    /// s_d of EDM's preconditioning; None: the training data's standard deviation (the root
    /// mean of its coordinates' variances, [`ExperimentSpec::data_std`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_data: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainingSpec {
    pub iters: u64,
    pub batch: usize,
    pub lr: f32,
    /// Loss is reported (and checked for divergence) every this many steps.
    pub report_every: u64,
    /// The high-noise-only control (SPEC §8): every batch at this t (1 = L(theta, t = 1)).
    pub fixed_t: Option<f64>,
    /// Two-model training (SPEC §8): one net on t < t', one on t >= t', each for `iters`
    /// steps; every sampler and diagnostic asks the net whose range holds t.
    pub two_model: Option<f64>,
    /// How training draws its times (uniform, SPEC §4; or logit-normal).
    #[serde(default, skip_serializing_if = "TimeDist::is_uniform")]
    pub t_dist: TimeDist,
    /// Iterations at which the net is kept and measured too (samplers, TID, diagnostics):
    /// collapse along training from one run. Each a multiple of `report_every`, below `iters`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingSpec {
    pub samplers: Vec<SamplerKind>,
    /// Steps per sampler; a sampler not listed uses its default (SPEC §5). A sampler given
    /// twice in a spec file is refused, as `--steps heun=10,heun=20` is.
    #[serde(deserialize_with = "no_repeated_keys")]
    pub steps: BTreeMap<SamplerKind, usize>,
    /// Samples per sampler; also the size of the training reference set for TID.
    pub n_samples: usize,
    /// Use the exact mixture score instead of training a net (mixtures only).
    pub exact_score: bool,
    /// Langevin signal-to-noise ratio r of `pc` and `ald`.
    pub snr: f64,
    /// Langevin steps per noise level of `pc` and `ald`.
    pub corrector_steps: usize,
    /// End every sampler with one denoising step x <- (x - sigma eps_hat) / alpha at t_eps.
    pub denoise: bool,
    /// A budget of network evaluations per sample for every sampler (its steps follow from
    /// it, over `steps`): samplers compared at equal compute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfe: Option<usize>,
    /// EDM's churn of `edm-sde` (S_churn, S_tmin, S_tmax, S_noise).
    #[serde(default, skip_serializing_if = "Churn::is_default")]
    pub churn: Churn,
    /// The time every sampler starts at, from sigma(t_start) N(0, I) (`None`: the process's end,
    /// t_max, from its prior): on the linear path the eps target's velocity (eps_hat - x) / (1 - t)
    /// multiplies the net's error by 1 / (1 - t), so where the sampler starts sets how much of it
    /// the ODE carries (docs/methods.md, "Why the eps target fails on the linear path").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_start: Option<f64>,
}

/// What every sampler records on the way (SPEC §5): histograms of one coordinate at a grid of
/// t, and the paths of the first few points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordSpec {
    /// The coordinate (0-based) whose marginal is recorded.
    pub coordinate: usize,
    pub bins: usize,
    /// Times in [0, 1] at which the marginal is recorded (0 = the final samples).
    pub times: Vec<f64>,
    /// How many points' whole trajectories are kept.
    pub trajectories: usize,
}

/// The see-saw diagnostics (SPEC §7): velocity MAE and DSM loss at fixed t on a fresh draw of
/// the data, the velocity-error correlation along each sampler's trajectories, and the
/// velocity field on a grid of (x[0], t).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiagnosticsSpec {
    pub enabled: bool,
    /// Size of the fresh draw x_0 (and eps) behind MAE(t) and DSM(t).
    pub points: usize,
    /// The fixed times of MAE(t) and DSM(t).
    pub times: Vec<f64>,
    /// Trajectories (the first points of the shared initial noise) whose velocity error is
    /// followed along t.
    pub trajectories: usize,
}

impl Default for DiagnosticsSpec {
    fn default() -> Self {
        DiagnosticsSpec { enabled: false, points: 20_000, times: vec![1.0, 0.1], trajectories: 512 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSpec {
    /// Radii e of the TID curve.
    pub eps: Vec<f64>,
    /// Hill's k; null means k = N (the paper's choice).
    pub k: Option<usize>,
    /// Independent draws of the training reference set: TID is reported for the first, its
    /// spread (std) over all of them, and a data-vs-data TID of each gives the noise floor.
    pub repeats: usize,
    /// Radius of the survival-function plot P(n > x).
    pub survival_eps: f64,
    /// TID's robustness: Hill's k values over which TID is also measured at every radius
    /// (a k x e grid per sampler and for the data-vs-data floor); empty: not measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub k_grid: Vec<usize>,
}

impl Default for ExperimentSpec {
    fn default() -> Self {
        ExperimentSpec {
            dataset: Dataset::Chessboard,
            data_size: None,
            dim: 10,
            mixture_sd: None,
            process: ProcessKind::Vp,
            model: ModelSpec::default(),
            training: TrainingSpec::default(),
            sampling: SamplingSpec::default(),
            metrics: MetricsSpec::default(),
            record: RecordSpec::default(),
            diagnostics: DiagnosticsSpec::default(),
            seed: 0,
            recursion: None,
            painted: None,
            csv: None,
        }
    }
}

impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec {
            depth: 3,
            width: 100,
            activation: Activation::Tanh,
            parameterization: Parameterization::Plain,
            target: Target::Eps,
            precond: Precond::None,
            sigma_data: None,
        }
    }
}

impl Default for TrainingSpec {
    fn default() -> Self {
        TrainingSpec {
            iters: 10_000,
            batch: 2000,
            lr: 5e-3,
            report_every: 100,
            fixed_t: None,
            two_model: None,
            t_dist: TimeDist::Uniform,
            checkpoints: Vec::new(),
        }
    }
}

impl Default for SamplingSpec {
    fn default() -> Self {
        SamplingSpec {
            samplers: vec![SamplerKind::Ode, SamplerKind::Sde],
            steps: BTreeMap::new(),
            n_samples: 2000,
            exact_score: false,
            snr: SamplerSettings::default().snr,
            corrector_steps: SamplerSettings::default().corrector_steps,
            denoise: false,
            nfe: None,
            churn: Churn::default(),
            t_start: None,
        }
    }
}

impl SamplingSpec {
    pub fn settings(&self) -> SamplerSettings {
        SamplerSettings { snr: self.snr, corrector_steps: self.corrector_steps, churn: self.churn }
    }
}

impl Default for RecordSpec {
    fn default() -> Self {
        // Every 0.02 from 1 to 0: includes the paper's marginals at 0.8, 0.6, 0.4 and 0.
        RecordSpec { coordinate: 0, bins: 120, times: (0..=50).rev().map(|i| i as f64 / 50.0).collect(), trajectories: 64 }
    }
}

impl Default for MetricsSpec {
    fn default() -> Self {
        MetricsSpec { eps: vec![0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2], k: None, repeats: 5, survival_eps: 0.05, k_grid: Vec::new() }
    }
}

/// A spec field that is out of range, named by its JSON path.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for SpecError {}

fn err<T>(field: &str, message: String) -> Result<T, SpecError> {
    Err(SpecError { field: field.into(), message })
}

fn in_range<T: PartialOrd + fmt::Display + Copy>(field: &str, v: T, lo: T, hi: T) -> Result<(), SpecError> {
    if v >= lo && v <= hi { Ok(()) } else { err(field, format!("must be in {lo}..={hi}, got {}", shown(v))) }
}

/// A number as a message shows it: as Rust prints it, but in exponent form where that would
/// run past 24 characters (a float prints every digit: 1e308 is 309 of them, 1e-30 is
/// "0.000...1"; issue 55). An integer of up to 20 digits is shown whole.
pub fn shown<T: fmt::Display>(v: T) -> String {
    let text = v.to_string();
    match text.parse::<f64>() {
        Ok(x) if text.len() > 24 && x.is_finite() => format!("{x:e}"),
        _ => text,
    }
}

/// A list whose values are each given once (`eps`, `record.times`, `diagnostics.times`): a
/// value given twice would be measured twice (issue 55), so it is refused by name, as the k
/// grid's, the samplers' and a study's axes' are.
pub(crate) fn once(field: &str, values: &[f64], what: &str, why: &str) -> Result<(), SpecError> {
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return err(field, format!("{what} {v} is given twice ({why}); give it once"));
        }
    }
    Ok(())
}

/// Upper bounds that keep one run inside a browser tab's memory and a sane time.
pub mod limits {
    pub const DATA_SIZE: (usize, usize) = (100, 5_000_000);
    pub const DIM: (usize, usize) = (1, 64);
    pub const DEPTH: (usize, usize) = (1, 8);
    pub const WIDTH: (usize, usize) = (1, 1024);
    pub const ITERS: (u64, u64) = (1, 1_000_000);
    pub const BATCH: (usize, usize) = (1, 65_536);
    pub const LR: (f32, f32) = (1e-7, 1.0);
    pub const REPORT_EVERY: (u64, u64) = (1, 100_000);
    pub const N_SAMPLES: (usize, usize) = (10, 1_000_000);
    pub const STEPS: (usize, usize) = (1, 100_000);
    pub const EPS: (f64, f64) = (1e-6, 100.0);
    pub const EPS_COUNT: usize = 64;
    pub const REPEATS: (usize, usize) = (1, 100);
    pub const SNR: (f64, f64) = (1e-4, 10.0);
    pub const CORRECTOR_STEPS: (usize, usize) = (1, 100);
    /// Values of Hill's k in TID's robustness grid.
    pub const K_GRID: usize = 12;
    /// Checkpoints along one run's training (each is sampled and measured like the run).
    pub const CHECKPOINTS: usize = 12;
    pub const BINS: (usize, usize) = (2, 1000);
    pub const RECORD_TIMES: usize = 201;
    /// At most one sample block's worth of trajectories.
    pub const TRAJECTORIES: (usize, usize) = (0, crate::sample::BLOCK);
    /// Floats of one sampler's recorded trajectories.
    pub const TRAJECTORY_FLOATS: usize = 20_000_000;
    /// Floats held by the training set or by one sample set.
    pub const FLOATS: usize = 50_000_000;
    pub const DIAG_POINTS: (usize, usize) = (100, 1_000_000);
    pub const DIAG_TIMES: usize = 64;
    pub const GENERATIONS: (usize, usize) = (1, 100);
    pub const GEN_SIZE: (usize, usize) = (100, 1_000_000);
    pub const HIST_BINS: (usize, usize) = (2, 100);
    pub const HIST_FLOOR: (f64, f64) = (1e-6, 0.1);
    pub const SHOWN: (usize, usize) = (0, 5000);
}

impl ExperimentSpec {
    pub fn data_size(&self) -> usize {
        match (&self.dataset, &self.csv) {
            (Dataset::Csv, Some(c)) => self.data_size.unwrap_or(c.rows),
            _ => self.data_size.unwrap_or_else(|| self.dataset.default_size()),
        }
    }

    pub fn data_dim(&self) -> usize {
        match (&self.dataset, &self.csv) {
            (Dataset::Csv, Some(c)) => c.dim,
            _ => self.dataset.dim(self.dim),
        }
    }

    /// Whether this is a single run's spec: one of many generations (`recursion`) runs with
    /// `collapse-lab generations` or the page's Generations button, not as a run or study.
    pub fn check_single_run(&self) -> Result<(), SpecError> {
        match self.recursion {
            Some(_) => Err(SpecError {
                field: "recursion".into(),
                message: "this spec is a run of many generations (it sets fresh, generations, ...): run it with `collapse-lab generations` or the page's Generations button".into(),
            }),
            None => Ok(()),
        }
    }

    /// Whether the data can be drawn: a CSV set's points must be attached (a spec from a link
    /// or a JSON file names its file only). Every run checks this before it starts.
    pub fn check_data(&self) -> Result<(), SpecError> {
        match (&self.dataset, &self.csv) {
            (Dataset::Csv, Some(c)) => c.points().map(|_| ()).map_err(|m| SpecError { field: "csv".into(), message: m }),
            _ => Ok(()),
        }
    }

    /// `n` points of the data set with the data stream of the seed (the training set). A CSV
    /// set's training set is its file's rows, all of them (`n` is its rows: `validate`).
    pub fn data(&self, n: usize) -> crate::points::Points {
        if let (Dataset::Csv, Some(c)) = (&self.dataset, &self.csv) {
            return (**c.points().expect("check_data")).clone();
        }
        self.data_from(n, &mut crate::rng::stream(self.seed, crate::rng::Stream::Data, 0))
    }

    /// s_d of EDM's preconditioning: `model.sigma_data` where given, else the training set's
    /// standard deviation, the root mean of its coordinates' variances (0.5 in EDM's images).
    /// A run resolves it once, from the data it already holds ([`ExperimentSpec::with_sigma_data`]);
    /// this draws the training set again.
    pub fn data_std(&self) -> f64 {
        self.model.sigma_data.unwrap_or_else(|| points_std(&self.data(self.data_size())))
    }

    /// This spec with EDM's s_d resolved from `data` (the run's training set), when it uses
    /// the preconditioning without `model.sigma_data`; None when nothing is to resolve. A run
    /// builds its nets (engines, checkpoints, helpers) from the resolved spec and reports the
    /// spec as given.
    /// Data with no spread (identical rows) is refused here, naming `--sigma-data`: EDM's
    /// preconditioning divides by s_d.
    pub fn with_sigma_data(&self, data: &crate::points::Points) -> Result<Option<ExperimentSpec>, SpecError> {
        if self.model.precond.is_none() || self.model.sigma_data.is_some() {
            return Ok(None);
        }
        let sd = points_std(data);
        if !(sd.is_finite() && sd >= SIGMA_DATA_MIN) {
            return Err(SpecError {
                field: "model.sigma_data".into(),
                message: format!(
                    "the training data has no spread (standard deviation {sd:e}), and EDM's preconditioning divides by it: give --sigma-data, or train without --precond edm"
                ),
            });
        }
        let mut s = self.clone();
        s.model.sigma_data = Some(sd);
        Ok(Some(s))
    }

    /// `n` points of the data set from the given stream (fresh draws: references, diagnostics,
    /// generations' fresh data). A painted set is drawn from its grid, a CSV set's rows with
    /// replacement.
    pub fn data_from(&self, n: usize, r: &mut rand::rngs::StdRng) -> crate::points::Points {
        match (&self.dataset, &self.painted, &self.csv) {
            (Dataset::Painted, Some(p), _) => p.sample_from(n, r),
            (Dataset::Csv, _, Some(c)) => c.sample_from(n, r),
            _ => match self.mixture() {
                Some(m) => m.sample(n, r),
                None => self.dataset.generate_from(n, self.dim, r),
            },
        }
    }

    /// The exact mixture behind the data set, where there is one, with `mixture_sd` where given.
    pub fn mixture(&self) -> Option<crate::data::GaussianMixture> {
        self.dataset.mixture(self.dim).map(|mut m| {
            if let Some(sd) = self.mixture_sd {
                m.stds.iter_mut().for_each(|s| *s = sd);
            }
            m
        })
    }

    /// The same experiment written one way: step counts only for the samplers that run and
    /// only where they differ from the default. The page's form names every sampler's steps,
    /// the CLI only the ones given; both give one canonical spec (for the PyTorch script, and
    /// as the key of a stored run, which tells whether a shipped run is the form's).
    pub fn canonical(&self) -> ExperimentSpec {
        let mut s = self.clone();
        let samplers = s.sampling.samplers.clone();
        s.sampling.steps.retain(|k, v| samplers.contains(k) && *v != k.default_steps() && s.sampling.nfe.is_none());
        s
    }

    /// A sampler's steps: from the evaluation budget `nfe` where one is set (the most steps
    /// whose evaluations fit in it), else as given, else its default.
    pub fn steps(&self, kind: SamplerKind) -> usize {
        match self.sampling.nfe {
            Some(budget) => (budget / kind.evaluations(1, &self.sampling.settings())).max(1),
            None => self.sampling.steps.get(&kind).copied().unwrap_or_else(|| kind.default_steps()),
        }
    }

    /// The nets an experiment trains, each with the time range it sees (SPEC §4, §8): one net
    /// on [t_eps, t_max]; one at a fixed t; or two split at t'.
    pub fn nets(&self) -> Vec<(f64, f64)> {
        let (lo, hi) = (crate::diffusion::T_EPS, crate::diffusion::Process::t_max(&self.process));
        match (self.training.fixed_t, self.training.two_model) {
            (Some(t), _) => vec![(t, t)],
            (None, Some(split)) => vec![(lo, split), (split, hi)],
            (None, None) => vec![(lo, hi)],
        }
    }

    /// Parses and validates a JSON spec; unknown fields are errors, missing ones take defaults.
    pub fn from_json(text: &str) -> Result<ExperimentSpec, SpecError> {
        let spec: ExperimentSpec = parse_object(text, "a spec").map_err(|m| SpecError { field: "spec".into(), message: m })?;
        spec.validate()?;
        Ok(spec)
    }
}

/// A map whose JSON object names a key twice is refused (serde's maps keep the last value).
fn no_repeated_keys<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: serde::Deserialize<'de> + Ord + Serialize,
    V: serde::Deserialize<'de>,
{
    struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K: serde::Deserialize<'de> + Ord + Serialize, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<K, V> {
        type Value = BTreeMap<K, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of named values")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = m.next_entry::<K, V>()? {
                if out.contains_key(&k) {
                    return Err(serde::de::Error::custom(format!("{} is given twice; give it once", serde_json::to_string(&k).unwrap_or_default())));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Visit(std::marker::PhantomData))
}

/// Reads a JSON object of named fields into `T` straight from the text: a key given twice is
/// refused (`{"model": .., "model": ..}`; parsing through `serde_json::Value` would let the last
/// win), and a type error names its field's path (`model.width: invalid type: string "16",
/// expected usize at line 1 column 25`). An array of values by position, which serde would
/// also take, is refused: nobody means it.
pub fn parse_object<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    // A byte-order mark (an editor's UTF-8 "with BOM") is not part of the text, as the CSV
    // reader also skips it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(e) => e.to_string(),
            Ok(_) => format!("{what} must be a JSON object of named fields"),
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() { inner.to_string() } else { format!("{path}: {inner}") }
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

impl ExperimentSpec {}

/// The smallest s_d EDM's preconditioning takes: below it c_out and c_in blow up (issue 41 #7).
pub const SIGMA_DATA_MIN: f64 = 1e-6;

/// The standard deviation of a set of points: the root mean of its coordinates' variances.
pub fn points_std(p: &crate::points::Points) -> f64 {
    let (n, d) = (p.len() as f64, p.dim);
    let mut var = 0.0;
    for k in 0..d {
        let col = p.data.iter().skip(k).step_by(d).map(|&v| v as f64);
        let mean = col.clone().sum::<f64>() / n;
        var += col.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    }
    (var / d as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_file_refuses_a_key_twice_and_names_the_field_of_a_type_error() {
        let e = ExperimentSpec::from_json(r#"{"model": {"width": 8}, "model": {"depth": 1}}"#).unwrap_err();
        assert!(e.message.contains("duplicate field `model`"), "{e}");
        let e = ExperimentSpec::from_json(r#"{"model": {"width": "16"}}"#).unwrap_err();
        assert!(e.message.starts_with("model.width: invalid type: string \"16\""), "{e}");
        let e = ExperimentSpec::from_json(r#"{"training": {"iters": 1e3}}"#).unwrap_err();
        assert!(e.message.starts_with("training.iters: invalid type: floating point"), "{e}");
        assert!(ExperimentSpec::from_json("[1, 2]").unwrap_err().message.contains("a spec must be a JSON object of named fields"));
        // A map's key twice too (issue 41 #11): the steps of one sampler.
        let e = ExperimentSpec::from_json(r#"{"sampling": {"samplers": ["heun"], "steps": {"heun": 10, "heun": 20}}}"#).unwrap_err();
        assert!(e.message.starts_with("sampling.steps: \"heun\" is given twice"), "{e}");
        assert!(ExperimentSpec::from_json(r#"{"seed": 3} x"#).is_err(), "trailing text accepted");
        assert_eq!(ExperimentSpec::from_json(r#"{"seed": 3}"#).unwrap().seed, 3);
    }

    #[test]
    fn steps_named_for_idle_samplers_or_at_their_defaults_are_the_same_run() {
        let a = ExperimentSpec::default();
        let mut b = a.clone();
        for k in SamplerKind::ALL {
            b.sampling.steps.insert(k, k.default_steps());
        }
        b.sampling.steps.insert(SamplerKind::Pc, 7); // pc does not run
        assert_ne!(a, b);
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(b.canonical(), a);
        b.sampling.steps.insert(SamplerKind::Sde, 500);
        assert_ne!(a.canonical(), b.canonical(), "a running sampler's steps count");
        assert_eq!(b.canonical().sampling.steps.into_iter().collect::<Vec<_>>(), vec![(SamplerKind::Sde, 500)]);
    }

    #[test]
    fn an_evaluation_budget_sets_every_samplers_steps_at_equal_compute() {
        let mut s = ExperimentSpec::default();
        s.sampling.samplers = SamplerKind::ALL.to_vec();
        s.sampling.corrector_steps = 2;
        s.sampling.steps.insert(SamplerKind::Ode, 7);
        s.sampling.nfe = Some(120);
        s.validate().unwrap();
        for k in SamplerKind::ALL {
            let (steps, used) = (s.steps(k), k.evaluations(s.steps(k), &s.sampling.settings()));
            assert!(used <= 120 && used + k.evaluations(1, &s.sampling.settings()) > 120, "{k:?}: {steps} steps use {used} of 120");
        }
        assert_eq!([s.steps(SamplerKind::Ode), s.steps(SamplerKind::Heun), s.steps(SamplerKind::Pc), s.steps(SamplerKind::Ald)], [120, 60, 40, 60]);
        // The budget decides: steps given beside it are not part of the run.
        let mut t = s.clone();
        t.sampling.steps.clear();
        assert_eq!(s.canonical(), t.canonical());
        s.sampling.nfe = Some(2);
        let e = s.validate().unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("sampling.nfe", "2 evaluations are fewer than one step of pc (3)"));
        // A generations run is checked against its loop's sampler, not `samplers` (issue 41 #4).
        let mut g = ExperimentSpec { recursion: Some(RecursionSpec { sampler: SamplerKind::Heun, ..Default::default() }), ..Default::default() };
        g.sampling.samplers = vec![SamplerKind::Ode];
        g.sampling.nfe = Some(1);
        let e = g.validate().unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("sampling.nfe", "1 evaluations are fewer than one step of heun (2)"));
        g.recursion = Some(RecursionSpec { sampler: SamplerKind::Ode, ..Default::default() });
        g.sampling.samplers = vec![SamplerKind::Pc];
        g.validate().unwrap();
    }

    #[test]
    fn defaults_are_the_papers_2d_setting_and_valid() {
        let s = ExperimentSpec::default();
        s.validate().unwrap();
        assert_eq!(s.dataset, Dataset::Chessboard);
        assert_eq!(s.data_size(), 500_000);
        assert_eq!((s.model.depth, s.model.width, s.model.activation), (3, 100, Activation::Tanh));
        assert_eq!((s.training.iters, s.training.batch, s.training.lr), (10_000, 2000, 5e-3));
        assert_eq!((s.steps(SamplerKind::Ode), s.steps(SamplerKind::Sde)), (100, 1000));
        assert_eq!(s.sampling.n_samples, 2000);
    }

    #[test]
    fn json_round_trip_and_partial_specs() {
        let s = ExperimentSpec::default();
        let back = ExperimentSpec::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(s, back);
        let p = ExperimentSpec::from_json(r#"{"dataset":"mog","training":{"iters":50},"sampling":{"steps":{"ode":20}}}"#).unwrap();
        assert_eq!(p.dataset, Dataset::Mog);
        assert_eq!(p.training.iters, 50);
        assert_eq!(p.training.batch, 2000);
        assert_eq!(p.steps(SamplerKind::Ode), 20);
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (r#"{"model":{"width":0}}"#, "model.width"),
            (r#"{"training":{"lr":-1}}"#, "training.lr"),
            (r#"{"metrics":{"eps":[]}}"#, "metrics.eps"),
            (r#"{"metrics":{"eps":[0.1, 1e9]}}"#, "metrics.eps"),
            (r#"{"sampling":{"n_samples":600000}}"#, "sampling.n_samples"),
            (r#"{"sampling":{"samplers":["ode","ode"]}}"#, "sampling.samplers"),
            (r#"{"sampling":{"exact_score":true}}"#, "sampling.exact_score"),
            (r#"{"dataset":"mog-nd","dim":0}"#, "dim"),
            (r#"{"data_size":100000000}"#, "data_size"),
            (r#"{"widht":3}"#, "spec"),
            (r#"{"dataset":"moon"}"#, "spec"),
        ];
        for (json, field) in cases {
            let e = ExperimentSpec::from_json(json).unwrap_err();
            assert_eq!(e.field, field, "{json}: {e}");
        }
    }
}
