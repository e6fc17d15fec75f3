//! The measuring phase (SPEC §6): TID of every sampler against reference draws of the training
//! set, with its spread over the draws and the data-vs-data noise floor (and, where asked, over
//! a grid of Hill's k and e); the survival functions of the neighbour counts; marginal accuracy.

use super::event::RunError;
use super::sampling::Sampled;
use crate::metrics::reference::TidEntry;
use crate::metrics::reference::{TidGrid, reference_counts, sample_counts, subsample, subsample_indices, tid_grid_of, tid_with_spread_of};
use crate::metrics::{self, SurvivalCurve};
use crate::points::Points;
use crate::rng::{self, Stream};
use crate::spec::{ExperimentSpec, SpecError};
use std::collections::BTreeMap;

/// TID's reference draws (`metrics.repeats` subsamples of the training set, `n_samples` rows
/// each) and the fresh data draw behind its noise floor. A CSV set cannot be drawn afresh: its
/// floor takes `n_samples` rows held out of the references, which are drawn from the other
/// rows, so the two are disjoint rows of the file as two fresh draws would be.
pub fn reference_draws(spec: &ExperimentSpec, data: &Points) -> (Vec<Points>, Points) {
    let n = spec.sampling.n_samples;
    let repeats = spec.metrics.repeats as u64;
    if spec.dataset == crate::data::Dataset::Csv {
        let held = subsample_indices(data.len(), n, spec.seed, NULL_DRAW);
        let mut is_held = vec![false; data.len()];
        for &i in &held {
            is_held[i] = true;
        }
        let rest: Vec<usize> = (0..data.len()).filter(|&i| !is_held[i]).collect();
        let refs = (0..repeats)
            .map(|r| {
                let idx: Vec<usize> = subsample_indices(rest.len(), n, spec.seed, r).into_iter().map(|i| rest[i]).collect();
                data.select(&idx)
            })
            .collect();
        return (refs, data.select(&held));
    }
    let refs = (0..repeats).map(|r| subsample(data, n, spec.seed, r)).collect();
    (refs, spec.data_from(n, &mut rng::stream(spec.seed, Stream::Reference, NULL_DRAW)))
}

/// Reference-stream index of the fresh data draw behind `tid_null` (repeats use 0, 1, ...).
const NULL_DRAW: u64 = rng::reference::NULL;

/// Neighbour counting is quadratic where e covers much of the data: radii that would take hours
/// on the reference set are refused before training.
pub fn check_radii(spec: &ExperimentSpec, reference: &Points) -> Result<(), RunError> {
    for &e in &spec.metrics.eps {
        let pairs = metrics::pair_checks(reference, e);
        if pairs > metrics::MAX_PAIR_CHECKS {
            return Err(RunError::Spec(SpecError {
                field: "metrics.eps".into(),
                message: format!(
                    "counting neighbours within {e} of {} points would compare about {pairs:.1e} pairs (more than {:.0e}, hours of work); choose smaller radii or fewer samples",
                    spec.sampling.n_samples,
                    metrics::MAX_PAIR_CHECKS
                ),
            }));
        }
    }
    Ok(())
}

/// What the measuring phase finds.
pub struct Measured {
    pub tid: BTreeMap<String, Vec<TidEntry>>,
    pub tid_null: Vec<TidEntry>,
    /// TID over Hill's k x e (`metrics.k_grid`) per sampler and for the floor ("data").
    pub tid_grid: BTreeMap<String, TidGrid>,
    pub survival: BTreeMap<String, SurvivalCurve>,
    pub marginal_accuracy: BTreeMap<String, f64>,
    pub marginal_accuracy_null: f64,
}

/// TID (with spread), survival curves and marginal accuracy of every sampler with finite
/// samples, against the reference draws `refs`; `fresh` is the data draw behind the floor.
pub fn measure(spec: &ExperimentSpec, refs: &[Points], fresh: &Points, sampled: &Sampled) -> Measured {
    let (samples, samplers) = (&sampled.samples, &sampled.samplers);
    let (eps, ks, k) = (&spec.metrics.eps, &spec.metrics.k_grid, spec.metrics.k);
    let ref_counts = reference_counts(refs, eps);
    let mut tid = BTreeMap::new();
    let mut grids = BTreeMap::new();
    // Each set's neighbour counts are taken once per radius, for TID and for its k grid.
    // The noise floor: a fresh draw of the data measured against the same references.
    let finite = samples.iter().filter(|(name, _)| samplers[*name].finite).map(|(n, s)| (n.as_str(), s));
    for (name, s) in finite.chain([("data", fresh)]) {
        let counts = sample_counts(s, eps);
        tid.insert(name.to_string(), tid_with_spread_of(&ref_counts, &counts, eps, k));
        if !ks.is_empty() {
            grids.insert(name.to_string(), tid_grid_of(&ref_counts, &counts, eps, ks));
        }
    }
    let tid_null = tid.remove("data").expect("the floor");
    let se = spec.metrics.survival_eps;
    let mut survival = BTreeMap::new();
    survival.insert("data".to_string(), SurvivalCurve::new(&metrics::neighbour_counts(&refs[0], se), se, spec.metrics.k));
    for (name, s) in samples {
        if samplers[name].finite {
            survival.insert(name.clone(), SurvivalCurve::new(&metrics::neighbour_counts(s, se), se, spec.metrics.k));
        }
    }
    let marginal_accuracy = samples.iter().map(|(name, s)| (name.clone(), metrics::marginal_accuracy(s, &refs[0]))).collect();
    let marginal_accuracy_null = metrics::marginal_accuracy(fresh, &refs[0]);
    Measured { tid, tid_null, tid_grid: grids, survival, marginal_accuracy, marginal_accuracy_null }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CsvSet, Dataset};

    /// A CSV set's floor compares rows held out of every reference draw; the references are
    /// distinct rows of the others, and a built-in set's draws are as before.
    #[test]
    fn a_csv_sets_floor_rows_are_held_out_of_every_reference() {
        // Row i is (i, -i): every row can be told by its first value.
        let rows = 1000;
        let data = Points::new(2, (0..rows).flat_map(|i| [i as f32, -(i as f32)]).collect());
        let mut spec = ExperimentSpec { dataset: Dataset::Csv, csv: Some(CsvSet::of(data.clone())), ..Default::default() };
        spec.sampling.n_samples = 400;
        spec.metrics.repeats = 3;
        spec.validate().unwrap();
        spec.check_data().unwrap();
        assert_eq!(spec.data(spec.data_size()), data, "the training set is the file's rows, in order");
        let (refs, fresh) = reference_draws(&spec, &data);
        let ids = |p: &Points| p.data.chunks(2).map(|r| r[0] as usize).collect::<Vec<_>>();
        let held: std::collections::BTreeSet<usize> = ids(&fresh).into_iter().collect();
        assert_eq!(held.len(), 400, "held-out rows are distinct");
        assert_eq!(refs.len(), 3);
        for r in &refs {
            let seen: std::collections::BTreeSet<usize> = ids(r).into_iter().collect();
            assert_eq!(seen.len(), 400, "a reference's rows are distinct");
            assert!(seen.is_disjoint(&held), "a reference shares rows with the floor's draw");
        }
        assert_ne!(refs[0], refs[1]);
        // The same seed draws the same rows; another seed others.
        assert_eq!(reference_draws(&spec, &data).1, fresh);
        spec.seed = 1;
        assert_ne!(reference_draws(&spec, &data).1, fresh);
        // A built-in set: references are subsamples of the training set, the floor a fresh draw.
        let s = ExperimentSpec { data_size: Some(5000), ..Default::default() };
        let train = s.data(5000);
        let (refs, fresh) = reference_draws(&s, &train);
        assert_eq!(refs[0], subsample(&train, s.sampling.n_samples, s.seed, 0));
        assert_eq!(fresh, s.data_from(s.sampling.n_samples, &mut rng::stream(s.seed, Stream::Reference, NULL_DRAW)));
    }
}
