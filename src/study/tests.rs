//! Tests of studies: plans, per-run figures, aggregation, shared training, resume, findings.

use super::*;
use crate::engine::block_on;
use crate::experiment;
use crate::spec::overrides;
use std::ops::ControlFlow;
use std::sync::Mutex;

/// A run small enough for the test suite, on a mixture so every diagnostic is on.
fn base() -> ExperimentSpec {
    overrides::from_pairs([
        ("dataset", "mog"),
        ("data-size", "3000"),
        ("depth", "2"),
        ("width", "8"),
        ("iters", "30"),
        ("batch", "64"),
        ("report-every", "10"),
        ("samplers", "ode,sde"),
        ("steps", "ode=10,sde=20"),
        ("n-samples", "200"),
        ("eps", "0.05,0.2"),
        ("repeats", "2"),
        ("diagnostics", "true"),
        ("diag-points", "400"),
        ("diag-trajectories", "16"),
        ("record-times", "1,0"),
        ("trajectories", "4"),
        ("seed", "5"),
    ])
    .unwrap()
}

fn axes(list: &[&str]) -> Vec<Axis> {
    list.iter().map(|a| Axis::parse(a).unwrap()).collect()
}

#[test]
fn a_plan_is_the_grid_of_its_axes_times_the_seeds() {
    let p = plan(&base(), axes(&["width=4,8", "fixed-t=none,1"]), 2).unwrap();
    assert_eq!((p.cells.len(), p.runs.len()), (4, 8));
    let cell = |c: usize| p.cells[c].iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
    assert_eq!(cell(0), "fixed-t=none width=4");
    assert_eq!(cell(1), "fixed-t=1 width=4");
    assert_eq!(cell(3), "fixed-t=1 width=8");
    let r = &p.runs[3];
    assert_eq!((r.cell, r.seed_index, r.spec.seed, r.spec.model.width, r.spec.training.fixed_t), (1, 1, 6, 4, Some(1.0)));
    assert_eq!(Axis::parse("eps=0.01,0.1;0.05").unwrap().values, vec!["0.01,0.1", "0.05"]);
}

#[test]
fn one_value_written_two_ways_is_refused() {
    for (axis, want) in [("width=8,08", "\"8\" and \"08\" are the same value"), ("lr=0.005,5e-3", "\"0.005\" and \"5e-3\" are the same value")] {
        let e = plan(&base(), axes(&[axis]), 1).unwrap_err();
        assert!(e.to_string().contains(want), "{axis}: {e}");
    }
    assert!(plan(&base(), axes(&["width=8,16"]), 1).is_ok());
}

#[test]
fn bad_axes_are_refused_up_front_naming_the_field() {
    let b = base();
    for (list, seeds, want) in [
        (vec!["colour=red,blue"], 2, "vary colour: unknown setting"),
        (vec!["width=8,abc"], 2, "vary width: expected an integer"),
        (vec!["width="], 2, "vary width: give one or more"),
        (vec!["width=8,,16"], 2, "vary width: give one or more"),
        (vec!["width=8,8"], 2, "vary width: a value is listed twice"),
        (vec!["width=4", "width=8"], 2, "vary width: this setting is varied twice"),
        (vec!["width=0,8"], 2, "vary width=0: model.width: must be in 1..=1024"),
        (vec!["seed=1,2"], 2, "vary seed: seeds are not an axis"),
        (vec!["fixed-t=none,2"], 1, "vary fixed-t=2: training.fixed_t"),
        (vec!["width=1,2,3,4,5,6,7,8,9,10", "depth=1,2,3,4,5,6,7,8", "lr=0.1,0.01"], 10, "vary: the study has 160 cells"),
        (vec!["width=8"], 0, "seeds: must be in 1..=100"),
    ] {
        let e = plan(&b, axes(&list), seeds).unwrap_err();
        assert!(e.to_string().starts_with(want), "{list:?}: {e}");
    }
    assert!(Axis::parse("width").is_err());
}

fn single_runs(p: &Plan) -> Vec<BTreeMap<String, Option<f64>>> {
    p.runs
        .iter()
        .map(|r| {
            let res = block_on(experiment::run(&r.spec, &mut |_| ControlFlow::Continue(()))).unwrap();
            run_metrics(&res)
        })
        .collect()
}

fn study(p: &Plan, jobs: usize, kept: Vec<RunRecord>) -> StudyResult {
    let (records, error) = batch::run(p, kept, jobs, crate::experiment::Backend::Cpu, &batch::Work::study(), &|_| Ok(()));
    assert!(error.is_none());
    aggregate(p, &records)
}

#[test]
fn a_study_gives_the_single_runs_numbers_whatever_the_jobs_and_resumes() {
    let p = plan(&base(), axes(&["width=4,8", "two-model=none,0.6"]), 2).unwrap();
    let singles = single_runs(&p);
    assert!(singles[0].contains_key("mae_velocity@1") && singles[0].contains_key("dsm@0.1"));
    assert!(singles[0].contains_key("tid@ode@0.05") && singles[0].contains_key("final_loss"));
    let strip = |m: &BTreeMap<String, Option<f64>>| {
        let mut m = m.clone();
        for k in ["train_s", "total_s", "ms_per_step"] {
            m.remove(k);
        }
        m
    };
    let one = study(&p, 1, Vec::new());
    let three = study(&p, 3, Vec::new());
    for s in [&one, &three] {
        assert!(s.missing.is_empty() && s.failed.is_empty());
        assert_eq!(s.runs.len(), 8);
        for r in &s.runs {
            assert_eq!(strip(&r.metrics), strip(&singles[r.index]), "run {}", r.index);
        }
    }
    // Cells aggregate their seeds: mean and std of the per-seed values.
    let c = &one.cells[0];
    let m = &c.metrics["mae_velocity@1"];
    let v: Vec<f64> = (0..2).map(|s| singles[s]["mae_velocity@1"].unwrap()).collect();
    assert_eq!(m.values, vec![Some(v[0]), Some(v[1])]);
    assert!((m.mean.unwrap() - (v[0] + v[1]) / 2.0).abs() < 1e-12);
    assert!((m.std.unwrap() - (v[0] - v[1]).abs() / 2f64.sqrt()).abs() < 1e-12);

    // Resume: keep 3 finished runs, run the rest, and get the same study.
    let partial: Vec<RunRecord> = one.runs.iter().filter(|r| [0, 4, 7].contains(&r.index)).cloned().collect();
    let earlier = aggregate(&p, &partial);
    assert_eq!(earlier.missing, vec![1, 2, 3, 5, 6]);
    let kept = resumable(&p, &earlier).kept;
    assert_eq!(kept.len(), 3);
    // The batch runs what is missing, hands each run over with every record so far (kept
    // first), and reports its progress.
    let ran = Mutex::new(Vec::new());
    let (records, error) = batch::run(&p, kept.clone(), 2, crate::experiment::Backend::Cpu, &batch::Work::study(), &|f| {
        assert_eq!((f.records.len(), f.todo), (3 + f.done, 5));
        ran.lock().unwrap().push(f.record.index);
        Err(format!("save {}", f.done))
    });
    let mut ran = ran.into_inner().unwrap();
    ran.sort();
    assert_eq!(ran, vec![1, 2, 3, 5, 6], "resuming re-ran finished runs");
    assert_eq!(records.len(), 8);
    assert_eq!(error.as_deref(), Some("save 1"), "the first save error is kept, and the batch went on");
    let resumed = study(&p, 2, kept);
    for (a, b) in resumed.runs.iter().zip(&one.runs) {
        assert_eq!(strip(&a.metrics), strip(&b.metrics));
    }
    // A changed base setting makes earlier records stale.
    let mut other = base();
    other.training.lr = 1e-3;
    let p2 = plan(&other, axes(&["width=4,8", "two-model=none,0.6"]), 2).unwrap();
    let stale = resumable(&p2, &one);
    assert!(stale.kept.is_empty() && stale.dropped.len() == one.runs.len());
    // Reordered axes and values, and more seeds: every finished run is kept, renumbered.
    let p3 = plan(&base(), axes(&["two-model=0.6,none", "width=8,4"]), 3).unwrap();
    let moved = resumable(&p3, &one);
    assert_eq!((moved.kept.len(), moved.dropped.len()), (one.runs.len(), 0));
    for r in &moved.kept {
        let planned = &p3.runs[r.index];
        assert_eq!((&r.spec, r.cell, &r.settings), (&planned.spec, planned.cell, &planned.settings));
    }
    let again = aggregate(&p3, &moved.kept);
    assert_eq!(again.missing.len(), p3.runs.len() - one.runs.len());
    // Fewer values: the runs no longer planned are named, not silently dropped.
    let p4 = plan(&base(), axes(&["width=4", "two-model=none,0.6"]), 2).unwrap();
    let fewer = resumable(&p4, &one);
    assert_eq!((fewer.kept.len(), fewer.dropped.len()), (4, 4));
    assert!(fewer.dropped.iter().all(|r| r.settings["width"] == "8"));
}

/// A study result made of given per-seed values of two figures along a width axis, with and
/// without the fixed-t control, and ODE/SDE TID.
fn made_up(mae1: [[f64; 3]; 2], control: [[f64; 3]; 2]) -> StudyResult {
    let p = plan(&base(), axes(&["width=8,64", "fixed-t=none,1"]), 3).unwrap();
    let records: Vec<RunRecord> = p
        .runs
        .iter()
        .map(|r| {
            let w = usize::from(r.settings["width"] == "64");
            let v = if r.settings["fixed-t"] == "1" { control[w][r.seed_index] } else { mae1[w][r.seed_index] };
            let mut metrics = BTreeMap::new();
            metrics.insert("mae_velocity@1".to_string(), Some(v));
            metrics.insert("tid@ode@0.02".to_string(), Some(1.0 + r.seed_index as f64 * 0.01));
            metrics.insert("tid@sde@0.02".to_string(), Some(0.1 + r.seed_index as f64 * 0.01));
            RunRecord {
                index: r.index,
                cell: r.cell,
                seed: r.spec.seed,
                settings: r.settings.clone(),
                spec: r.spec.clone(),
                metrics,
                error: None,
                result: None,
            }
        })
        .collect();
    aggregate(&p, &records)
}

#[test]
fn findings_say_what_the_numbers_show_and_change_with_them() {
    let rising = made_up([[1.0, 1.1, 0.9], [2.0, 2.1, 1.9]], [[0.5, 0.6, 0.4], [0.5, 0.55, 0.45]]);
    let f = findings(&rising).join("\n");
    assert!(
        f.contains(
            "MAE of the velocity at t = 1 with fixed-t = none rises from 1.00 ± 0.100 at width = 8 to 2.00 ± 0.100 at width = 64 (mean ± sd over 3 seeds)"
        ),
        "{f}"
    );
    assert!(f.contains("with fixed-t = 1 shows no clear change (the ± sd bars overlap) from 0.500 ± 0.100"), "{f}");
    assert!(f.contains("TID(0.02) of ODE is above that of SDE in 4 of 4 cells (4 with the ± sd bars apart)"), "{f}");
    // The control against full training, at the widest net done.
    assert!(f.contains("At width = 64, MAE of the velocity at t = 1 with fixed-t = 1 is lower: 0.500 ± 0.0500 against 2.00 ± 0.100 with fixed-t = none (mean ± sd over 3 seeds)."), "{f}");
    // ... and at the narrower nets, by what the bars tell.
    assert!(f.contains("with fixed-t = none (mean ± sd over 3 seeds). Elsewhere it is lower with the bars apart at width = 8."), "{f}");
    let close = made_up([[1.0, 1.1, 0.9], [2.0, 2.1, 1.9]], [[0.95, 1.15, 0.75], [0.5, 0.55, 0.45]]);
    let c = findings(&close).join("\n");
    assert!(c.contains("Elsewhere it is lower with the bars overlapping at width = 8."), "{c}");
    // Edited numbers, edited findings: the wide net now lower, bars apart.
    let falling = made_up([[2.0, 2.1, 1.9], [1.0, 1.1, 0.9]], [[0.5, 0.6, 0.4], [0.5, 0.55, 0.45]]);
    let g = findings(&falling).join("\n");
    assert!(g.contains("with fixed-t = none falls from 2.00 ± 0.100 at width = 8 to 1.00 ± 0.100"), "{g}");
    assert_ne!(f, g);
    // The ODE's TID edited below the SDE's in the control cells: the cells where it is still
    // clearly above are named.
    let mut mixed = rising.clone();
    for c in mixed.cells.iter_mut().filter(|c| c.settings["fixed-t"] == "1") {
        let sde = c.metrics["tid@sde@0.02"].clone();
        c.metrics.insert("tid@ode@0.02".into(), sde.clone());
        c.metrics.get_mut("tid@ode@0.02").unwrap().mean = sde.mean.map(|m| m - 0.5);
    }
    let h = findings(&mixed).join("\n");
    assert!(h.contains("TID(0.02) of ODE is above that of SDE in 2 of 4 cells (2 with the ± sd bars apart): not in every cell; clearly above at fixed-t = none, width = 8; fixed-t = none, width = 64."), "{h}");
    // Above in every cell's mean, the bars overlapping in the control's cells: not "everywhere".
    let mut close = rising.clone();
    for c in close.cells.iter_mut().filter(|c| c.settings["fixed-t"] == "1") {
        let ode = c.metrics.get_mut("tid@ode@0.02").unwrap();
        (ode.mean, ode.std) = (Some(0.2), Some(1.0));
    }
    let o = findings(&close).join("\n");
    assert!(
        o.contains("in 4 of 4 cells (2 with the ± sd bars apart): the deterministic sampler's samples are the more concentrated in every cell's mean; clearly above at fixed-t = none, width = 8; fixed-t = none, width = 64.")
            && !o.contains("everywhere"),
        "{o}"
    );
    // A partial study says so, and a trend runs to the last value with a figure.
    let mut partial = rising.clone();
    partial.missing = vec![11];
    assert!(findings(&partial).last().unwrap().starts_with("Partial: 11 of 12 runs are done"));
    for c in partial.cells.iter_mut().filter(|c| c.settings["width"] == "64") {
        for m in c.metrics.values_mut() {
            *m = stat(vec![None, None, None]);
        }
    }
    assert!(!findings(&partial).iter().any(|f| f.contains("width = 64")), "a trend to a value without figures");
    assert!(
        findings(&partial).iter().any(|f| f.starts_with("At width = 8, MAE of the velocity at t = 1 with fixed-t = 1 is lower")),
        "the control at the widest net done"
    );
    // The control with fewer seeds done than the full training: each side's count is named.
    let mut unequal = rising.clone();
    for c in unequal.cells.iter_mut().filter(|c| c.settings["width"] == "64" && c.settings["fixed-t"] == "1") {
        for m in c.metrics.values_mut() {
            *m = stat(vec![m.values[0], None, None]);
        }
    }
    let u = findings(&unequal).join("\n");
    assert!(u.contains("At width = 64, MAE of the velocity at t = 1 with fixed-t = 1 is lower (one seed: no error bars): 0.500 against 2.00 ± 0.100 with fixed-t = none (mean ± sd over 1 seed with fixed-t = 1, 3 seeds with fixed-t = none)."), "{u}");
    // One seed on each side: said so, not "mean ± sd over 1 seed".
    let mut single = unequal.clone();
    for c in single.cells.iter_mut().filter(|c| c.settings["width"] == "64" && c.settings["fixed-t"] == "none") {
        for m in c.metrics.values_mut() {
            *m = stat(vec![m.values[0], None, None]);
        }
    }
    let one = findings(&single).join("\n");
    assert!(one.contains("with fixed-t = none (1 seed each).") && !one.contains("over 1 seed)"), "{one}");
    // A curve that falls, then rises (the see-saw's width curve): the turn and the rise from
    // there are named, with each end's seeds where they differ.
    let p = plan(&base(), axes(&["width=8,16,64"]), 3).unwrap();
    let valley = |wide: [f64; 3], seeds_wide: usize| {
        let records: Vec<RunRecord> = p
            .runs
            .iter()
            .filter(|r| r.settings["width"] != "64" || r.seed_index < seeds_wide)
            .map(|r| {
                let v = match r.settings["width"].as_str() {
                    "8" => [2.0, 2.1, 1.9],
                    "16" => [0.3, 0.35, 0.25],
                    _ => wide,
                }[r.seed_index];
                let mut metrics = BTreeMap::new();
                metrics.insert("mae_velocity@1".to_string(), Some(v));
                RunRecord {
                    index: r.index,
                    cell: r.cell,
                    seed: r.spec.seed,
                    settings: r.settings.clone(),
                    spec: r.spec.clone(),
                    metrics,
                    error: None,
                    result: None,
                }
            })
            .collect();
        findings(&aggregate(&p, &records)).join("\n")
    };
    let v = valley([0.8, 0.9, 0.7], 3);
    assert!(v.contains("MAE of the velocity at t = 1 falls from 2.00 ± 0.100 at width = 8 to 0.800 ± 0.100 at width = 64 (mean ± sd over 3 seeds)."), "{v}");
    assert!(v.contains("MAE of the velocity at t = 1 is lowest at width = 16 (0.300 ± 0.0500) and rises from there to 0.800 ± 0.100 at width = 64 (mean ± sd over 3 seeds)."), "{v}");
    let flat = valley([0.32, 0.2, 0.44], 3);
    assert!(flat.contains("is lowest at width = 16 (0.300 ± 0.0500) and shows no clear change (the ± sd bars overlap) from there"), "{flat}");
    let one = valley([0.8, 0.9, 0.7], 1);
    assert!(
        one.contains("and is higher (one seed: no error bars) from there to 0.800 at width = 64 (mean ± sd over 3 seeds at width = 16, 1 seed at width = 64)."),
        "{one}"
    );
    assert!(!valley([0.1, 0.12, 0.08], 3).contains("lowest"), "no turn: the widest is the lowest");
    // A categorical axis: each value's figure, no trend.
    let p = plan(&base(), axes(&["dataset=mog,spiral"]), 2).unwrap();
    let records: Vec<RunRecord> = p
        .runs
        .iter()
        .map(|r| {
            let mut metrics = BTreeMap::new();
            metrics.insert("tid@ode@0.02".to_string(), Some(if r.settings["dataset"] == "mog" { 1.0 } else { 3.0 } + r.seed_index as f64));
            RunRecord {
                index: r.index,
                cell: r.cell,
                seed: r.spec.seed,
                settings: r.settings.clone(),
                spec: r.spec.clone(),
                metrics,
                error: None,
                result: None,
            }
        })
        .collect();
    let f = findings(&aggregate(&p, &records)).join("\n");
    assert!(f.contains("TID(0.02) of ODE by dataset: mog 1.50 ± 0.707; spiral 3.50 ± 0.707"), "{f}");
    assert!(!f.contains("rises") && !f.contains("falls"), "{f}");
}

#[test]
fn the_answer_leads_and_the_other_figures_follow() {
    // Full training against the control along width, MAE at t = 1 and 0.1, ODE and SDE TID.
    let mut s = made_up([[1.0, 1.1, 0.9], [2.0, 2.1, 1.9]], [[0.5, 0.6, 0.4], [0.5, 0.55, 0.45]]);
    for c in s.cells.iter_mut() {
        let m = c.metrics["mae_velocity@1"].clone();
        c.metrics.insert("mae_velocity@0.1".into(), m);
    }
    let r = ranked(&s);
    let lead: Vec<&str> = r.iter().filter(|f| f.lead).map(|f| f.text.as_str()).collect();
    let rest: Vec<&str> = r.iter().filter(|f| !f.lead).map(|f| f.text.as_str()).collect();
    // The control against full training leads for the headline figures (MAE at t = 1, the
    // ODE's TID), not for MAE at t = 0.1 or the SDE's TID; the samplers compared lead.
    assert!(lead.iter().any(|f| f.starts_with("At width = 64, MAE of the velocity at t = 1 with fixed-t = 1")), "{lead:#?}");
    assert!(lead.iter().any(|f| f.starts_with("At width = 64, TID(0.02) of ODE with fixed-t = 1")), "{lead:#?}");
    assert!(lead.iter().any(|f| f.starts_with("TID(0.02) of ODE is above that of SDE")), "{lead:#?}");
    assert!(rest.iter().any(|f| f.starts_with("At width = 64, MAE of the velocity at t = 0.1 with fixed-t = 1")), "{rest:#?}");
    assert!(rest.iter().any(|f| f.starts_with("At width = 64, TID(0.02) of SDE with fixed-t = 1")), "{rest:#?}");
    // The see-saw's verdict leads and says how MAE at t = 1 moves, so its trend is a detail;
    // the ODE's TID along width leads on the baseline line (full training), not the control's.
    assert!(lead[0].contains("see-saw"), "{lead:#?}");
    assert!(rest.iter().any(|f| f.starts_with("MAE of the velocity at t = 1 with fixed-t = none rises")), "{rest:#?}");
    assert!(lead.iter().any(|f| f.starts_with("TID(0.02) of ODE with fixed-t = none shows no clear change")), "{lead:#?}");
    assert!(rest.iter().any(|f| f.starts_with("TID(0.02) of ODE with fixed-t = 1 shows no clear change")), "{rest:#?}");
    // The order is findings()'s, and the partial note leads.
    assert_eq!(r.iter().map(|f| f.text.clone()).collect::<Vec<_>>(), findings(&s));
    s.missing = vec![11];
    assert!(ranked(&s).last().is_some_and(|f| f.lead && f.text.starts_with("Partial:")));
    // One axis: the headline figure's trend leads, the others' trends and turns follow.
    let p = plan(&base(), axes(&["width=8,16,64"]), 3).unwrap();
    let records: Vec<RunRecord> = p
        .runs
        .iter()
        .map(|r| {
            let v = match r.settings["width"].as_str() {
                "8" => [2.0, 2.1, 1.9],
                "16" => [0.3, 0.35, 0.25],
                _ => [0.8, 0.9, 0.7],
            }[r.seed_index];
            let mut metrics = BTreeMap::new();
            metrics.insert("mae_velocity@1".to_string(), Some(v));
            metrics.insert("mae_velocity@0.1".to_string(), Some(v));
            RunRecord {
                index: r.index,
                cell: r.cell,
                seed: r.spec.seed,
                settings: r.settings.clone(),
                spec: r.spec.clone(),
                metrics,
                error: None,
                result: None,
            }
        })
        .collect();
    // The headline figure's trend and its clear turn lead; MAE at t = 0.1's follow.
    let r = ranked(&aggregate(&p, &records));
    let lead: Vec<&str> = r.iter().filter(|f| f.lead).map(|f| f.text.as_str()).collect();
    assert_eq!(
        lead,
        [
            "MAE of the velocity at t = 1 falls from 2.00 ± 0.100 at width = 8 to 0.800 ± 0.100 at width = 64 (mean ± sd over 3 seeds).",
            "MAE of the velocity at t = 1 is lowest at width = 16 (0.300 ± 0.0500) and rises from there to 0.800 ± 0.100 at width = 64 (mean ± sd over 3 seeds)."
        ]
    );
    assert_eq!(r.len(), 4, "{r:#?}");
}

/// Seeded fuzz of plan and resume (issue 23): random axes (names, value lists, their order),
/// seed counts and base changes. A resume never drops a finished run whose spec is still
/// planned, never keeps one under another run's spec, and names every finished run the new
/// plan lacks.
#[test]
fn fuzz_resume_never_loses_a_planned_run() {
    use crate::rng::{self, Stream};
    use rand::{RngExt, seq::SliceRandom};
    let pool: [(&str, &[&str]); 4] =
        [("width", &["4", "8", "16", "32"]), ("lr", &["0.001", "0.005", "0.01"]), ("two-model", &["none", "0.4", "0.6"]), ("iters", &["20", "30"])];
    let mut r = rng::stream(23, Stream::Data, 7);
    let random_plan = |r: &mut rand::rngs::StdRng, base: &ExperimentSpec| -> Plan {
        let mut names: Vec<usize> = (0..pool.len()).collect();
        names.shuffle(r);
        let n_axes = r.random_range(1..=2);
        let axes: Vec<Axis> = names[..n_axes]
            .iter()
            .map(|&i| {
                let (name, values) = pool[i];
                let mut v: Vec<&str> = values.to_vec();
                v.shuffle(r);
                let k = r.random_range(1..=v.len());
                Axis::parse(&format!("{name}={}", v[..k].join(","))).unwrap()
            })
            .collect();
        plan(base, axes, r.random_range(1..=3)).unwrap()
    };
    for case in 0..300 {
        let a = random_plan(&mut r, &base());
        // Some runs of A finished, some failed, some never ran.
        let mut records: Vec<RunRecord> = Vec::new();
        for run in &a.runs {
            if r.random_bool(0.7) {
                let error = r.random_bool(0.1).then(|| "diverged".to_string());
                records.push(record_of(run, BTreeMap::from([("final_loss".to_string(), Some(run.index as f64))]), error, None));
            }
        }
        let earlier = aggregate(&a, &records);
        let mut b_base = base();
        if r.random_bool(0.15) {
            b_base.sampling.n_samples = 300;
        }
        let b = random_plan(&mut r, &b_base);
        let resumed = resumable(&b, &earlier);
        let finished: Vec<&RunRecord> = records.iter().filter(|x| x.error.is_none()).collect();
        for f in &finished {
            let planned = b.runs.iter().any(|p| p.spec == f.spec);
            let kept = resumed.kept.iter().any(|k| k.spec == f.spec && k.metrics == f.metrics);
            let dropped = resumed.dropped.iter().any(|d| d.spec == f.spec);
            assert!(planned == kept && planned != dropped, "case {case}: run {} planned {planned} kept {kept} dropped {dropped}", f.index);
        }
        for k in &resumed.kept {
            assert_eq!(k.spec, b.runs[k.index].spec, "case {case}: kept under another run's spec");
            assert_eq!((k.cell, &k.settings), (b.runs[k.index].cell, &b.runs[k.index].settings));
        }
        assert_eq!(resumed.kept.len() + resumed.dropped.len(), finished.len(), "case {case}");
        let mut idx: Vec<usize> = resumed.kept.iter().map(|k| k.index).collect();
        idx.sort();
        idx.dedup();
        assert_eq!(idx.len(), resumed.kept.len(), "case {case}: two records for one planned run");
    }
}

/// A run of another study that sampled more samplers gives this study's run without training:
/// narrowed to the planned samplers, its figures and result are those of a run that sampled
/// only those (its checkpoints' and TID grid's too), all but the timings; a run that lacks a
/// planned sampler, or differs in anything else, is not taken.
#[test]
fn a_run_that_sampled_more_samplers_is_reused_narrowed_to_the_planned_ones() {
    use crate::sample::SamplerKind::{Ode, Pc, Sde};
    let mut wide = base();
    wide.sampling.samplers = vec![Sde, Ode, Pc];
    wide.training.checkpoints = vec![10, 20];
    wide.metrics.k_grid = vec![3, 5];
    let mut narrow = wide.clone();
    narrow.sampling.samplers = vec![Ode, Sde];
    let earlier = study(&plan(&wide, axes(&["width=4,8"]), 2).unwrap(), 1, Vec::new());
    assert!(earlier.failed.is_empty() && earlier.missing.is_empty());
    let p = plan(&narrow, axes(&["width=8,16"]), 2).unwrap();
    let taken = reusable(&p, &earlier);
    // Width 8's two seeds; width 16 is not in the earlier study.
    let mut idx: Vec<usize> = taken.iter().map(|r| r.index).collect();
    idx.sort();
    assert_eq!(idx, vec![0, 1]);
    let alone = study(&p, 1, Vec::new());
    // Everything but how it ran: seconds, ms per step, the timings, the note, and the engine's
    // thread count (the tests running beside this one set it).
    fn untimed(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(o) => o
                .iter()
                .filter(|(k, _)| !["seconds", "ms_per_step", "timings", "notes", "engine", "sampling_engine"].contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), untimed(v)))
                .collect(),
            serde_json::Value::Array(a) => a.iter().map(untimed).collect(),
            x => x.clone(),
        }
    }
    for r in &taken {
        let want = &alone.runs[r.index];
        assert_eq!((&r.spec, r.cell, &r.settings, r.seed), (&want.spec, want.cell, &want.settings, want.seed));
        let strip = |m: &BTreeMap<String, Option<f64>>| {
            m.iter().filter(|(k, _)| !["train_s", "total_s", "ms_per_step"].contains(&k.as_str())).map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>()
        };
        assert_eq!(strip(&r.metrics), strip(&want.metrics), "run {}", r.index);
        assert!(!r.metrics.keys().any(|k| k.contains("@pc")), "run {}: pc's figures kept", r.index);
        let (got, want) = (r.result.as_ref().unwrap(), want.result.as_ref().unwrap());
        assert!(!got["checkpoints"].as_array().unwrap().is_empty() && !got["tid_grid"].as_object().unwrap().is_empty());
        fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Option<String> {
            match (a, b) {
                (serde_json::Value::Object(x), serde_json::Value::Object(y)) => x.keys().chain(y.keys()).find_map(|k| {
                    first_difference(x.get(k).unwrap_or(&serde_json::Value::Null), y.get(k).unwrap_or(&serde_json::Value::Null), format!("{at}.{k}"))
                }),
                (serde_json::Value::Array(x), serde_json::Value::Array(y)) if x.len() == y.len() => {
                    x.iter().zip(y).enumerate().find_map(|(i, (a, b))| first_difference(a, b, format!("{at}[{i}]")))
                }
                _ => (a != b).then(|| format!("{at}: {a} against {b}")),
            }
        }
        assert_eq!(first_difference(&untimed(got), &untimed(want), String::new()), None, "run {}: result", r.index);
        assert!(got["notes"].to_string().contains("taken from a run that also sampled pc"), "run {}", r.index);
    }
    // A resumed file of the narrowed study holds them under its own specs: resumed exactly.
    let file = aggregate(&p, &taken);
    assert_eq!(resumable(&p, &file).kept.len(), 2);
    // A planned sampler the earlier runs lack, or another setting, takes nothing.
    let mut more = narrow.clone();
    more.sampling.samplers = vec![Ode, crate::sample::SamplerKind::Heun];
    assert!(reusable(&plan(&more, axes(&["width=4,8"]), 2).unwrap(), &earlier).is_empty());
    let mut other = narrow.clone();
    other.metrics.eps = vec![0.1];
    assert!(reusable(&plan(&other, axes(&["width=4,8"]), 2).unwrap(), &earlier).is_empty());
    // One wider run gives a run of each of its samplers (a study varying the samplers).
    let by_sampler = plan(&narrow, axes(&["width=4", "samplers=ode;pc"]), 2).unwrap();
    let each = reusable(&by_sampler, &earlier);
    assert_eq!(each.len(), 4);
    assert!(each.iter().all(|r| r.spec == by_sampler.runs[r.index].spec));
    // The same samplers: the same runs, as a resume takes them.
    assert_eq!(reusable(&plan(&wide, axes(&["width=4"]), 2).unwrap(), &earlier).len(), 2);
}

/// Runs that differ only after training share it: a study varying the sampler budget, the
/// radii and the diagnostics trains once per seed (and per width), and every run's figures and
/// samples are those of a run that trained by itself, bit for bit.
#[test]
fn runs_that_differ_only_after_training_share_it_and_give_the_single_runs_figures() {
    let mut b = base();
    b.sampling.samplers = vec![crate::sample::SamplerKind::Ode, crate::sample::SamplerKind::Heun, crate::sample::SamplerKind::Sde];
    let p = plan(&b, axes(&["width=4,8", "nfe=10,20", "diag-trajectories=8,16"]), 2).unwrap();
    // Groups: one per width and seed, each holding its 4 sampling cells, in plan order.
    let all: Vec<usize> = (0..p.runs.len()).collect();
    let groups = share::groups(&p, &all);
    assert_eq!(groups.len(), 4);
    for g in &groups {
        assert_eq!(g.len(), 4);
        let first = &p.runs[g[0]].spec;
        assert!(g.iter().all(|&i| p.runs[i].spec.model.width == first.model.width && p.runs[i].spec.seed == first.seed));
        assert!(g.windows(2).all(|w| w[0] < w[1]));
    }
    // A training setting (lr, the data size, two-model) or the exact score splits or drops groups.
    let q = plan(&b, axes(&["lr=1e-3,2e-3", "data-size=3000,4000", "two-model=none,0.6"]), 1).unwrap();
    assert_eq!(share::groups(&q, &(0..q.runs.len()).collect::<Vec<_>>()).len(), q.runs.len());
    let mut exact = b.clone();
    exact.sampling.exact_score = true;
    assert!(share::training_key(&exact).is_none());

    let singles: Vec<ExperimentResult> = p.runs.iter().map(|r| block_on(experiment::run(&r.spec, &mut |_| ControlFlow::Continue(()))).unwrap()).collect();
    let same = |rec: &RunRecord, single: &ExperimentResult, why: &str| {
        let mut want = run_metrics(single);
        let mut got = rec.metrics.clone();
        for k in ["train_s", "total_s", "ms_per_step"] {
            want.remove(k);
            got.remove(k);
        }
        assert_eq!(got, want, "{why}: run {} figures", rec.index);
        let (r, mut s) = (rec.result.as_ref().unwrap(), crate::output::json_value(single));
        s["diagnostics"].as_object_mut().unwrap().remove("velocity_field"); // a study does not keep it
        // The samples themselves are not kept in a record: their moments, TID, marginal
        // accuracy and the diagnostics' error correlations along each sampler's paths are.
        for key in ["diagnostics", "tid", "marginal_accuracy"] {
            assert!(!s[key].is_null() && r[key] == s[key], "{why}: run {} {key} differs", rec.index);
        }
        for (name, sampler) in s["samplers"].as_object().unwrap() {
            for key in ["steps", "evaluations", "mean", "variance"] {
                assert_eq!(r["samplers"][name][key], sampler[key], "{why}: run {} {name} {key}", rec.index);
            }
        }
        assert_eq!(r["training"]["losses"], s["training"]["losses"], "{why}: run {}", rec.index);
    };
    let shared = study(&p, 2, Vec::new());
    assert!(shared.failed.is_empty() && shared.missing.is_empty());
    for rec in &shared.runs {
        same(rec, &singles[rec.index], "shared");
        // The engine named is the one that trained the nets (a thread count, as jobs share cores).
        let g = groups.iter().find(|g| g.contains(&rec.index)).unwrap();
        let trained = shared.runs.iter().find(|r| r.index == g[0]).unwrap();
        assert_eq!(rec.result.as_ref().unwrap()["engine"], trained.result.as_ref().unwrap()["engine"]);
        let notes = rec.result.as_ref().unwrap()["notes"].to_string();
        let first = groups.iter().any(|g| g[0] == rec.index);
        assert_eq!(notes.contains("training shared with run"), !first, "run {}: {notes}", rec.index);
    }
    // Runs of several lengths share one training to the longest (the others' nets kept as its
    // checkpoints), with one net and with two: each run's figures are those of a run of its
    // length trained alone, its loss curve included.
    for two in [None, Some(0.6)] {
        let mut b = base();
        b.training.two_model = two;
        let p = plan(&b, axes(&["iters=20,40,60", "nfe=10,20"]), 2).unwrap();
        let groups = share::groups(&p, &(0..p.runs.len()).collect::<Vec<_>>());
        assert_eq!(groups.len(), 2, "one group per seed");
        let singles: Vec<ExperimentResult> = p.runs.iter().map(|r| block_on(experiment::run(&r.spec, &mut |_| ControlFlow::Continue(()))).unwrap()).collect();
        let s = study(&p, 2, Vec::new());
        for rec in &s.runs {
            same(rec, &singles[rec.index], "lengths");
            let r = rec.result.as_ref().unwrap();
            let single = crate::output::json_value(&singles[rec.index]);
            assert_eq!(r["training"]["iters"], single["training"]["iters"], "run {}", rec.index);
            assert_eq!(r["training_nets"].as_array().map(|a| a.len()), single["training_nets"].as_array().map(|a| a.len()));
            for (a, b) in r["training_nets"].as_array().into_iter().flatten().zip(single["training_nets"].as_array().into_iter().flatten()) {
                assert_eq!(a["report"]["losses"], b["report"]["losses"], "run {}: a net's losses", rec.index);
            }
            assert!(r["notes"].to_string().contains("trained once for this study's runs of 20, 40, 60 iterations"), "run {}", rec.index);
            assert!(
                r["checkpoints"].is_null() || r["checkpoints"].as_array().is_some_and(|c| c.is_empty()),
                "run {}: checkpoints it did not ask for",
                rec.index
            );
        }
    }
    // A group of one length keeps its runs' own checkpoints.
    let mut c = base();
    c.training.checkpoints = vec![10, 20];
    let p = plan(&c, axes(&["nfe=10,20"]), 1).unwrap();
    let s = study(&p, 1, Vec::new());
    assert!(s.failed.is_empty(), "{:?}", s.runs.iter().map(|r| &r.error).collect::<Vec<_>>());
    assert!(s.runs.iter().all(|r| r.result.as_ref().unwrap()["checkpoints"].as_array().is_some_and(|c| c.len() == 2)));
    // Resumed with one run of each group kept (a study's file keeps no nets): each group
    // trains once more and still gives the same figures.
    let kept: Vec<RunRecord> = shared.runs.iter().filter(|r| groups.iter().any(|g| g[0] == r.index)).cloned().collect();
    let resumed = study(&p, 1, kept);
    for rec in &resumed.runs {
        same(rec, &singles[rec.index], "resumed");
    }
}

#[test]
fn a_batch_runs_every_cells_first_seed_before_any_second() {
    // Generations-style work (each run alone), with a function that only notes the order.
    let p = plan(&base(), axes(&["width=4,8,16"]), 3).unwrap();
    let order = Mutex::new(Vec::new());
    let note = |runs: &[&PlannedRun], _: crate::experiment::Backend, out: &mut dyn FnMut(RunRecord)| {
        for r in runs {
            order.lock().unwrap().push((r.seed_index, r.cell));
            out(RunRecord {
                index: r.index,
                cell: r.cell,
                seed: r.spec.seed,
                settings: r.settings.clone(),
                spec: r.spec.clone(),
                metrics: BTreeMap::new(),
                error: None,
                result: None,
            });
        }
    };
    // One job, so the order is the batch's; a resumed batch (cell 1's first seed kept) too.
    let kept = vec![RunRecord {
        index: 3,
        cell: 1,
        seed: p.runs[3].spec.seed,
        settings: p.runs[3].settings.clone(),
        spec: p.runs[3].spec.clone(),
        metrics: BTreeMap::new(),
        error: None,
        result: None,
    }];
    let (records, _) = batch::run(&p, kept, 1, crate::experiment::Backend::Cpu, &batch::Work::each(&note), &|_| Ok(()));
    assert_eq!(records.len(), 9);
    assert_eq!(order.into_inner().unwrap(), vec![(0, 0), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]);
}

#[test]
fn a_studys_widest_nets_start_first_within_each_seed() {
    // A study (shared training on): the groups of one seed before the next, the costliest first.
    let p = plan(&base(), axes(&["width=4,64,16", "samplers=ode;sde"]), 2).unwrap();
    let all: Vec<usize> = (0..p.runs.len()).collect();
    let order: Vec<(usize, usize)> = share::schedule(&p, &all).iter().map(|g| (p.runs[g[0]].seed_index, p.runs[g[0]].spec.model.width)).collect();
    assert_eq!(order, vec![(0, 64), (0, 16), (0, 4), (1, 64), (1, 16), (1, 4)]);
    // The same groups as share::groups, only ordered.
    let mut a: Vec<Vec<usize>> = share::schedule(&p, &all);
    let mut b = share::groups(&p, &all);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // The work estimate grows with the net, the iterations and the samples.
    let w = |pairs: &[(&str, &str)]| {
        let mut s = base();
        for (k, v) in pairs {
            overrides::apply(&mut s, k, v).unwrap();
        }
        share::work_of(&s)
    };
    assert!(w(&[("width", "16")]).0 > w(&[]).0 && w(&[("iters", "60")]).0 > w(&[]).0 && w(&[("n-samples", "400")]).1 > w(&[]).1);
}

#[test]
fn the_tid_radius_is_one_where_the_data_has_neighbours_and_a_thin_one_is_named() {
    // TID at 0.2 and 0.3 in every run; the data's neighbours per point (ANSD) at each from the
    // runs' stored results.
    let make = |ansd: [f64; 2]| {
        let p = plan(&base(), axes(&["width=8,64"]), 2).unwrap();
        let records: Vec<RunRecord> = p
            .runs
            .iter()
            .map(|r| {
                let mut metrics = BTreeMap::new();
                for (e, v) in [("0.2", 50.0 + r.seed_index as f64 * 100.0), ("0.3", 1.0 + r.seed_index as f64 * 0.1)] {
                    metrics.insert(format!("tid@ode@{e}"), Some(v));
                }
                let result = serde_json::json!({"tid": {"ode": [{"eps": 0.2, "ansd_train": ansd[0]}, {"eps": 0.3, "ansd_train": ansd[1]}]}});
                RunRecord {
                    index: r.index,
                    cell: r.cell,
                    seed: r.spec.seed,
                    settings: r.settings.clone(),
                    spec: r.spec.clone(),
                    metrics,
                    error: None,
                    result: Some(result),
                }
            })
            .collect();
        aggregate(&p, &records)
    };
    let dense = make([0.008, 0.3]);
    assert_eq!(tid_radius(&dense).as_deref(), Some("0.3"), "0.2 holds almost no neighbours");
    let f = findings(&dense).join("\n");
    assert!(f.contains("TID(0.3) of ODE") && !f.contains("TID(0.2)") && !f.contains("neighbours each"), "{f}");
    // No radius with neighbours: the one closest to 0.02 is used, and the findings say why it is noisy.
    let thin = make([0.008, 0.05]);
    assert_eq!(tid_radius(&thin).as_deref(), Some("0.2"));
    let g = findings(&thin).join("\n");
    assert!(g.contains("At e = 0.2 the training set's points have 0.00800 neighbours each on average (ANSD)"), "{g}");
    // Runs without stored results: the radius closest to 0.02 with values, no caveat.
    let mut bare = dense.clone();
    for r in bare.runs.iter_mut() {
        r.result = None;
    }
    assert_eq!(tid_radius(&bare).as_deref(), Some("0.2"));
    assert!(!findings(&bare).join("\n").contains("neighbours each"));
}

#[test]
fn the_seesaw_criterion_follows_the_numbers() {
    // `made_up` with MAE at t = 0.1 of full training added (narrowest, widest).
    let with_low = |mae1: [[f64; 3]; 2], control: [[f64; 3]; 2], low: [[f64; 3]; 2]| {
        let mut s = made_up(mae1, control);
        for c in s.cells.iter_mut().filter(|c| c.settings["fixed-t"] == "none") {
            let w = usize::from(c.settings["width"] == "64");
            c.metrics.insert("mae_velocity@0.1".into(), stat(low[w].iter().map(|&v| Some(v)).collect()));
        }
        s
    };
    let (rise, ctl, low) = ([[1.0, 1.1, 0.9], [2.0, 2.1, 1.9]], [[0.5, 0.6, 0.4], [0.5, 0.55, 0.45]], [[0.5, 0.6, 0.4], [0.3, 0.35, 0.25]]);
    let v = seesaw(&with_low(rise, ctl, low)).unwrap();
    assert!(v.shows() && (v.narrow.as_str(), v.wide.as_str()) == ("8", "64"));
    let f = findings(&with_low(rise, ctl, low)).join("\n");
    assert!(
        f.contains("The see-saw shows from width = 8 to 64 (mean ± sd over 3 seeds): MAE at t = 1 rises (1.00 ± 0.100 to 2.00 ± 0.100), MAE at t = 0.1 falls or stays (0.500 ± 0.100 to 0.300 ± 0.0500) and the high-noise-only control (fixed-t = 1) stays below full training at width = 64 (0.500 ± 0.0500 against 2.00 ± 0.100)."),
        "{f}"
    );
    // Each part edited: the verdict turns and names what fails, with its figures.
    let low_rises = seesaw(&with_low(rise, ctl, [[0.5, 0.6, 0.4], [0.9, 1.0, 0.8]])).unwrap();
    assert!(!low_rises.shows() && low_rises.rises && !low_rises.low_stays && low_rises.control_below);
    assert!(
        low_rises
            .sentence()
            .ends_with("the see-saw does not show from width = 8 to 64 (mean ± sd over 3 seeds): MAE at t = 0.1 rises (0.500 ± 0.100 to 0.900 ± 0.100)."),
        "{}",
        low_rises.sentence()
    );
    // Within the narrowest's sd it stays.
    assert!(seesaw(&with_low(rise, ctl, [[0.5, 0.6, 0.4], [0.6, 0.65, 0.55]])).unwrap().low_stays);
    let control_above = seesaw(&with_low(rise, [[0.5, 0.6, 0.4], [3.0, 3.1, 2.9]], low)).unwrap();
    assert!(
        !control_above.shows()
            && control_above
                .sentence()
                .contains("the high-noise-only control (fixed-t = 1) is not below full training at width = 64 (3.00 ± 0.100 against 2.00 ± 0.100)")
    );
    let falls = seesaw(&with_low([[2.0, 2.1, 1.9], [1.0, 1.1, 0.9]], ctl, low)).unwrap();
    assert!(!falls.rises && falls.sentence().contains("MAE at t = 1 falls (2.00 ± 0.100 to 1.00 ± 0.100)"), "{}", falls.sentence());
    let overlap = seesaw(&with_low([[1.0, 1.5, 0.5], [1.4, 1.9, 0.9]], ctl, low)).unwrap();
    assert!(!overlap.rises && overlap.sentence().contains("MAE at t = 1 shows no clear change (the ± sd bars overlap)"));
    // One seed at an end, or no control axis: no verdict (and no sentence).
    let mut one_seed = with_low(rise, ctl, low);
    for c in one_seed.cells.iter_mut().filter(|c| c.settings["width"] == "64") {
        for m in c.metrics.values_mut() {
            *m = stat(vec![m.values[0], None, None]);
        }
    }
    assert_eq!(seesaw(&one_seed), None);
    assert!(!findings(&one_seed).join("\n").contains("see-saw"));
    let mut no_control = with_low(rise, ctl, low);
    no_control.axes.retain(|a| a.name != "fixed-t");
    assert_eq!(seesaw(&no_control), None);
}

#[test]
fn a_cure_is_compared_at_every_width_grouped_by_what_the_bars_tell() {
    // Full training's MAE(t = 1) and the cure's, per width (8, 16, 32, 64) and seed.
    let full = [[1.0, 1.1, 0.9], [1.0, 1.1, 0.9], [1.0, 1.1, 0.9], [2.0, 2.1, 1.9]];
    let cure = [[0.5, 0.6, 0.4], [1.5, 1.6, 1.4], [0.5, 0.6, 0.4], [1.9, 2.2, 1.6]];
    let p = plan(&base(), axes(&["width=8,16,32,64", "two-model=none,0.6"]), 3).unwrap();
    let records: Vec<RunRecord> = p
        .runs
        .iter()
        .map(|r| {
            let w = ["8", "16", "32", "64"].iter().position(|w| r.settings["width"] == *w).unwrap();
            let v = if r.settings["two-model"] == "0.6" { cure[w][r.seed_index] } else { full[w][r.seed_index] };
            let metrics = BTreeMap::from([("mae_velocity@1".to_string(), Some(v))]);
            RunRecord {
                index: r.index,
                cell: r.cell,
                seed: r.spec.seed,
                settings: r.settings.clone(),
                spec: r.spec.clone(),
                metrics,
                error: None,
                result: None,
            }
        })
        .collect();
    let f = findings(&aggregate(&p, &records)).join("\n");
    assert!(
        f.contains(
            "At width = 64, MAE of the velocity at t = 1 with two-model = 0.6 shows no clear difference (the ± sd bars overlap): 1.90 ± 0.300 against 2.00 ± 0.100 with two-model = none (mean ± sd over 3 seeds). \
             Elsewhere it is lower with the bars apart at width = 8 and 32; higher with the bars apart at width = 16."
        ),
        "{f}"
    );
}

/// A cell says how many of its finished runs failed (issue 41 #15: "done: 2" alone read as two
/// good runs); a cell with none failed keeps its JSON as before (no "failed" key).
#[test]
fn a_cell_counts_its_failed_runs() {
    let p = plan(&base(), vec![Axis::parse("width=4,8").unwrap()], 2).unwrap();
    let records: Vec<RunRecord> = p
        .runs
        .iter()
        .map(|run| {
            let failed = run.cell == 0;
            let metrics = if failed { BTreeMap::new() } else { BTreeMap::from([("final_loss".to_string(), Some(1.0))]) };
            record_of(run, metrics, failed.then(|| "diverged".to_string()), None)
        })
        .collect();
    let s = aggregate(&p, &records);
    assert_eq!((s.cells[0].done, s.cells[0].failed, s.cells[1].done, s.cells[1].failed), (2, 2, 2, 0));
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["cells"][0]["failed"], 2);
    assert!(v["cells"][1].get("failed").is_none());
}
