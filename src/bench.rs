//! `collapse-lab bench`: the speed figures of the README, printed, not asserted. Every ratio is
//! measured side by side in one run (machines here are shared and noisy): the CPU engine, the
//! WGSL engine on the default adapter, and with `--torch-gpu PYTHON` PyTorch CUDA (eager and
//! CUDA graph, `shared/bench/torch_gpu_reference.py`) on the same model, or with `--torch
//! PYTHON` PyTorch on the CPU (`shared/bench/torch_reference.py`).

use crate::data::Dataset;
use crate::diffusion::ProcessKind;
use crate::engine::cpu::TimeRange;
use crate::engine::CpuEngine;
use crate::experiment;
use crate::spec::ExperimentSpec;
use crate::metrics::neighbour_counts;
use crate::parallel;
use crate::sample::{self, SamplerKind, TrainedNet};
use std::sync::Arc;
use std::time::Instant;

/// println! that ends quietly on a closed stdout (`bench | head`) and with an error on any other
/// failed write (crate::output::stdout_failed).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            crate::output::stdout_failed(e);
        }
    }};
}

const USAGE: &str = "\
collapse-lab bench [FLAGS]: ms per training step and GFLOP/s on each engine, batch scaling,
sampling and TID times, with PyTorch side by side where asked.

  --steps N              timed training steps per configuration (default 200)
  --threads T            CPU engine threads (default: all cores)
  --only LIST            parts to run: train,scaling,sample,tid (default all)
  --sample-n N           points sampled (default 100000)
  --tid-n N              points of the TID neighbour count (default 100000)
  --torch PYTHON         also time shared/bench/torch_reference.py (PyTorch on the CPU)
  --torch-gpu PYTHON     also time shared/bench/torch_gpu_reference.py (PyTorch CUDA)
  --bench-dir DIR        where the two scripts are (default ../shared/bench)
  --gpu-software         also time the GPU engine on a software adapter (lavapipe: correct,
                         100-300x slower than the CPU engine, many minutes); by default the GPU
                         engine is timed only on a hardware adapter
";

const FLAGS: &[&str] = &["--steps", "--threads", "--only", "--sample-n", "--tid-n", "--torch", "--torch-gpu", "--bench-dir", "--gpu-software"];

struct Opts {
    steps: usize,
    threads: usize,
    only: Vec<String>,
    sample_n: usize,
    tid_n: usize,
    torch: Option<String>,
    torch_gpu: Option<String>,
    bench_dir: String,
    gpu_software: bool,
}

fn parse(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts {
        steps: 200,
        threads: parallel::threads(),
        only: vec!["train".into(), "scaling".into(), "sample".into(), "tid".into()],
        sample_n: 100_000,
        tid_n: 100_000,
        torch: None,
        torch_gpu: None,
        bench_dir: "../shared/bench".into(),
        gpu_software: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--help" || a == "-h" || a == "help" {
            say!("{}", USAGE.trim_end());
            return Ok(None);
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        if !FLAGS.contains(&name) {
            return Err(format!("bench: unknown flag {a:?} (collapse-lab bench --help lists them)"));
        }
        if name == "--gpu-software" {
            o.gpu_software = true;
            continue;
        }
        let v = match inline {
            Some(v) => v,
            None => it.next().cloned().ok_or(format!("{name} needs a value"))?,
        };
        let count = |lo: usize, hi: usize| -> Result<usize, String> {
            let n: usize = v.trim().parse().map_err(|_| format!("{name}: expected an integer, got {v:?}"))?;
            if n < lo || n > hi {
                return Err(format!("{name}: must be in {lo}..={hi}, got {n}"));
            }
            Ok(n)
        };
        match name {
            "--steps" => o.steps = count(1, 100_000)?,
            "--threads" => o.threads = count(1, 256)?,
            "--sample-n" => o.sample_n = count(1, 10_000_000)?,
            "--tid-n" => o.tid_n = count(2, 1_000_000)?,
            "--only" => {
                o.only = v.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = o.only.iter().find(|p| !["train", "scaling", "sample", "tid"].contains(&p.as_str())) {
                    return Err(format!("--only: unknown part {bad:?}; expected train, scaling, sample or tid"));
                }
            }
            "--torch" => o.torch = Some(v),
            "--torch-gpu" => o.torch_gpu = Some(v),
            _ => o.bench_dir = v,
        }
    }
    Ok(Some(o))
}

/// One benchmarked training configuration: [x, t] -> depth x width tanh -> 2 on 500,000
/// chessboard points (the model of both PyTorch scripts).
#[derive(Clone, Copy)]
pub struct Config {
    pub width: usize,
    pub depth: usize,
    pub batch: usize,
}

impl Config {
    fn model(&self) -> (crate::nn::ScoreNet, crate::points::Points) {
        let mut spec = ExperimentSpec::default();
        spec.model.width = self.width;
        spec.model.depth = self.depth;
        (experiment::train::build_net(&spec), Dataset::Chessboard.generate(500_000, 0, 0))
    }

    /// Floating-point operations of one training step: the forward product, the weight
    /// gradient, and the input gradient of every layer but the first (2 per multiply-add).
    pub fn flops(&self) -> f64 {
        let mut sizes = vec![3];
        sizes.extend(std::iter::repeat_n(self.width, self.depth));
        sizes.push(2);
        let macs: Vec<f64> = sizes.windows(2).map(|w| (w[0] * w[1]) as f64).collect();
        let total: f64 = 2.0 * macs.iter().sum::<f64>() + macs[1..].iter().sum::<f64>();
        2.0 * self.batch as f64 * total
    }

    fn label(&self) -> String {
        format!("{}x{} tanh, batch {}", self.depth, self.width, self.batch)
    }
}

/// Milliseconds per training step of the CPU engine, after a warm-up; and the last loss.
pub fn cpu_ms_per_step(c: Config, steps: usize, threads: usize) -> (f64, f32) {
    parallel::set_threads(threads);
    let (net, data) = c.model();
    let mut eng = CpuEngine::new(net, Arc::new(data), c.batch, 5e-3, TimeRange::default(), 0);
    for _ in 0..5 {
        eng.step();
    }
    let t = Instant::now();
    let mut loss = 0.0;
    for _ in 0..steps {
        loss = eng.step();
    }
    parallel::set_threads(0);
    (1000.0 * t.elapsed().as_secs_f64() / steps as f64, loss)
}

/// The default adapter, if it is a hardware one or `software_ok`: a software adapter (lavapipe)
/// runs the kernels correctly but 100-300x slower than the CPU engine, so timing it by default
/// would make the benchmark run for a quarter of an hour and measure nothing of use.
fn gpu_context(software_ok: bool) -> Result<crate::engine::gpu::GpuContext, String> {
    let ctx = crate::engine::block_on(crate::engine::gpu::GpuContext::new())?;
    if ctx.software && !software_ok {
        return Err(format!("{} is a software adapter, not a speed reference; --gpu-software times it anyway", ctx.adapter));
    }
    Ok(ctx)
}

/// The WGSL engine on the default adapter: (adapter, ms per step), timed over `steps` steps
/// with one loss readback per block of 250 steps, as training does (report every 250), after a
/// warm-up block.
/// The GPU engine's ms per step, its CPU encoding time per step, and what each step asked of
/// the device (dispatches, submissions, writes, readbacks per step, in blocks of 250 steps with
/// one loss readback each).
pub fn gpu_ms_per_step(c: Config, steps: usize, software_ok: bool) -> Result<(String, f64, f64, [f64; 4]), String> {
    use crate::engine::gpu::GpuEngine;
    use crate::engine::{block_on, Engine};
    let ctx = gpu_context(software_ok)?;
    let name = ctx.adapter.clone();
    let (net, data) = c.model();
    let mut eng = GpuEngine::new(ctx, net, &data, c.batch, 5e-3, TimeRange::default(), 0)?;
    block_on(eng.train_steps(20)).map_err(|e| e.to_string())?;
    eng.encode_s = 0.0;
    let before = eng.gpu_counts().unwrap_or_default();
    let t = Instant::now();
    let mut done = 0;
    while done < steps {
        let n = (steps - done).min(250);
        block_on(eng.train_steps(n as u32)).map_err(|e| e.to_string())?;
        done += n;
    }
    let per = |s: f64| 1000.0 * s / steps as f64;
    let c = eng.gpu_counts().unwrap_or_default().since(&before);
    let each = |x: u64| x as f64 / steps.max(1) as f64;
    Ok((name, per(t.elapsed().as_secs_f64()), per(eng.encode_s), [each(c.dispatches), each(c.submissions), each(c.writes), each(c.readbacks)]))
}

/// PyTorch CUDA on the same model: (eager, CUDA graph) ms per step.
fn torch_gpu(py: &str, dir: &str, c: Config, steps: usize) -> Result<(f64, f64, String), String> {
    let script = format!("{dir}/torch_gpu_reference.py");
    let out = std::process::Command::new(py)
        .args([&script, "--steps", &steps.max(100).to_string()])
        .args(["--width", &c.width.to_string(), "--depth", &c.depth.to_string(), "--batch", &c.batch.to_string()])
        .output()
        .map_err(|e| format!("--torch-gpu {py}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let after = |key: &str| {
        text.lines()
            .find(|l| l.contains(key))
            .and_then(|l| l.split_whitespace().skip_while(|w| *w != "ms/step").nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    match (after("eager"), after("cuda-graph")) {
        (Some(e), Some(g)) => Ok((e, g, text.lines().next().unwrap_or("").split(" eager").next().unwrap_or("").to_string())),
        _ => Err(format!("{script} failed: {}{}", text, String::from_utf8_lossy(&out.stderr))),
    }
}

fn gflops(c: Config, ms: f64) -> f64 {
    c.flops() / (ms * 1e6)
}

fn train_rows(o: &Opts, configs: &[Config]) {
    let gpu_steps = o.steps;
    for &c in configs {
        say!("\n{} ({:.1} MFLOP per step)", c.label(), c.flops() / 1e6);
        // The CPU engine on a big net is slow: time fewer steps there.
        let cpu_steps = ((o.steps as f64 * 2e7 / c.flops()).ceil() as usize).clamp(3, o.steps);
        let (cpu, loss) = cpu_ms_per_step(c, cpu_steps, o.threads);
        say!("  cpu engine, {} thread(s): {cpu:9.3} ms/step  {:8.1} GFLOP/s  (loss {loss:.4})", o.threads, gflops(c, cpu));
        let gpu = match gpu_ms_per_step(c, gpu_steps, o.gpu_software) {
            Ok((name, g, enc, [dispatches, submissions, writes, readbacks])) => {
                say!(
                    "  gpu engine (WGSL), {name}: {g:9.3} ms/step  {:8.1} GFLOP/s  gpu/cpu = {:.2}x  (encoding on the CPU: {enc:.3} ms/step)",
                    gflops(c, g),
                    g / cpu
                );
                say!("    per step: {dispatches:.0} dispatches, {submissions:.3} submissions, {writes:.3} buffer writes, {readbacks:.4} readbacks");
                Some(g)
            }
            Err(why) => {
                say!("  gpu engine: not measured ({why})");
                None
            }
        };
        if let Some(py) = &o.torch_gpu {
            match torch_gpu(py, &o.bench_dir, c, gpu_steps) {
                Ok((eager, graph, who)) => {
                    say!("  {who}: eager {eager:.3} ms/step, cuda graph {graph:.3} ms/step");
                    if let Some(g) = gpu {
                        say!("  ratio wgsl / torch: {:.2}x eager, {:.2}x cuda graph  (< 1 means the lab is faster)", g / eager, g / graph);
                    }
                }
                Err(why) => say!("  torch cuda: {why}"),
            }
        }
        if let Some(py) = &o.torch {
            let script = format!("{}/torch_reference.py", o.bench_dir);
            let out = std::process::Command::new(py)
                .args([&script, "--steps", &cpu_steps.to_string(), "--threads", &o.threads.to_string()])
                .args(["--width", &c.width.to_string(), "--depth", &c.depth.to_string(), "--batch", &c.batch.to_string()])
                .output();
            let text = out.as_ref().map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
            let t = text.split_whitespace().skip_while(|w| *w != "ms/step").nth(1).and_then(|v| v.parse::<f64>().ok());
            match t {
                Some(t) => say!("  {}  torch cpu / cpu engine = {:.2}x (> 1 means the lab is faster)", text.trim(), t / cpu),
                None => say!("  torch cpu reference failed: {text} {:?}", out.err()),
            }
        }
    }
}

pub fn main(args: &[String]) -> Result<(), String> {
    let Some(o) = parse(args)? else { return Ok(()) };
    let part = |p: &str| o.only.iter().any(|x| x == p);
    say!("collapse-lab bench ({} cores available)", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    say!("model [x,t] -> depth x width tanh -> 2 on 500,000 chessboard points, Adam, eps-DSM (VP)");
    if part("train") {
        let paper = Config { width: 100, depth: 3, batch: 2000 };
        let seesaw = Config { width: 1000, depth: 2, batch: 2000 };
        let tiny = Config { width: 16, depth: 3, batch: 200 };
        say!("\n== training: the paper's 2D net, the see-saw net (appendix E.1), a tiny net");
        train_rows(&o, &[paper, seesaw, tiny]);
    }
    if part("scaling") {
        say!("\n== batch scaling of the paper net");
        train_rows(&o, &[200, 20_000].map(|batch| Config { width: 100, depth: 3, batch }));
    }
    if part("sample") {
        say!("\n== sampling {} points with the (untrained) paper net: CPU engine ({} threads), then GPU", o.sample_n, o.threads);
        parallel::set_threads(o.threads);
        let spec = ExperimentSpec::default();
        let net = experiment::train::build_net(&spec);
        let params = net.init_params(&mut crate::rng::stream(0, crate::rng::Stream::Init, 0));
        let flops_per_eval = 2.0 * net.n_params() as f64;
        let model = TrainedNet { net, params };
        let init = sample::initial_noise(o.sample_n, 2, 0);
        // ODE 100 steps and SDE 1000 steps from the same points and noise, on each engine.
        let runs = [(SamplerKind::Ode, 100), (SamplerKind::Sde, 1000)];
        let time_samplers = |run: &dyn Fn(&dyn sample::Sampler) -> Result<crate::points::Points, String>, on: &str, against: Option<&[crate::points::Points]>| {
            let mut out = Vec::new();
            for (r, (kind, steps)) in runs.into_iter().enumerate() {
                let t = Instant::now();
                let samples = match run(kind.build(steps, &Default::default()).as_ref()) {
                    Ok(s) => s,
                    Err(why) => {
                        say!("  {} {steps} steps{on}: failed ({why})", kind.name());
                        continue;
                    }
                };
                let s = t.elapsed().as_secs_f64();
                let gap = against.map_or(String::new(), |cpu| {
                    let d = cpu[r].data.iter().zip(&samples.data).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                    format!(", largest difference to the CPU's samples {d:.1e}")
                });
                say!(
                    "  {} {steps} steps{on}: {s:.2} s  ({:.1} GFLOP/s in the net{gap})",
                    kind.name(),
                    flops_per_eval * (o.sample_n * steps) as f64 / s / 1e9
                );
                out.push(samples);
            }
            out
        };
        let on_cpu = |s: &dyn sample::Sampler| Ok(sample::run(s, &model, &ProcessKind::Vp, &init, 0, 0));
        let cpu = time_samplers(&on_cpu, "", None);
        parallel::set_threads(0);
        // The same on the GPU: every point on the GPU from start to end.
        use crate::engine::block_on;
        use crate::engine::gpu::sampling::GpuSampler;
        match gpu_context(o.gpu_software).and_then(|ctx| GpuSampler::new(&ctx, std::slice::from_ref(&model), None, o.sample_n)) {
            Ok(gpu) => {
                let on_gpu = |s: &dyn sample::Sampler| {
                    block_on(gpu.run(s, &ProcessKind::Vp, &init, 0, 0, &Default::default())).map(|r| r.0).map_err(|e| e.to_string())
                };
                time_samplers(&on_gpu, &format!(" on the GPU engine ({})", gpu.describe()), Some(&cpu));
            }
            Err(why) => say!("  gpu sampling: not measured ({why})"),
        }
    }
    if part("tid") {
        say!("\n== TID neighbour counts");
        let pts = Dataset::Chessboard.generate(o.tid_n, 0, 1);
        for e in [0.01, 0.05, 0.1] {
            let t = Instant::now();
            let c = neighbour_counts(&pts, e);
            let mean = c.iter().map(|&v| v as f64).sum::<f64>() / c.len() as f64;
            say!(
                "  N = {} chessboard points, e = {e}: {:.1} ms (mean count {mean:.1})",
                o.tid_n,
                1000.0 * t.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
