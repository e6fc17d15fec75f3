//! The validation of an [`ExperimentSpec`], one function per part of the spec (the data, the
//! model, training, sampling, metrics, recordings, diagnostics, recursion); a check that joins
//! two parts sits with the part its field names. Every refusal names its field.

use super::{ExperimentSpec, SIGMA_DATA_MIN, SpecError, err, in_range, limits, once, shown};
use crate::data::Dataset;
use crate::diffusion::{Precond, ProcessKind, Target, TimeDist};
use crate::nn::Parameterization;

/// The largest seed: 2^53 − 1.
pub const MAX_SEED: u64 = (1 << 53) - 1;

impl ExperimentSpec {
    /// Checks every field against its range and the fields against each other, part by part.
    pub fn validate(&self) -> Result<(), SpecError> {
        // One rule for the CLI and the page: a browser's numbers hold integers exactly up to
        // 2^53 − 1, so a larger seed could not travel through a link and come back the same.
        if self.seed > MAX_SEED {
            return err(
                "seed",
                format!(
                    "at most {MAX_SEED} (2^53 − 1, the largest integer a browser holds exactly, so the same link gives the same run everywhere); got {}",
                    self.seed
                ),
            );
        }
        self.validate_data()?;
        self.validate_model()?;
        self.validate_training()?;
        self.validate_sampling()?;
        self.validate_metrics()?;
        self.validate_record()?;
        self.validate_diagnostics()?;
        self.validate_recursion()
    }

    /// The data set: a painted grid or a CSV file where (and only where) the set needs one, the
    /// dimension, the size.
    fn validate_data(&self) -> Result<(), SpecError> {
        use limits::*;
        let d = self.data_dim();
        if let Some(sd) = self.mixture_sd {
            if self.dataset.mixture(self.dim).is_none() {
                return err("mixture_sd", format!("only the mixtures (mog, mog1d, mog-nd) have a component sd; the data set is {}", self.dataset.name()));
            }
            if !(sd.is_finite() && (0.001..=10.0).contains(&sd)) {
                return err("mixture_sd", format!("must be a number in 0.001..=10 (the mixtures' means are 1 to 2 apart from the origin), got {}", shown(sd)));
            }
        }
        match (&self.dataset, &self.painted) {
            (Dataset::Painted, None) => {
                return err("painted", "the painted data set needs its grid: paint one in the page, or give painted=SIDE:DIGITS".into());
            }
            (Dataset::Painted, Some(p)) => p.check().map_err(|m| SpecError { field: "painted".into(), message: m })?,
            (_, Some(_)) => return err("painted", format!("only the painted data set reads a painted grid; the data set is {}", self.dataset.name())),
            _ => {}
        }
        match (&self.dataset, &self.csv) {
            (Dataset::Csv, None) => return err("csv", "the csv data set needs its file: load it (the page's Load CSV, or --data-csv FILE)".into()),
            (Dataset::Csv, Some(c)) => {
                c.check().map_err(|m| SpecError { field: "csv".into(), message: m })?;
                // The reader stops at CSV_MAX_ROWS: that, not DATA_SIZE's bound, is a file's limit.
                let most = DATA_SIZE.1.min(crate::points::CSV_MAX_ROWS);
                if !(DATA_SIZE.0..=most).contains(&c.rows) || !(DIM.0..=DIM.1).contains(&c.dim) {
                    return err("csv", format!("a CSV set has {}..={most} rows of {}..={} values, got {} x {}", DATA_SIZE.0, DIM.0, DIM.1, c.rows, c.dim));
                }
                if let Some(n) = self.data_size.filter(|&n| n != c.rows) {
                    return err("data_size", format!("a CSV set trains on all of its file's {} rows, got {n}; leave data_size unset", c.rows));
                }
                if self.recursion.is_some() {
                    return err("csv", "generations need fresh draws of the data set each generation; a CSV file has only its rows".into());
                }
                // TID's floor holds n rows out of the references (module data::csv_set).
                if self.sampling.n_samples * 2 > c.rows {
                    return err(
                        "sampling.n_samples",
                        format!(
                            "must be at most half the CSV's {} rows ({}): TID's floor compares n held-out rows with references drawn from the others",
                            c.rows,
                            c.rows / 2
                        ),
                    );
                }
            }
            (_, Some(_)) => return err("csv", format!("only the csv data set reads a CSV file; the data set is {}", self.dataset.name())),
            _ => {}
        }
        if self.dataset == Dataset::MogNd {
            in_range("dim", self.dim, DIM.0, DIM.1)?;
        }
        in_range("data_size", self.data_size(), DATA_SIZE.0, DATA_SIZE.1)?;
        if self.data_size() * d > FLOATS {
            return err("data_size", format!("data_size x dimension must be at most {FLOATS}"));
        }
        Ok(())
    }

    /// The net: depth and width, EDM's preconditioning and its s_d, the target against the
    /// parameterization.
    fn validate_model(&self) -> Result<(), SpecError> {
        use limits::*;
        in_range("model.depth", self.model.depth, DEPTH.0, DEPTH.1)?;
        if self.model.precond == Precond::Edm {
            if self.process != ProcessKind::Ve {
                return err(
                    "model.precond",
                    format!("EDM's preconditioning is defined for the ve process (x = x_0 + sigma n); the process is {}", self.process.name()),
                );
            }
            if self.model.target != Target::X0 {
                return err("model.precond", format!("EDM's preconditioning wraps the denoiser: it needs target x0, not {}", self.model.target.name()));
            }
        } else if self.model.sigma_data.is_some() {
            return err("model.sigma_data", "s_d belongs to EDM's preconditioning: set precond edm, or leave sigma-data unset".into());
        }
        if let Some(s) = self.model.sigma_data
            && !(s.is_finite() && (SIGMA_DATA_MIN..=100.0).contains(&s))
        {
            let got = if s != 0.0 && s.is_finite() && (s.abs() < 1e-3 || s.abs() >= 1e6) { format!("{s:e}") } else { format!("{s}") };
            return err(
                "model.sigma_data",
                format!("must be a standard deviation in {SIGMA_DATA_MIN:e}..=100 (EDM's preconditioning divides by it), got {got}"),
            );
        }
        // The v target is the velocity of the path, y = d x_t / dt = alpha' x_0 + sigma' eps
        // (module diffusion::target). On ve (alpha = 1) that is sigma'(t) eps: eps scaled by
        // d sigma / dt, which runs from 0.05 at t_eps to 437 at t = 1: the plain squared loss of
        // a net that outputs zero averages about 1.9e4 per coordinate, ruled by the largest
        // times, and the net does not train (loss ~3e4 in 2-D, "did not converge"). Where sigma
        // stays at most 1 (vp, sub-vp, linear) the velocity is of order one.
        if self.model.target == Target::V && self.process == ProcessKind::Ve {
            return err(
                "model.target",
                "the v target on the ve process is sigma'(t) eps (alpha = 1: the path's velocity is eps scaled by d sigma/dt, 0.05 at t_eps to 437 at t = 1), whose squared loss (about 1.9e4 per coordinate) is ruled by the largest times and does not train; use target eps, or x0 with precond edm, on ve, or v on the linear, vp or sub-vp process".into(),
            );
        }
        if !self.model.target.is_eps() && self.model.parameterization != Parameterization::Plain {
            return err(
                "model.target",
                format!(
                    "the {} target reads eps back through its own fixed output (eps = c1 x + c2 N); it needs the plain parameterization, not {}",
                    self.model.target.name(),
                    self.model.parameterization.name()
                ),
            );
        }
        in_range("model.width", self.model.width, WIDTH.0, WIDTH.1)?;
        Ok(())
    }

    /// Training: steps, batch, learning rate, the time distribution, fixed t, checkpoints, the
    /// two-net split.
    fn validate_training(&self) -> Result<(), SpecError> {
        use limits::*;
        let t_max = crate::diffusion::Process::t_max(&self.process);
        let t_eps = crate::diffusion::T_EPS;
        if self.training.t_dist == TimeDist::LogNormal && self.process != ProcessKind::Ve {
            return err(
                "training.t_dist",
                format!("EDM's lognormal draws ln sigma ~ N(-1.2, 1.2^2) on the ve process's sigma; the process is {}", self.process.name()),
            );
        }
        in_range("training.iters", self.training.iters, ITERS.0, ITERS.1)?;
        in_range("training.batch", self.training.batch, BATCH.0, BATCH.1)?;
        if !self.training.lr.is_finite() {
            return err("training.lr", format!("must be a finite number in {}..={}", LR.0, LR.1));
        }
        in_range("training.lr", self.training.lr, LR.0, LR.1)?;
        in_range("training.report_every", self.training.report_every, REPORT_EVERY.0, REPORT_EVERY.1)?;
        if let Some(t) = self.training.fixed_t
            && !(t.is_finite() && t >= t_eps && t <= t_max)
        {
            return err("training.fixed_t", format!("must be a time in {t_eps}..={t_max} (or none), got {t}"));
        }
        let c = &self.training.checkpoints;
        if !c.is_empty() {
            let every = self.training.report_every;
            if c.len() > CHECKPOINTS {
                return err("training.checkpoints", format!("give at most {CHECKPOINTS} checkpoints"));
            }
            if let Some(&k) = c.iter().find(|&&k| k == 0 || k >= self.training.iters || k % every != 0) {
                return err(
                    "training.checkpoints",
                    format!("each checkpoint must be a multiple of report-every ({every}) below iters ({}), got {k}", self.training.iters),
                );
            }
            if c.windows(2).any(|w| w[0] >= w[1]) {
                return err("training.checkpoints", "list the checkpoints in increasing order, each once".into());
            }
            if self.sampling.exact_score {
                return err("training.checkpoints", "the exact score is not trained: there is nothing to keep along training".into());
            }
        }
        if let Some(t) = self.training.two_model {
            if !(t.is_finite() && t > t_eps && t < t_max) {
                return err("training.two_model", format!("the split t' must lie strictly inside ({t_eps}, {t_max}) (or none), got {t}"));
            }
            if self.training.fixed_t.is_some() {
                return err("training.two_model", "two-model training and fixed-t training exclude each other; set one to none".into());
            }
        }
        Ok(())
    }

    /// Sampling: the samplers, their steps and budget, the sample count, the exact score, EDM's
    /// churn, the corrector.
    fn validate_sampling(&self) -> Result<(), SpecError> {
        use limits::*;
        let d = self.data_dim();
        let c = &self.sampling.churn;
        for (name, v, lo, hi) in
            [("churn", c.churn, 0.0, 1e6), ("s_tmin", c.s_tmin, 0.0, 1e6), ("s_tmax", c.s_tmax, 0.0, 1e6), ("s_noise", c.s_noise, 0.0, 10.0)]
        {
            if !(v.is_finite() && v >= lo && v <= hi) {
                return err(&format!("sampling.churn.{name}"), format!("must be a number in {lo}..={hi}, got {v}"));
            }
        }
        // EDM's churn acts for t in [s_tmin, s_tmax]: an empty range would quietly make
        // edm-sde Heun's deterministic sampler.
        if c.s_tmin > c.s_tmax {
            return err("sampling.churn.s_tmin", format!("must not exceed s_tmax ({}): the churn acts for t in [s_tmin, s_tmax], got {}", c.s_tmax, c.s_tmin));
        }
        if let Some(t) = self.sampling.t_start {
            let t_max = crate::diffusion::Process::t_max(&self.process);
            let t_eps = crate::diffusion::T_EPS;
            if !(t.is_finite() && t > t_eps && t <= t_max) {
                return err(
                    "sampling.t_start",
                    format!("must be a time in ({t_eps}, {t_max}] (the {} process's end), or none, got {}", self.process.name(), shown(t)),
                );
            }
        }
        if self.sampling.samplers.is_empty() {
            return err("sampling.samplers", "choose at least one sampler".into());
        }
        for (i, s) in self.sampling.samplers.iter().enumerate() {
            if self.sampling.samplers[..i].contains(s) {
                return err("sampling.samplers", format!("{} is listed twice", s.name()));
            }
        }
        for (k, &v) in &self.sampling.steps {
            in_range(&format!("sampling.steps.{}", k.name()), v, STEPS.0, STEPS.1)?;
        }
        if let Some(budget) = self.sampling.nfe {
            in_range("sampling.nfe", budget, 1, STEPS.1)?;
            // A generations run samples with its loop's sampler only: the budget is checked
            // against that one, not against `samplers` (which the loop never uses).
            let checked: Vec<crate::sample::SamplerKind> = match &self.recursion {
                Some(rec) => vec![rec.sampler],
                None => self.sampling.samplers.clone(),
            };
            for &k in &checked {
                let per = k.evaluations(1, &self.sampling.settings());
                if budget < per {
                    return err("sampling.nfe", format!("{budget} evaluations are fewer than one step of {} ({per})", k.name()));
                }
            }
        }
        in_range("sampling.n_samples", self.sampling.n_samples, N_SAMPLES.0, N_SAMPLES.1)?;
        if self.sampling.n_samples * d > FLOATS {
            return err("sampling.n_samples", format!("n_samples x dimension must be at most {FLOATS}"));
        }
        if self.recursion.is_none() && self.sampling.n_samples > self.data_size() {
            return err("sampling.n_samples", format!("must not exceed data_size ({}): TID's reference set is drawn from the training set", self.data_size()));
        }
        if self.sampling.exact_score && self.mixture().is_none() {
            return err("sampling.exact_score", format!("{} has no exact score; use mog, mog1d or mog-nd", self.dataset.name()));
        }
        if !self.sampling.snr.is_finite() {
            return err("sampling.snr", format!("must be a finite number in {}..={}", SNR.0, SNR.1));
        }
        in_range("sampling.snr", self.sampling.snr, SNR.0, SNR.1)?;
        in_range("sampling.corrector_steps", self.sampling.corrector_steps, CORRECTOR_STEPS.0, CORRECTOR_STEPS.1)?;
        Ok(())
    }

    /// Metrics: the radii, k and its grid, repeats, the survival radius.
    fn validate_metrics(&self) -> Result<(), SpecError> {
        use limits::*;
        if self.metrics.eps.is_empty() || self.metrics.eps.len() > EPS_COUNT {
            return err("metrics.eps", format!("give 1 to {EPS_COUNT} radii"));
        }
        for &e in &self.metrics.eps {
            if !e.is_finite() {
                return err("metrics.eps", format!("every radius must be a finite number in {}..={}", EPS.0, EPS.1));
            }
            in_range("metrics.eps", e, EPS.0, EPS.1)?;
        }
        once("metrics.eps", &self.metrics.eps, "radius", "each radius is one TID")?;
        if self.metrics.k_grid.len() > K_GRID {
            return err("metrics.k_grid", format!("give at most {K_GRID} values of k"));
        }
        for (i, &k) in self.metrics.k_grid.iter().enumerate() {
            in_range("metrics.k_grid", k, 2, self.sampling.n_samples)?;
            if self.metrics.k_grid[..i].contains(&k) {
                return err("metrics.k_grid", format!("k = {k} is given twice (each value is one row of the grid)"));
            }
        }
        if let Some(k) = self.metrics.k {
            in_range("metrics.k", k, 2, self.sampling.n_samples)?;
        }
        in_range("metrics.repeats", self.metrics.repeats, REPEATS.0, REPEATS.1)?;
        if !self.metrics.survival_eps.is_finite() {
            return err("metrics.survival_eps", format!("must be a finite number in {}..={}", EPS.0, EPS.1));
        }
        in_range("metrics.survival_eps", self.metrics.survival_eps, EPS.0, EPS.1)?;
        Ok(())
    }

    /// Recordings: the coordinate, bins, times and trajectories (a trajectory's floats bounded
    /// per sampler).
    fn validate_record(&self) -> Result<(), SpecError> {
        use limits::*;
        let d = self.data_dim();
        let r = &self.record;
        in_range("record.coordinate", r.coordinate, 0, d - 1)?;
        in_range("record.bins", r.bins, BINS.0, BINS.1)?;
        if r.times.is_empty() || r.times.len() > RECORD_TIMES {
            return err("record.times", format!("give 1 to {RECORD_TIMES} times"));
        }
        for &t in &r.times {
            if !(0.0..=1.0).contains(&t) {
                return err("record.times", format!("every time must be in 0..=1, got {t}"));
            }
        }
        once("record.times", &r.times, "time", "each time is one recording")?;
        in_range("record.trajectories", r.trajectories, TRAJECTORIES.0, TRAJECTORIES.1)?;
        for &k in &self.sampling.samplers {
            let floats = (self.steps(k) + 1) * r.trajectories.min(self.sampling.n_samples) * d;
            if floats > TRAJECTORY_FLOATS {
                return err(
                    "record.trajectories",
                    format!("{} steps x {} trajectories x dimension must be at most {TRAJECTORY_FLOATS}", k.name(), r.trajectories),
                );
            }
        }
        Ok(())
    }

    /// The see-saw diagnostics: points, times, trajectories.
    fn validate_diagnostics(&self) -> Result<(), SpecError> {
        use limits::*;
        let d = self.data_dim();
        let t_max = crate::diffusion::Process::t_max(&self.process);
        let t_eps = crate::diffusion::T_EPS;
        let g = &self.diagnostics;
        in_range("diagnostics.points", g.points, DIAG_POINTS.0, DIAG_POINTS.1)?;
        if g.points * d > FLOATS {
            return err("diagnostics.points", format!("points x dimension must be at most {FLOATS}"));
        }
        if g.times.is_empty() || g.times.len() > DIAG_TIMES {
            return err("diagnostics.times", format!("give 1 to {DIAG_TIMES} times"));
        }
        // A time past the process's end (the default 1 on the linear path, whose t_max is
        // 0.999) is measured at that end (experiment::diagnose::times), so the default fits
        // every process.
        for &t in &g.times {
            if !(t.is_finite() && t >= t_eps && t <= 1.0) {
                return err(
                    "diagnostics.times",
                    format!("every time must be in {t_eps}..=1 (one past the process's end, {t_max}, is measured there), got {t}"),
                );
            }
        }
        once("diagnostics.times", &g.times, "time", "each time is one measurement")?;
        in_range("diagnostics.trajectories", g.trajectories, 1, crate::sample::BLOCK)?;
        Ok(())
    }

    /// Recursive training: the fresh fraction, generations, sizes, the histogram; what a
    /// generation does not measure is refused.
    fn validate_recursion(&self) -> Result<(), SpecError> {
        use limits::*;
        let d = self.data_dim();
        if let Some(rec) = &self.recursion {
            if !(rec.fresh.is_finite() && (0.0..=1.0).contains(&rec.fresh)) {
                return err("recursion.fresh", format!("the fresh-data fraction a must be in 0..=1, got {}", rec.fresh));
            }
            in_range("recursion.generations", rec.generations, GENERATIONS.0, GENERATIONS.1)?;
            in_range("recursion.gen_size", rec.gen_size, GEN_SIZE.0, GEN_SIZE.1)?;
            if rec.gen_size * d > FLOATS {
                return err("recursion.gen_size", format!("gen_size x dimension must be at most {FLOATS}"));
            }
            // What a generation does not measure is refused, not ignored (issue 41 #9).
            if !self.training.checkpoints.is_empty() {
                return err("training.checkpoints", "a generations run measures each generation's final nets only; drop the checkpoints (a run of that many iterations is the net at that checkpoint)".into());
            }
            if !self.metrics.k_grid.is_empty() {
                return err("metrics.k_grid", "a generations run measures TID at the spec's k only; drop the k grid (or set metrics.k to one k of it)".into());
            }
            if self.sampling.n_samples > rec.gen_size {
                return err(
                    "sampling.n_samples",
                    format!("must not exceed gen_size ({}): TID is measured on that many of each generation's samples", rec.gen_size),
                );
            }
            in_range("recursion.hist_bins", rec.hist_bins, HIST_BINS.0, HIST_BINS.1)?;
            if !rec.hist_floor.is_finite() {
                return err("recursion.hist_floor", format!("must be a finite number in {}..={}", HIST_FLOOR.0, HIST_FLOOR.1));
            }
            in_range("recursion.hist_floor", rec.hist_floor, HIST_FLOOR.0, HIST_FLOOR.1)?;
            in_range("recursion.shown", rec.shown, SHOWN.0, SHOWN.1)?;
            if self.diagnostics.enabled {
                return err("diagnostics.enabled", "the see-saw diagnostics are not computed per generation; turn them off for a generations run".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod seed_tests {
    use crate::spec::overrides;

    /// A seed past 2^53 − 1 is refused by name (the page could not hold it; issue 55 #7); the
    /// largest one is taken.
    #[test]
    fn a_seed_past_what_a_browser_holds_is_refused_by_name() {
        let e = overrides::from_pairs([("seed", "9007199254740992")]).unwrap_err();
        assert_eq!(e.field, "seed");
        assert!(e.message.contains("2^53"), "{}", e.message);
        assert!(overrides::from_pairs([("seed", "9007199254740991")]).is_ok());
    }
}
