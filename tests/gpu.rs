//! The WGSL engine against the CPU engine, on the very same shaders the page runs, through
//! Vulkan (Mesa's lavapipe on this CPU-only machine): same parameters and batch give the same
//! outputs, gradients and Adam updates; the GPU batch sampler draws the right distribution;
//! faults (NaN, a lost device) end in errors, not hangs.

use collapse_lab::data::Dataset;
use collapse_lab::diffusion::TimeRange;
use collapse_lab::diffusion::{Precond, Process, ProcessKind, Target, TimeDist};
use collapse_lab::engine::gpu::{GpuContext, GpuEngine};
use collapse_lab::engine::{CpuEngine, Engine, EngineError, block_on, train};
use collapse_lab::nn::{Activation, Adam, Parameterization, ScoreNet, ScoreNetCache, ScoreNetConfig};
use collapse_lab::points::Points;
use collapse_lab::rng::{self, Stream};
use std::ops::ControlFlow;
use std::sync::Arc;

fn context() -> GpuContext {
    block_on(GpuContext::new()).expect("a Vulkan adapter (mesa-vulkan-drivers' lavapipe; scripts/setup.sh vulkan installs it)")
}

fn net(dim: usize, depth: usize, width: usize, activation: Activation) -> ScoreNet {
    skip_net(dim, depth, width, activation, Parameterization::Plain)
}

fn skip_net(dim: usize, depth: usize, width: usize, activation: Activation, parameterization: Parameterization) -> ScoreNet {
    ScoreNet::new(ScoreNetConfig {
        dim,
        depth,
        width,
        activation,
        parameterization,
        process: ProcessKind::Vp,
        target: Default::default(),
        precond: Default::default(),
        sigma_data: 0.0,
    })
}

fn close(a: &[f32], b: &[f32], rel: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= rel * scale, "{what}[{i}]: gpu {x} vs cpu {y} (scale {scale})");
    }
}

#[test]
fn gpu_outputs_gradients_and_adam_updates_match_the_cpu_engine() {
    let ctx = context();
    eprintln!("adapter: {}", ctx.adapter);
    // Odd sizes exercise the tile edges: width 37, batch 300, input 3 + 1; width 515, batch 530
    // span many tiles (and a different number of batch slices in the weight gradient).
    // Every parameterisation: the skip connections' coefficients come from the loss kernel
    // (skip-fixed) or from two more MLPs of t (skip-learned), trained with the main net.
    let plain = Parameterization::Plain;
    let cases = Activation::ALL
        .map(|a| (a, 37, 300, plain))
        .into_iter()
        .chain([(Activation::Tanh, 515, 530, plain)])
        .chain([Parameterization::SkipFixed, Parameterization::SkipLearned].map(|p| (Activation::Silu, 37, 300, p)));
    for (act, width, batch, param) in cases {
        let (d, lr) = (3, 1e-3f32);
        let cpu_net = skip_net(d, 2, width, act, param);
        let data = Dataset::MogNd.generate(1000, d, 1);
        let mut gpu = GpuEngine::new(ctx.clone(), cpu_net.clone(), &data, batch, lr, TimeRange::default(), 7).unwrap();
        let mut params = block_on(gpu.params()).unwrap();
        assert_eq!(params, cpu_net.init_params(&mut rng::stream(7, Stream::Init, 0)), "same seed, same init");
        let mut adam = Adam::new(params.len(), lr);
        let mut r = rng::stream(3, Stream::Batches, 0);
        let mut cache = ScoreNetCache::default();
        for step in 0..if width > 100 { 2 } else { 4 } {
            let mut x = vec![0.0f32; batch * d];
            let mut eps = vec![0.0f32; batch * d];
            rng::fill_normal(&mut r, &mut x);
            rng::fill_normal(&mut r, &mut eps);
            let t: Vec<f32> = (0..batch).map(|_| rng::uniform(&mut r, 1e-3, 1.0)).collect();
            let mut input = Vec::new();
            for (row, &ti) in x.chunks_exact(d).zip(&t) {
                input.extend_from_slice(row);
                input.push(ti);
            }
            // Forward: eps(x, t) at one t.
            let want = cpu_net.forward(&params, &x, &vec![t[0]; batch], &mut cache).to_vec();
            let got = block_on(gpu.eps(&x, t[0])).unwrap();
            close(&got, &want, 1e-5, &format!("{act:?} {param:?} eps step {step}"));
            // Loss, gradients and the Adam update on the same batch.
            let mut grads = vec![0.0f32; params.len()];
            let loss = cpu_net.dsm_loss_grad(&params, &x, &t, &eps, 1.0 / batch as f32, &mut cache, &mut grads) / batch as f64;
            let gpu_loss = block_on(gpu.step_on_batch(&input, &eps)).unwrap();
            assert!((gpu_loss as f64 - loss).abs() < 1e-5 * loss, "{act:?} {param:?} loss {gpu_loss} vs {loss}");
            let gpu_grads = block_on(gpu.grads()).unwrap();
            close(&gpu_grads, &grads, 2e-5, &format!("{act:?} {param:?} grads step {step}"));
            if let Some(coef) = cpu_net.coef() {
                // The coefficient nets' gradients on their own scale, so they are really checked.
                let (lo, hi) = (coef[0].offset, cpu_net.n_params());
                close(&gpu_grads[lo..hi], &grads[lo..hi], 1e-4, &format!("{param:?} coefficient-net grads step {step}"));
            } else {
                assert!(param != Parameterization::SkipLearned, "{param:?}: the learned skip has no coefficient nets, so their gradients went unchecked");
            }
            adam.update(&mut params, &grads);
            let gpu_params = block_on(gpu.params()).unwrap();
            // Adam divides by sqrt(v): where a gradient is ~0 its sign is round-off, so compare
            // with a tolerance of a few learning rates' worth only on those.
            let off = gpu_params.iter().zip(&params).filter(|(a, b)| (*a - *b).abs() > 1e-6).count();
            assert!(off * 200 < params.len(), "{act:?} step {step}: {off} of {} parameters differ", params.len());
            assert!(gpu_params.iter().zip(&params).all(|(a, b)| (a - b).abs() <= 2.0 * lr * (step + 1) as f32));
            gpu.set_params(&params);
        }
    }
}

#[test]
fn gpu_batches_are_drawn_from_the_data_with_uniform_t_and_normal_eps() {
    let ctx = context();
    // Seven distinct 2D points, so each noised row can be traced back to one of them.
    let pts: Vec<f32> = (0..7).flat_map(|i| [i as f32 - 3.0, 0.5 * i as f32]).collect();
    let data = Points::new(2, pts.clone());
    for process in ProcessKind::ALL {
        let mut config = net(2, 1, 8, Activation::Tanh).config;
        config.process = process;
        let times = TimeRange::uniform(1e-3, process.t_max() as f32);
        let mut gpu = GpuEngine::new(ctx.clone(), ScoreNet::new(config), &data, 4000, 1e-3, times, 11).unwrap();
        let (input, eps) = block_on(gpu.draw_batch()).unwrap();
        let n = 4000;
        let ts: Vec<f64> = input.chunks_exact(3).map(|r| r[2] as f64).collect();
        let mean_t = ts.iter().sum::<f64>() / n as f64;
        assert!(ts.iter().all(|&t| t >= 1e-3 && t <= times.hi as f64));
        assert!((mean_t - 0.5 * (1e-3 + times.hi as f64)).abs() < 0.02, "{process:?} mean t {mean_t}");
        let m = eps.iter().map(|&v| v as f64).sum::<f64>() / eps.len() as f64;
        let v = eps.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / eps.len() as f64;
        assert!(m.abs() < 0.04 && (v - 1.0).abs() < 0.05, "{process:?} eps mean {m} var {v}");
        // x_t = alpha x_0 + sigma eps with x_0 one of the seven points, each drawn ~1/7 of the time.
        let mut hits = [0usize; 7];
        for (row, e) in input.chunks_exact(3).zip(eps.chunks_exact(2)) {
            let t = row[2] as f64;
            let (a, s) = (process.alpha(t), process.sigma(t));
            if a < 0.05 {
                continue; // x_0 is lost in the noise there: nothing to trace
            }
            let x0 = [(row[0] as f64 - s * e[0] as f64) / a, (row[1] as f64 - s * e[1] as f64) / a];
            let j = (0..7)
                .min_by(|&i, &k| {
                    let di = (x0[0] - pts[2 * i] as f64).abs() + (x0[1] - pts[2 * i + 1] as f64).abs();
                    let dk = (x0[0] - pts[2 * k] as f64).abs() + (x0[1] - pts[2 * k + 1] as f64).abs();
                    di.total_cmp(&dk)
                })
                .unwrap();
            let err = (x0[0] - pts[2 * j] as f64).abs() + (x0[1] - pts[2 * j + 1] as f64).abs();
            assert!(err < 2e-3 / a, "{process:?} t {t}: x_0 {x0:?} is no data point (off by {err})");
            hits[j] += 1;
        }
        let total: usize = hits.iter().sum();
        for h in hits {
            assert!((h as f64 / total as f64 - 1.0 / 7.0).abs() < 0.03, "{process:?} data rows drawn {hits:?}");
        }
        // The next step draws another batch.
        let next = block_on(gpu.draw_batch()).unwrap();
        assert_eq!(next.0, input, "draw_batch does not advance the step");
        block_on(gpu.train_steps(1)).unwrap();
        assert_ne!(block_on(gpu.draw_batch()).unwrap().0, input);
    }
}

/// One seed, one batch sequence: both engines draw every batch from the same counter-based
/// generator, so they train on the same rows and their runs differ only by float rounding.
#[test]
fn both_engines_draw_the_same_batches_and_train_alike() {
    let ctx = context();
    for process in ProcessKind::ALL {
        let data = Arc::new(Dataset::Mog.generate(20_000, 0, 2));
        let mut n = net(2, 3, 32, Activation::Tanh);
        n = ScoreNet::new(ScoreNetConfig { process, ..n.config });
        let times = TimeRange::uniform(1e-3, process.t_max() as f32);
        let mut gpu = GpuEngine::new(ctx.clone(), n.clone(), &data, 700, 5e-3, times, 4).unwrap();
        let cpu = CpuEngine::new(n, data.clone(), 700, 5e-3, times, 4);
        for step in 0..3u64 {
            let (gi, ge) = block_on(gpu.draw_batch()).unwrap();
            let (ci, ce) = cpu.batch_at(step);
            close(&ge, &ce, 1e-5, &format!("{process:?} eps of step {step}"));
            close(&gi, &ci, 1e-5, &format!("{process:?} [x_t, t] of step {step}"));
            block_on(gpu.train_steps(1)).unwrap();
        }
        // The x0 and v targets and logit-normal times: the same rows and targets.
        let mut designs = vec![
            (Target::X0, TimeDist::Uniform, Precond::None),
            (Target::V, TimeDist::LogitNormal, Precond::None),
            (Target::Eps, TimeDist::LogitNormal, Precond::None),
        ];
        if process == ProcessKind::Ve {
            designs.push((Target::X0, TimeDist::LogNormal, Precond::Edm));
        }
        for (target, dist, precond) in designs {
            let sigma_data = if precond == Precond::Edm { 0.6 } else { 0.0 };
            let n = ScoreNet::new(ScoreNetConfig { target, precond, sigma_data, ..cpu.net().config.clone() });
            let times = TimeRange { dist, ..times };
            let mut gpu = GpuEngine::new(ctx.clone(), n.clone(), &data, 700, 5e-3, times, 4).unwrap();
            let cpu = CpuEngine::new(n, data.clone(), 700, 5e-3, times, 4);
            let (gi, ge) = block_on(gpu.draw_batch()).unwrap();
            let (ci, ce) = cpu.batch_at(0);
            close(&ge, &ce, 1e-5, &format!("{process:?} {target:?} {dist:?} targets"));
            close(&gi, &ci, 1e-5, &format!("{process:?} {target:?} {dist:?} [x_t, t]"));
            let ts: Vec<f32> = gi.chunks_exact(3).map(|r| r[2]).collect();
            let mid = ts.iter().filter(|&&t| (0.25..0.75).contains(&t)).count() as f32 / ts.len() as f32;
            // sigmoid(N(0, 1)) puts 73% of the times in the middle half (uniform: 50%).
            if dist != TimeDist::LogNormal {
                assert!(if dist == TimeDist::LogitNormal { mid > 0.65 } else { mid < 0.6 }, "{dist:?}: {mid}");
            }
        }
        if process != ProcessKind::Vp {
            continue; // training on lavapipe is slow: one process trains
        }
        // Fresh engines: the same init and the same batches, step after step.
        let mut gpu = GpuEngine::new(ctx.clone(), cpu.net().clone(), &data, 700, 5e-3, times, 4).unwrap();
        let mut cpu = CpuEngine::new(cpu.net().clone(), data.clone(), 700, 5e-3, times, 4);
        let g = block_on(train(&mut gpu, 200, 40, &mut |_| ControlFlow::Continue(()))).unwrap();
        let c = block_on(train(&mut cpu, 200, 40, &mut |_| ControlFlow::Continue(()))).unwrap();
        let (g0, g1) = (g.losses[0].1, g.losses.last().unwrap().1);
        eprintln!("{process:?}: gpu {:?}\n  cpu {:?}, gpu {:.2} ms/step", g.losses, c.losses, g.ms_per_step);
        assert!(g1 < 0.8 * g0, "GPU loss went {g0} -> {g1}");
        // Adam amplifies round-off over hundreds of steps; the curves still agree to ~1e-5.
        for ((i, gl), (_, cl)) in g.losses.iter().zip(&c.losses) {
            assert!((gl - cl).abs() < 1e-3 * cl, "{process:?} step {i}: gpu loss {gl} vs cpu {cl}");
        }
    }
}

#[test]
fn gpu_divergence_and_a_lost_device_end_in_errors() {
    let ctx = context();
    let data = Dataset::Mog.generate(5000, 0, 2);
    let mut gpu = GpuEngine::new(ctx.clone(), net(2, 2, 16, Activation::Tanh), &data, 500, 5e-3, TimeRange::default(), 1).unwrap();
    let mut p = block_on(gpu.params()).unwrap();
    p[0] = f32::NAN;
    gpu.set_params(&p);
    match block_on(train(&mut gpu, 50, 10, &mut |_| ControlFlow::Continue(()))) {
        Err(EngineError::Diverged { iter, loss }) => assert!(iter == 1 && !loss.is_finite(), "{iter} {loss}"),
        other => panic!("expected divergence, got {other:?}"),
    }
    // A lost device: the next block fails with a device error instead of hanging.
    let mut gpu = GpuEngine::new(ctx.clone(), net(2, 2, 16, Activation::Tanh), &data, 500, 5e-3, TimeRange::default(), 1).unwrap();
    block_on(gpu.train_steps(5)).unwrap();
    ctx.lose();
    match block_on(gpu.train_steps(5)) {
        Err(EngineError::Device(m)) => assert!(!m.is_empty()),
        other => panic!("expected a device error, got {other:?}"),
    }
}

/// The see-saw variants train on the GPU too: a fixed t (the high-noise-only control) and the
/// two ranges of two-model training reach the batch kernel as each net's time range.
#[test]
fn gpu_batches_keep_to_a_fixed_t_and_to_each_two_model_range() {
    let ctx = context();
    let data = Points::new(2, (0..200).map(|i| (i % 13) as f32 * 0.1).collect());
    for (lo, hi) in [(1.0f32, 1.0f32), (1e-3, 0.6), (0.6, 1.0)] {
        let mut gpu = GpuEngine::new(ctx.clone(), net(2, 1, 8, Activation::Tanh), &data, 2000, 1e-3, TimeRange::uniform(lo, hi), 3).unwrap();
        let (input, _) = block_on(gpu.draw_batch()).unwrap();
        let ts: Vec<f32> = input.chunks_exact(3).map(|r| r[2]).collect();
        if lo == hi {
            assert!(ts.iter().all(|&t| t == lo), "fixed t: {:?}", &ts[..4]);
        } else {
            assert!(ts.iter().all(|&t| t >= lo && t < hi + 1e-6), "t outside [{lo}, {hi})");
            let mean = ts.iter().map(|&t| t as f64).sum::<f64>() / ts.len() as f64;
            assert!((mean - 0.5 * (lo + hi) as f64).abs() < 0.02, "mean t {mean} in [{lo}, {hi})");
        }
        let loss = block_on(gpu.train_steps(5)).unwrap();
        assert!(loss.is_finite());
    }
}

/// The samplers on the GPU (`shaders/sample.wgsl` running `sample::ops`): every point on the
/// GPU, the noise from the same counter-based generator; the samples and the recording equal
/// the CPU samplers' to float tolerance, for all six samplers (two Langevin steps per level),
/// with the denoising step, one net and two nets split at t', each parameterisation, a
/// dimension that splits Box–Muller pairs across rows, forward passes in chunks that do not
/// divide the points, and blocks of which the last is partial.
#[test]
fn gpu_sampling_matches_the_cpu_samplers() {
    use collapse_lab::engine::gpu::sampling::GpuSampler;
    use collapse_lab::sample::{self, EpsModel, RecordPlan, RunOptions, SamplerKind, SamplerSettings, SplitEps, TrainedNet};
    let ctx = context();
    let trained = |dim: usize, parameterization: Parameterization, target: Target, process: ProcessKind, seed: u64| {
        let ds = if dim == 2 { Dataset::Mog } else { Dataset::MogNd };
        let data = Arc::new(ds.generate(5000, dim, 2));
        let n = skip_net(dim, 2, 24, Activation::Silu, parameterization);
        let (precond, sigma_data) = if process == ProcessKind::Ve { (Precond::Edm, 0.7) } else { (Precond::None, 0.0) };
        let n = ScoreNet::new(ScoreNetConfig { target, process, precond, sigma_data, ..n.config });
        let mut cpu = CpuEngine::new(n, data, 256, 5e-3, TimeRange::default(), seed);
        for _ in 0..60 {
            cpu.step();
        }
        TrainedNet { net: cpu.net().clone(), params: cpu.params_ref().to_vec() }
    };
    let settings = SamplerSettings { snr: 0.16, corrector_steps: 2, ..Default::default() };
    let plan = RecordPlan { coordinate: 0, lo: -3.0, hi: 3.0, bins: 24, times: vec![1.0, 0.5, 0.0], trajectories: 5 };
    let n = 2500; // three blocks, the last one partial
    let cases = [
        ("one net", 2, Parameterization::Plain, Target::Eps, ProcessKind::Vp, false),
        ("two nets", 2, Parameterization::Plain, Target::Eps, ProcessKind::Vp, true),
        ("skip-fixed, 3-D", 3, Parameterization::SkipFixed, Target::Eps, ProcessKind::Vp, false),
        ("skip-learned", 2, Parameterization::SkipLearned, Target::Eps, ProcessKind::Vp, false),
        ("x0 target", 2, Parameterization::Plain, Target::X0, ProcessKind::Vp, false),
        ("v target, two nets", 2, Parameterization::Plain, Target::V, ProcessKind::Vp, true),
        ("EDM: ve, x0, edm preconditioning", 2, Parameterization::Plain, Target::X0, ProcessKind::Ve, false),
    ];
    for (label, dim, parameterization, target, process, two) in cases {
        let (a, b) = (trained(dim, parameterization, target, process, 1), trained(dim, parameterization, target, process, 2));
        let split = SplitEps { low: Box::new(&a), high: Box::new(&b), split: 0.5 };
        let (nets, cpu): (Vec<TrainedNet>, &dyn EpsModel) = if two { (vec![a.clone(), b.clone()], &split) } else { (vec![a.clone()], &a) };
        let gpu = GpuSampler::with_rows(&ctx, &nets, two.then_some(0.5), n, 1100).unwrap();
        let init = sample::initial_points(&process, n, dim, 9);
        for kind in SamplerKind::ALL {
            let sampler = kind.build(12, &settings);
            let opts = RunOptions { denoise: true, record: Some(&plan), start: None };
            let (want, want_rec) = sample::run_with(&sample::SampleJob {
                sampler: sampler.as_ref(),
                model: cpu,
                process: &process,
                init: &init,
                seed: 3,
                stream: kind as u64,
                opts: &opts,
            });
            let (got, got_rec) = block_on(gpu.run(sampler.as_ref(), &process, &init, 3, kind as u64, &opts)).unwrap();
            let worst = got.data.iter().zip(&want.data).map(|(g, w)| (g - w).abs() / (1.0 + w.abs())).fold(0.0f32, f32::max);
            eprintln!("{label} {kind:?}: largest difference {worst:.2e}");
            assert!(worst < 1e-4, "{label} {kind:?}: GPU and CPU samples differ by {worst}");
            let (g, w) = (got_rec.unwrap(), want_rec.unwrap());
            assert_eq!((&g.times, g.trajectory_points), (&w.times, w.trajectory_points), "{label} {kind:?} recording");
            close(&g.trajectories, &w.trajectories, 1e-4, &format!("{label} {kind:?} trajectories"));
            for (s, (hg, hw)) in g.histograms.iter().zip(&w.histograms).enumerate() {
                // A point within rounding of a bin edge may fall on either side.
                let moved: u32 = hg.iter().zip(hw).map(|(a, b)| a.abs_diff(*b)).sum::<u32>() + g.outside[s].abs_diff(w.outside[s]);
                assert!(moved <= 2, "{label} {kind:?}: histogram {s} differs by {moved} counts");
            }
        }
    }
    // A seed and stream give the same samples on the GPU each time, and another stream others.
    let a = trained(2, Parameterization::Plain, Target::Eps, ProcessKind::Vp, 1);
    let gpu = GpuSampler::new(&ctx, std::slice::from_ref(&a), None, n).unwrap();
    let init = sample::initial_noise(n, 2, 9);
    let sde = SamplerKind::Sde.build(20, &settings);
    let run = |stream: u64| block_on(gpu.run(sde.as_ref(), &ProcessKind::Vp, &init, 3, stream, &RunOptions::default())).unwrap().0;
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

/// Points far from the data (a sampler's stray paths) drive tanh's argument far past where it
/// is 1 in f32: the GPU must answer what the CPU does, not NaN (SwiftShader's tanh did).
#[test]
fn far_out_points_give_the_cpus_eps_on_the_gpu() {
    use collapse_lab::sample::{EpsModel, TrainedNet};
    let ctx = context();
    let n = net(2, 2, 24, Activation::Tanh);
    let params = n.init_params(&mut rng::stream(4, Stream::Init, 0));
    let a = TrainedNet { net: n.clone(), params: params.clone() };
    let x: Vec<f32> = (0..400).map(|i| (i as f32 - 200.0) * 50.0).collect();
    let dummy = Points::new(2, vec![0.0; 2]);
    let mut gpu = GpuEngine::new(ctx, n, &dummy, 200, 0.0, TimeRange::default(), 0).unwrap();
    gpu.set_params(&params);
    for t in [1.0f32, 0.1] {
        let got = block_on(gpu.eps(&x, t)).unwrap();
        let mut want = vec![0.0f32; x.len()];
        a.eps(&x, t, &mut want, &mut ScoreNetCache::default());
        assert!(got.iter().all(|v| v.is_finite()), "non-finite eps on the GPU at t = {t}");
        close(&got, &want, 1e-4, "eps at |x| up to 1e4");
    }
}

/// What a run asks of the device (issue 43): at most one queue submission per training step,
/// no readback between loss reports, and one readback for each sampler's whole run (samples,
/// histograms and trajectories together). The counts are in the run's result.
#[test]
fn a_gpu_run_submits_once_per_many_steps_and_reads_back_only_at_reports() {
    use collapse_lab::experiment::{self, Backend};
    use collapse_lab::spec::ExperimentSpec;
    let mut spec = ExperimentSpec { dataset: Dataset::Mog, ..Default::default() };
    spec.model.width = 32;
    spec.training.iters = 300;
    spec.training.report_every = 100;
    spec.training.batch = 256;
    spec.sampling.n_samples = 300;
    spec.sampling.samplers = vec![collapse_lab::sample::SamplerKind::Ode, collapse_lab::sample::SamplerKind::Sde];
    let ctx = context();
    let r = block_on(experiment::run_with(&spec, Backend::Gpu(ctx), None, &mut |_| ControlFlow::Continue(()))).unwrap();
    let g = r.training.as_ref().unwrap().gpu.clone().expect("GPU training reports its device work");
    eprintln!("training: {g:?}");
    assert!(g.submissions_per_step <= 1.0 && g.submissions_per_step > 0.0, "{g:?}");
    // Three reports of 100 steps: three loss readbacks, none in between.
    assert_eq!((g.readbacks_per_step * 300.0).round(), 3.0, "{g:?}");
    assert_eq!(g.readbacks_between_reports, 0, "{g:?}");
    assert!(g.dispatches_per_step >= 5.0, "{g:?}");
    for (name, s) in &r.samplers {
        let c = s.gpu.expect("GPU sampling reports its device work");
        eprintln!("{name}: {} steps, {c:?}", s.steps);
        assert_eq!(c.readbacks, 1, "{name}: {c:?}");
        assert!(c.submissions as usize <= s.steps, "{name}: {c:?}");
    }
}

/// Issue 55: two jobs on one GPU (`study --jobs 2`) count their device work apart: each run's
/// dispatches, submissions, writes and readbacks per step, in training and in sampling, are
/// those of the same run with `--jobs 1` (they were summed into each other, doubling them, and
/// readbacks between reports went from 0 to 3). Tiny runs: lavapipe is slow.
#[test]
fn gpu_counts_with_two_jobs_are_each_runs_own() {
    use collapse_lab::experiment::Backend;
    use collapse_lab::study::{self, Axis, batch};
    let ctx = context();
    let base = collapse_lab::spec::overrides::from_pairs([
        ("dataset", "mog"),
        ("depth", "1"),
        ("iters", "400"),
        ("batch", "64"),
        ("report-every", "100"),
        ("n-samples", "100"),
        ("samplers", "ode"),
        ("steps", "ode=40"),
        ("eps", "0.1"),
    ])
    .unwrap();
    let plan = study::plan(&base, vec![Axis::parse("width=8,9").unwrap()], 1).unwrap();
    let counts = |jobs: usize| {
        let (mut records, error) = batch::run(&plan, Vec::new(), jobs, Backend::Gpu(ctx.clone()), &batch::Work::study().together(1), &|_| Ok(()));
        assert!(error.is_none(), "{error:?}");
        records.sort_by_key(|r| r.index);
        records
            .iter()
            .map(|r| {
                let v = r.result.as_ref().unwrap_or_else(|| panic!("run {}: {:?}", r.index, r.error));
                (v["training"]["gpu"].clone(), v["samplers"]["ode"]["gpu"].clone())
            })
            .collect::<Vec<_>>()
    };
    let one = counts(1);
    let two = counts(2);
    eprintln!("--jobs 1: {one:?}\n--jobs 2: {two:?}");
    assert_eq!(one.len(), 2);
    for (training, sampling) in &one {
        assert!(training["dispatches_per_step"].as_f64().is_some_and(|d| d > 0.0), "{training}");
        assert_eq!(training["readbacks_between_reports"], 0, "{training}");
        assert_eq!(sampling["readbacks"], 1, "{sampling}");
    }
    assert_eq!(one, two, "device work per run with --jobs 1 against --jobs 2");
}

/// Issue 43, many nets at once: a study's nets trained side by side on the GPU (every net's
/// steps of a block in one submission per 64 steps, all their losses in one readback) are the
/// nets each run trains alone, bit for bit. A study over widths and the two-model split (one
/// net and two per run, 12 nets) on the GPU engine, jobs of up to 8 nets against each group
/// alone: the same figures run by run; the runs trained together say so, with fewer
/// dispatches, submissions and readbacks per step of a net than alone.
#[test]
fn nets_trained_side_by_side_on_the_gpu_equal_nets_trained_alone() {
    use collapse_lab::experiment::Backend;
    use collapse_lab::study::{self, Axis, batch};
    let ctx = context();
    let base = collapse_lab::spec::overrides::from_pairs([
        ("dataset", "mog"),
        ("depth", "2"),
        ("iters", "120"),
        ("batch", "64"),
        ("report-every", "40"),
        ("checkpoints", "80"),
        ("n-samples", "200"),
        ("samplers", "ode"),
        ("steps", "ode=10"),
        ("eps", "0.05,0.1"),
    ])
    .unwrap();
    let axes = vec![Axis::parse("width=8,16").unwrap(), Axis::parse("two-model=none,0.6").unwrap()];
    let plan = study::plan(&base, axes, 2).unwrap();
    let runs = |together: usize| {
        let work = batch::Work::study().together(together);
        let (mut records, error) = batch::run(&plan, Vec::new(), 1, Backend::Gpu(ctx.clone()), &work, &|_| Ok(()));
        assert!(error.is_none(), "{error:?}");
        records.sort_by_key(|r| r.index);
        records
    };
    let before = ctx.counts();
    let alone = runs(1);
    let mid = ctx.counts();
    let together = runs(8);
    let after = ctx.counts();
    assert_eq!(alone.len(), 8);
    assert_eq!(study::share::jobs(&plan, &(0..8).collect::<Vec<_>>(), 8).len(), 2, "12 nets in jobs of up to 8");
    for (a, t) in alone.iter().zip(&together) {
        assert!(a.error.is_none() && t.error.is_none(), "{:?} {:?}", a.error, t.error);
        // Every figure but the times.
        let figures = |r: &study::RunRecord| {
            r.metrics.iter().filter(|(k, _)| !k.ends_with("_s") && *k != "ms_per_step").map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>()
        };
        assert!(figures(a).len() >= 4, "{:?}", a.metrics);
        assert_eq!(figures(a), figures(t), "run {} ({:?}): side by side against alone", a.index, a.settings);
        let res = t.result.as_ref().unwrap();
        let note = res["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().starts_with("trained side by side with the nets of"));
        assert!(note, "run {}: no note of the shared training: {}", t.index, res["notes"]);
        // A two-net model's report is the two nets' combined; each net's own carries the work.
        let gpu = if res["training"]["gpu"].is_null() { &res["training_nets"][0]["report"]["gpu"] } else { &res["training"]["gpu"] };
        let nets = gpu["together"].as_u64().unwrap_or(1);
        assert!(nets >= 2, "run {}: trained with {nets} net(s): {gpu}", t.index);
        let (ra, rt) = (&a.result.as_ref().unwrap()["training"]["losses"], &res["training"]["losses"]);
        assert_eq!(ra, rt, "run {}: losses", t.index);
    }
    let (one, many) = (mid.since(&before), after.since(&mid));
    eprintln!("alone: {one:?}; side by side: {many:?}");
    // The nets of one shape in a job share every dispatch of their training.
    assert!(many.dispatches * 2 < one.dispatches, "dispatches: {} side by side against {} alone", many.dispatches, one.dispatches);
    assert!(many.submissions * 2 < one.submissions, "submissions: {} side by side against {} alone", many.submissions, one.submissions);
    assert!(many.readbacks < one.readbacks, "readbacks: {} side by side against {} alone", many.readbacks, one.readbacks);
}

/// Nets of one shape in one engine (`GpuEngine::new_many`): every kernel serves all of them in
/// one dispatch, and each is the net trained alone from its setup, bit for bit: three nets with
/// their own data sets, seeds, learning rates and time ranges (one at a fixed t), plain and with
/// the learned skip's coefficient nets, over more steps than one submission holds, a batch
/// that gives several gradient copies, and one net that diverges while the others go on.
#[test]
fn nets_in_one_dispatch_equal_nets_trained_alone() {
    use collapse_lab::engine::gpu::NetSetup;
    let ctx = context();
    let data: Vec<Points> = (0..3).map(|k| Dataset::Mog.generate(3000, k, 2)).collect();
    let setups = [
        NetSetup { data: &data[0], lr: 5e-3, times: TimeRange::default(), seed: 1 },
        NetSetup { data: &data[1], lr: 2e-3, times: TimeRange::uniform(1.0, 1.0), seed: 2 },
        NetSetup { data: &data[2], lr: 1e-2, times: TimeRange::uniform(1e-3, 0.6), seed: (7u64 << 32) | 3 },
    ];
    for n in [net(2, 2, 24, Activation::Tanh), skip_net(2, 2, 24, Activation::Silu, Parameterization::SkipLearned)] {
        let (batch, steps) = (300, 70);
        let before = ctx.counts();
        let mut many = GpuEngine::new_many(ctx.clone(), n.clone(), &setups, batch).unwrap();
        assert_eq!(many.nets(), 3);
        let together = block_on(GpuEngine::train_steps_together(&mut [&mut many], steps)).unwrap();
        let params = block_on(GpuEngine::params_together(&[&mut many])).unwrap();
        let shared = ctx.counts().since(&before);
        for (i, s) in setups.iter().enumerate() {
            let before = ctx.counts();
            let mut alone = GpuEngine::new(ctx.clone(), n.clone(), s.data, batch, s.lr, s.times, s.seed).unwrap();
            let loss = block_on(alone.train_steps(steps)).unwrap();
            let own = ctx.counts().since(&before);
            assert_eq!(together[i].as_ref().unwrap().to_bits(), loss.to_bits(), "net {i}: mean loss");
            assert_eq!(params[i], block_on(alone.params()).unwrap(), "net {i}: parameters");
            // One dispatch serves the three nets: as many dispatches as one net alone.
            assert_eq!(shared.dispatches, own.dispatches, "net {i}: dispatches");
        }
    }
    // One net diverges (its data holds a NaN): its error is its own, the others train on.
    let mut bad = data[1].clone();
    bad.data[0] = f32::NAN;
    let mut setups_bad = setups;
    setups_bad[1].data = &bad;
    let n = net(2, 2, 24, Activation::Tanh);
    let mut many = GpuEngine::new_many(ctx.clone(), n.clone(), &setups_bad, 3000).unwrap();
    let got = block_on(GpuEngine::train_steps_together(&mut [&mut many], 20)).unwrap();
    assert!(matches!(got[1], Err(EngineError::Diverged { .. })), "{:?}", got[1]);
    let mut alone = GpuEngine::new(ctx.clone(), n, setups[2].data, 3000, setups[2].lr, setups[2].times, setups[2].seed).unwrap();
    assert_eq!(got[2].as_ref().unwrap().to_bits(), block_on(alone.train_steps(20)).unwrap().to_bits());
    // Nets of one dispatch need data sets of one size and one law of t.
    let small = Dataset::Mog.generate(100, 0, 2);
    let mut mixed = setups;
    mixed[0].data = &small;
    let e = GpuEngine::new_many(ctx.clone(), net(2, 1, 8, Activation::Tanh), &mixed, 100).err().unwrap();
    assert!(e.contains("one size"), "{e}");
}
