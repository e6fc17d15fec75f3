//! Training through the public API: the DSM loss falls, and one seed gives one result.

use collapse_lab::data::Dataset;
use collapse_lab::engine::cpu::TimeRange;
use collapse_lab::engine::{block_on, train, CpuEngine, EngineError};
use collapse_lab::experiment::{self, run::build_net, ExperimentSpec};
use collapse_lab::parallel;
use std::ops::ControlFlow;
use std::sync::Arc;

fn small_spec() -> ExperimentSpec {
    let mut s = ExperimentSpec::default();
    s.model.width = 32;
    s.training.batch = 1000;
    s
}

fn engine(spec: &ExperimentSpec, seed: u64) -> CpuEngine {
    let data = Arc::new(Dataset::Chessboard.generate(20_000, 0, seed));
    CpuEngine::new(build_net(spec), data, spec.training.batch, spec.training.lr, TimeRange::default(), seed)
}

#[test]
fn training_on_chessboard_lowers_the_dsm_loss() {
    let spec = small_spec();
    let mut eng = engine(&spec, 1);
    let report = block_on(train(&mut eng, 600, 50, &mut |_| ControlFlow::Continue(()))).unwrap();
    let first = report.losses[0].1;
    let last = report.losses.last().unwrap().1;
    // An untrained net predicts eps with loss ~ E||eps||^2 = 2 or more; trained, well below 1.
    assert!(first > 0.9, "first block loss {first}");
    assert!(last < 0.75 * first && last < 0.8, "loss went {first} -> {last}");
    assert_eq!(report.losses.len(), 12);
    assert_eq!(report.iters, 600);
}

#[test]
fn one_seed_one_result_whatever_the_thread_count() {
    let spec = small_spec();
    let run = |threads: usize, seed: u64| {
        parallel::set_threads(threads);
        let mut eng = engine(&spec, seed);
        let r = block_on(train(&mut eng, 40, 10, &mut |_| ControlFlow::Continue(()))).unwrap();
        parallel::set_threads(0);
        (r.losses, eng.params_ref().to_vec())
    };
    let a = run(1, 3);
    assert_eq!(a, run(2, 3), "thread count changed the result");
    assert_eq!(a, run(1, 3), "same seed, different result");
    assert_ne!(a.1, run(1, 4).1, "another seed should give other parameters");
}

#[test]
fn cancelling_stops_at_the_next_report() {
    let spec = small_spec();
    let mut eng = engine(&spec, 1);
    let mut calls = 0;
    let err = block_on(train(&mut eng, 1000, 10, &mut |p| {
        calls += 1;
        if p.iter >= 30 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }))
    .unwrap_err();
    assert_eq!(err, EngineError::Cancelled { iter: 30 });
    assert_eq!(calls, 3);
}

#[test]
fn a_diverging_run_stops_with_a_clear_error() {
    let mut spec = small_spec();
    spec.training.lr = 1.0; // validated range allows it; this net cannot take it
    let mut eng = engine(&spec, 1);
    // Poison one parameter as a diverged step would.
    let mut p = eng.params_ref().to_vec();
    p[0] = f32::NAN;
    collapse_lab::engine::Engine::set_params(&mut eng, &p);
    let err = block_on(train(&mut eng, 100, 10, &mut |_| ControlFlow::Continue(()))).unwrap_err();
    match &err {
        EngineError::Diverged { iter, loss } => assert!(*iter <= 10 && !loss.is_finite()),
        e => panic!("expected divergence, got {e:?}"),
    }
    assert!(err.to_string().contains("diverged"));
}

#[test]
fn full_experiment_with_exact_score_shows_no_collapse_and_is_reproducible() {
    let mut spec = ExperimentSpec::default();
    spec.dataset = Dataset::Mog;
    spec.sampling.exact_score = true;
    spec.sampling.n_samples = 3000;
    spec.metrics.eps = vec![0.05, 0.1];
    spec.data_size = Some(20_000);
    let r = block_on(experiment::run(&spec, &mut |_| ControlFlow::Continue(()))).unwrap();
    assert!(r.training.is_none());
    for name in ["ode", "sde"] {
        for (e, null) in r.tid[name].iter().zip(&r.tid_null) {
            let tid = e.point.tid.unwrap();
            let noise = null.tid_std.unwrap().max(null.point.tid.unwrap().abs());
            assert!(tid.abs() < 0.15 * e.point.alpha_train.unwrap(), "{name} e={}: TID {tid} (noise {noise})", e.point.eps);
        }
    }
    let again = block_on(experiment::run(&spec, &mut |_| ControlFlow::Continue(()))).unwrap();
    assert_eq!(serde_json::to_string(&r.tid).unwrap(), serde_json::to_string(&again.tid).unwrap());
    assert_eq!(r.samples, again.samples);
}
