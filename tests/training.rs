//! Training through the public API: the DSM loss falls, and one seed gives one result.

use collapse_lab::data::Dataset;
use collapse_lab::diffusion::TimeRange;
use collapse_lab::engine::cpu::{ShardGrad, ShardHelpers, ShardSet, ShardSetup, set_shard_helpers, shard_owner};
use collapse_lab::engine::{CpuEngine, EngineError, block_on, train};
use collapse_lab::experiment::{self, train::build_net};
use collapse_lab::parallel;
use collapse_lab::spec::ExperimentSpec;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard};

/// The worker-thread count is one setting for the whole process, and the test harness runs
/// this file's tests side by side: every test that sets it holds this lock for as long as its
/// count must stay put (one test's `set_threads(0)` once reset another's `set_threads(1)`
/// mid-run, and the engine's name then said "2 threads").
fn thread_setting() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

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
    let _threads = thread_setting();
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
    let mut spec = ExperimentSpec { dataset: Dataset::Mog, ..Default::default() };
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

/// Helpers as the page's Web Workers are, in-process: each a ShardSet of its own, started with
/// the parameters and finished later; `fail_at` makes them fail from that step on.
struct LocalHelpers {
    sets: Vec<ShardSet>,
    pending: Vec<ShardGrad>,
    shards: usize,
    fail_at: Option<u32>,
    failed: bool,
}

impl ShardHelpers for LocalHelpers {
    fn count(&self) -> usize {
        self.sets.len()
    }
    fn start(&mut self, params: &[f32], step: u32) {
        let count = self.sets.len();
        self.failed = self.fail_at.is_some_and(|f| step >= f);
        self.pending = (0..self.shards).filter(|&i| shard_owner(i, count) != 0).map(|i| self.sets[shard_owner(i, count) - 1].grads(params, step, i)).collect();
    }
    fn finish(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<ShardGrad>, String>> + '_>> {
        let out = if self.failed { Err("helper 1 stopped".to_string()) } else { Ok(std::mem::take(&mut self.pending)) };
        Box::pin(async move { out })
    }
}

#[test]
fn helper_workers_give_the_bits_of_one_worker_and_a_failed_helper_changes_nothing() {
    let _threads = thread_setting();
    let mut spec = small_spec();
    spec.training.batch = 1700; // 4 shards, the last one short
    let run = |helpers: usize, fail_at: Option<u32>| {
        if helpers > 0 {
            set_shard_helpers(Some(Box::new(move |s: &ShardSetup| {
                let sets = (0..helpers).map(|_| ShardSet::new(s.net.clone(), s.data.clone(), s.batch, s.times, s.seed)).collect();
                Some(Box::new(LocalHelpers { sets, pending: Vec::new(), shards: s.shards, fail_at, failed: false }) as Box<dyn ShardHelpers>)
            })));
        }
        parallel::set_threads(1);
        let mut eng = engine(&spec, 5);
        set_shard_helpers(None);
        let workers = eng.workers();
        let r = block_on(train(&mut eng, 30, 10, &mut |_| ControlFlow::Continue(()))).unwrap();
        parallel::set_threads(0);
        (r.losses, eng.params_ref().to_vec(), workers, eng.helpers_lost().map(str::to_string))
    };
    let one = run(0, None);
    assert_eq!(one.2, 1);
    for h in [1, 2, 3, 5] {
        let many = run(h, None);
        assert_eq!(many.2, 1 + h);
        assert!(many.3.is_none());
        assert_eq!((&many.0, &many.1), (&one.0, &one.1), "{h} helpers changed the result");
    }
    let lost = run(2, Some(12));
    assert_eq!(lost.3.as_deref(), Some("helper 1 stopped"));
    assert_eq!((&lost.0, &lost.1), (&one.0, &one.1), "a failed helper changed the result");
}

/// Sampling helpers as the page's Web Workers are, in-process: each rebuilds the run's model
/// from the setup sent as JSON (the page's message) and answers with its blocks, their
/// recordings through JSON too; `fail_on` makes the helpers fail on that sampler run.
struct LocalSamplers {
    jobs: Vec<experiment::sampling::BlockJob>,
    pending: Vec<collapse_lab::sample::BlockOut>,
    runs: usize,
    fail_on: Option<usize>,
    failed: bool,
}

impl collapse_lab::sample::BlockHelpers for LocalSamplers {
    fn count(&self) -> usize {
        self.jobs.len()
    }
    fn start(&mut self, kind: collapse_lab::sample::SamplerKind, stream: u64, blocks: usize) {
        let count = self.jobs.len();
        self.failed = self.fail_on == Some(self.runs);
        self.runs += 1;
        self.pending = (1..=count)
            .flat_map(|h| {
                let mine: Vec<usize> = (0..blocks).filter(|b| b % (count + 1) == h).collect();
                self.jobs[h - 1].run(kind, stream, &mine)
            })
            .map(|mut o| {
                o.record = o.record.map(|r| serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap());
                o
            })
            .collect();
    }
    #[allow(clippy::type_complexity)]
    fn finish(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<collapse_lab::sample::BlockOut>, String>> + '_>> {
        let out = if self.failed { Err("helper 2 stopped".to_string()) } else { Ok(std::mem::take(&mut self.pending)) };
        Box::pin(async move { out })
    }
}

#[test]
fn sampling_helpers_give_the_bits_of_one_worker_and_a_failed_helper_changes_nothing() {
    use experiment::sampling::{BlockJob, SampleSetup, set_block_helpers};
    let _threads = thread_setting();
    let mut one_net = small_spec();
    one_net.training.iters = 40;
    one_net.sampling.n_samples = 2600; // 3 blocks, the last one short
    one_net.sampling.samplers = vec![collapse_lab::sample::SamplerKind::Ode, collapse_lab::sample::SamplerKind::Sde, collapse_lab::sample::SamplerKind::Pc];
    one_net.sampling.steps.insert(collapse_lab::sample::SamplerKind::Sde, 60);
    one_net.sampling.steps.insert(collapse_lab::sample::SamplerKind::Pc, 20);
    let mut two_nets = one_net.clone();
    two_nets.training.two_model = Some(0.6);
    let mut exact = one_net.clone();
    exact.dataset = Dataset::Mog;
    exact.sampling.exact_score = true;
    for spec in [one_net, two_nets, exact] {
        let run = |helpers: usize, fail_on: Option<usize>| {
            if helpers > 0 {
                set_block_helpers(Some(Box::new(move |s: &SampleSetup| {
                    let sent = serde_json::to_string(s).unwrap();
                    let got: serde_json::Value = serde_json::from_str(&sent).unwrap();
                    let jobs = (0..helpers)
                        .map(|_| {
                            let spec: ExperimentSpec = serde_json::from_value(got["spec"].clone()).unwrap();
                            BlockJob::new(spec, s.params, serde_json::from_value(got["plan"].clone()).unwrap()).unwrap()
                        })
                        .collect();
                    Some(Box::new(LocalSamplers { jobs, pending: Vec::new(), runs: 0, fail_on, failed: false }) as Box<dyn collapse_lab::sample::BlockHelpers>)
                })));
            }
            parallel::set_threads(1);
            let r = block_on(experiment::run(&spec, &mut |_| ControlFlow::Continue(()))).unwrap();
            set_block_helpers(None);
            parallel::set_threads(0);
            r
        };
        let alone = run(0, None);
        assert_eq!(alone.sampling_engine, "cpu (1 thread)");
        for (helpers, fail_on) in [(1, None), (2, None), (2, Some(1))] {
            let r = run(helpers, fail_on);
            assert_eq!(r.samples, alone.samples, "{helpers} helpers changed the samples");
            assert_eq!(serde_json::to_string(&r.recordings).unwrap(), serde_json::to_string(&alone.recordings).unwrap());
            assert_eq!(serde_json::to_string(&r.tid).unwrap(), serde_json::to_string(&alone.tid).unwrap());
            assert_eq!(r.sampling_engine, format!("cpu ({} workers)", helpers + 1));
            let noted = r.notes.iter().any(|n| n.contains("a helper worker failed while sampling (helper 2 stopped)"));
            assert_eq!(noted, fail_on.is_some(), "{:?}", r.notes);
        }
    }
}

/// Checkpoints along one run (`training.checkpoints`) are the nets of separate runs of those
/// lengths: the same samples, TID, marginal accuracy, diagnostics and loss, bit for bit — with
/// one net and with two nets split at t' (each net kept at its own iteration k).
#[test]
fn checkpoints_equal_separate_runs_of_those_lengths_bit_for_bit() {
    for two in [false, true] {
        let mut spec = ExperimentSpec { dataset: Dataset::Mog, ..Default::default() };
        spec.model.depth = 2;
        spec.model.width = 24;
        spec.training.batch = 256;
        spec.training.report_every = 50;
        spec.sampling.samplers = vec![collapse_lab::sample::SamplerKind::Ode, collapse_lab::sample::SamplerKind::Sde];
        spec.sampling.steps = [(collapse_lab::sample::SamplerKind::Ode, 20), (collapse_lab::sample::SamplerKind::Sde, 40)].into();
        spec.sampling.n_samples = 400;
        spec.data_size = Some(5000);
        spec.diagnostics.enabled = true;
        spec.diagnostics.points = 500;
        spec.diagnostics.trajectories = 16;
        spec.training.two_model = two.then_some(0.6);
        // The k x e grid too (issue 41 #10): measured at each checkpoint as for the final nets.
        spec.metrics.k_grid = vec![10, 400];
        spec.metrics.eps = vec![0.1, 0.2, 0.5];
        let mut long = spec.clone();
        long.training.iters = 400;
        long.training.checkpoints = vec![100, 250];
        let r = block_on(experiment::run(&long, &mut |_| ControlFlow::Continue(()))).unwrap();
        assert_eq!(r.checkpoints.iter().map(|c| c.iter).collect::<Vec<_>>(), [100, 250]);
        for c in &r.checkpoints {
            let mut short = spec.clone();
            short.training.iters = c.iter;
            let s = block_on(experiment::run(&short, &mut |_| ControlFlow::Continue(()))).unwrap();
            assert_eq!(json(&c.tid), json(&s.tid), "two={two} checkpoint {}: TID", c.iter);
            assert_eq!(json(&c.marginal_accuracy), json(&s.marginal_accuracy), "two={two} checkpoint {}", c.iter);
            assert_eq!(json(&c.diagnostics), json(&s.diagnostics), "two={two} checkpoint {}: diagnostics", c.iter);
            assert!(!c.tid_grid.is_empty(), "two={two} checkpoint {}: no k x e grid", c.iter);
            assert_eq!(json(&c.tid_grid), json(&s.tid_grid), "two={two} checkpoint {}: k x e grid", c.iter);
            for (name, x) in &c.samplers {
                assert_eq!((&x.mean, &x.variance), (&s.samplers[name].mean, &s.samplers[name].variance), "two={two} {name}");
            }
            assert_eq!(c.loss, Some(s.training.as_ref().unwrap().losses.last().unwrap().1), "two={two} checkpoint {}: loss", c.iter);
        }
        // A saved run keeps the checkpoints' nets: reopened, it measures them again and finds
        // the file's figures; an edited checkpoint figure is refused.
        let text = experiment::saved::save(&r).unwrap();
        let again = block_on(experiment::saved::open(&text).unwrap().reopen(&mut |_| ControlFlow::Continue(()))).unwrap();
        assert_eq!(json(&again.checkpoints[1].tid), json(&r.checkpoints[1].tid));
        let mut edited: serde_json::Value = serde_json::from_str(&text).unwrap();
        let v = edited["result"]["checkpoints"][0]["tid"]["ode"][2]["tid"].as_f64().unwrap();
        let sd = edited["result"]["checkpoints"][0]["tid"]["ode"][2]["tid_std"].as_f64().unwrap_or(0.0);
        edited["result"]["checkpoints"][0]["tid"]["ode"][2]["tid"] = (v + 0.5 + sd).into();
        let e = block_on(experiment::saved::open(&edited.to_string()).unwrap().reopen(&mut |_| ControlFlow::Continue(()))).unwrap_err();
        assert!(e.to_string().starts_with("checkpoints[0].tid.ode[2].tid is"), "{e}");
        // The run's own figures are unchanged by its checkpoints.
        let mut plain = long.clone();
        plain.training.checkpoints.clear();
        let p = block_on(experiment::run(&plain, &mut |_| ControlFlow::Continue(()))).unwrap();
        assert_eq!(serde_json::to_string(&p.tid).unwrap(), serde_json::to_string(&r.tid).unwrap());
    }
    // Refused, naming the field: off the report grid, not below iters, out of order, the exact score.
    for (k, bad) in [("checkpoints", "150"), ("checkpoints", "10000"), ("checkpoints", "500,200")] {
        let e = collapse_lab::spec::overrides::from_pairs([("iters", "1000"), (k, bad)]).unwrap_err();
        assert_eq!(e.field, "training.checkpoints", "{bad}: {e}");
    }
    let e = collapse_lab::spec::overrides::from_pairs([("dataset", "mog"), ("exact-score", "true"), ("checkpoints", "100")]).unwrap_err();
    assert_eq!(e.field, "training.checkpoints");
}

/// Figures compared as their JSON text: equal bits give equal text.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}
