//! `collapse-lab bench`: the speed figures of the README, printed, not asserted. Every ratio is
//! measured side by side in one run (machines here are shared and noisy): the CPU engine, the
//! WGSL engine on the default adapter, and with `--torch-gpu PYTHON` PyTorch CUDA (eager and
//! CUDA graph, `shared/bench/torch_gpu_reference.py`) on the same model, or with `--torch
//! PYTHON` PyTorch on the CPU (`shared/bench/torch_reference.py`).

use crate::data::Dataset;
use crate::diffusion::ProcessKind;
use crate::diffusion::TimeRange;
use crate::engine::CpuEngine;
use crate::experiment;
use crate::metrics::neighbour_counts;
use crate::parallel;
use crate::sample::{self, SamplerKind, TrainedNet};
use crate::spec::ExperimentSpec;
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

  --steps N              timed training steps per configuration (default 200; the nets part
                         times rounds of N/1000 seconds)
  --threads T            CPU engine threads (default: all cores)
  --only LIST            parts to run: train,scaling,sample,tid,nets (default all)
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

/// The parts of the benchmark, in the order they run.
const PARTS: &[&str] = &["train", "scaling", "sample", "tid", "nets"];

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

impl Opts {
    /// Seconds per timed figure where a part times rounds (`nets`): --steps / 1000, at least 0.05.
    fn budget_s(&self) -> f64 {
        (self.steps as f64 / 1000.0).max(0.05)
    }
}

fn parse(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts {
        steps: 200,
        threads: parallel::threads(),
        only: PARTS.iter().map(|p| p.to_string()).collect(),
        sample_n: 100_000,
        tid_n: 100_000,
        torch: None,
        torch_gpu: None,
        bench_dir: "../shared/bench".into(),
        gpu_software: false,
    };
    let mut it = args.iter();
    let mut seen: Vec<&str> = Vec::new();
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
        // A flag given twice would silently keep one of its values: refused before any work,
        // as every other command does (issue 55).
        if seen.contains(&name) {
            return Err(format!("{name} is given twice; give it once"));
        }
        seen.push(name);
        if name == "--gpu-software" {
            // A switch: bare, or =true / =false meaning what they say.
            o.gpu_software = match inline.as_deref() {
                None | Some("true") => true,
                Some("false") => false,
                Some(v) => return Err(format!("--gpu-software={v}: --gpu-software is a switch: give it bare, or --gpu-software=true / --gpu-software=false")),
            };
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
                if let Some(bad) = o.only.iter().find(|p| !PARTS.contains(&p.as_str())) {
                    return Err(format!("--only: unknown part {bad:?}; expected one of {}", PARTS.join(", ")));
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
        step_flops(&sizes, self.batch)
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
    use crate::engine::{Engine, block_on};
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
        text.lines().find(|l| l.contains(key)).and_then(|l| l.split_whitespace().skip_while(|w| *w != "ms/step").nth(1)).and_then(|v| v.parse::<f64>().ok())
    };
    match (after("eager"), after("cuda-graph")) {
        (Some(e), Some(g)) => Ok((e, g, text.lines().next().unwrap_or("").split(" eager").next().unwrap_or("").to_string())),
        _ => Err(format!("{script} failed: {}{}", text, String::from_utf8_lossy(&out.stderr))),
    }
}

/// Floating-point operations of one training step of an MLP with layer widths `sizes` (input
/// first): the forward product, the weight gradient, and the input gradient of every layer but
/// the first (2 per multiply-add).
fn step_flops(sizes: &[usize], batch: usize) -> f64 {
    let macs: Vec<f64> = sizes.windows(2).map(|w| (w[0] * w[1]) as f64).collect();
    let total: f64 = 2.0 * macs.iter().sum::<f64>() + macs[1..].iter().sum::<f64>();
    2.0 * batch as f64 * total
}

fn gflops(c: Config, ms: f64) -> f64 {
    c.flops() / (ms * 1e6)
}

fn train_rows(o: &Opts, configs: &[Config]) {
    let gpu_steps = o.steps;
    for &c in configs {
        say!("\n{} ({:.1} MFLOP per step)", c.label(), c.flops() / 1e6);
        // The CPU engine on a big net is slow: time fewer steps there.
        let cpu_steps = ((o.steps as f64 * 2e7 / c.flops()).ceil() as usize).max(3).min(o.steps);
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

/// Milliseconds per call of `f`, timed over at least `budget_s` seconds.
fn ms_per_call(budget_s: f64, mut f: impl FnMut()) -> f64 {
    let (t, mut n) = (Instant::now(), 0);
    while n == 0 || t.elapsed().as_secs_f64() < budget_s {
        f();
        n += 1;
    }
    1000.0 * t.elapsed().as_secs_f64() / n as f64
}

/// The middle of a list and its range, as "m (lo-hi)".
fn spread(mut v: Vec<f64>, digits: usize) -> (f64, String) {
    v.sort_by(f64::total_cmp);
    let m = v[v.len() / 2];
    (m, format!("{m:.digits$} ({:.digits$}-{:.digits$})", v[0], v[v.len() - 1]))
}

/// Many nets at once on the CPU engine (issue 43): how much one pass over a study's nets per
/// training step could gain at most, on this core. Such a pass cannot cut a FLOP (the nets have
/// their own weights and batches, so the products stay one per net), only the per-net overhead
/// around the products; so the study's training can get no faster than all its FLOPs run at the
/// peak of a plain SGEMM on the same core. Measured, in 5 rounds that each time everything once
/// (so that a round's figures share the machine's load): the CPU engine, one thread (a study runs
/// one net per core), ms per step of each cell of the quick Fig. 7 study; matrixmultiply's SGEMM
/// on the widest net's hidden product. Printed: each figure and the bound, as the middle round's
/// with the range over the rounds.
fn many_nets(o: &Opts) -> Result<(), String> {
    use crate::nn::gemm::{View, gemm};
    use crate::spec::presets::{Size, preset};
    const ROUNDS: usize = 5;
    let p = preset("fig7-seesaw").ok_or("no fig7-seesaw preset")?;
    let plan = crate::study::preset_plan(p, Size::Quick).map_err(|e| format!("the quick fig7-seesaw study: {e}"))?;
    say!(
        "\n== many nets at once (issue 43): the quick Fig. 7 study's {} nets on the CPU engine, 1 thread, {ROUNDS} rounds of >= {:.2} s per figure",
        plan.runs.len(),
        o.budget_s()
    );
    parallel::set_threads(1);
    // Each cell once (its seeds train the same shape for as long), on its first seed's data.
    struct Cell {
        cell: usize,
        label: String,
        flops: f64,
        engine: CpuEngine,
        ms: Vec<f64>,
    }
    let mut cells: Vec<Cell> = plan
        .runs
        .iter()
        .filter(|r| r.seed_index == 0)
        .map(|run| {
            let spec = &run.spec;
            let net = experiment::train::build_net(spec);
            let flops = step_flops(&net.main().sizes, spec.training.batch);
            let (lo, hi) = spec.nets()[0];
            let times = TimeRange { lo: lo as f32, hi: hi as f32, dist: spec.training.t_dist };
            let mut engine = CpuEngine::new(net, Arc::new(spec.data(spec.data_size())), spec.training.batch, spec.training.lr, times, spec.seed);
            engine.step(); // warm-up
            let settings = run.settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
            let nets = plan.runs.iter().filter(|r| r.cell == run.cell).count();
            Cell { cell: run.cell, label: format!("{settings:<22} {nets:>2} nets x {} steps", spec.training.iters), flops, engine, ms: Vec::new() }
        })
        .collect();
    // A sum over the study's runs of each run's steps times `per_step` of its cell.
    fn over_runs(plan: &crate::study::Plan, cells: &[Cell], per_step: impl Fn(&Cell) -> f64) -> f64 {
        plan.runs.iter().map(|r| r.spec.training.iters as f64 * cells.iter().find(|c| c.cell == r.cell).map_or(0.0, &per_step)).sum()
    }
    // The SGEMM: the widest net's hidden product (batch x width by width x width), and the same
    // with the batches of 8 nets stacked (the most rows a pass over 8 nets could hand it).
    let (width, batch) = plan.runs.iter().map(|r| (r.spec.model.width, r.spec.training.batch)).max().unwrap_or((1, 1));
    struct Product {
        m: usize,
        a: Vec<f32>,
        b: Vec<f32>,
        c: Vec<f32>,
        gflops: Vec<f64>,
    }
    let (k, n) = (width, width);
    let mut products: Vec<Product> = [batch, 8 * batch]
        .into_iter()
        .map(|m| Product {
            m,
            a: (0..m * k).map(|i| ((i % 7) as f32 - 3.0) * 0.1).collect(),
            b: (0..k * n).map(|i| ((i % 5) as f32 - 2.0) * 0.1).collect(),
            c: vec![0.0; m * n],
            gflops: Vec::new(),
        })
        .collect();
    let mut bounds = Vec::new();
    let (mut now_s, mut floor_s) = (Vec::new(), Vec::new());
    let flops = over_runs(&plan, &cells, |c| c.flops);
    for _ in 0..ROUNDS {
        for c in cells.iter_mut() {
            c.ms.push(ms_per_call(o.budget_s(), || {
                c.engine.step();
            }));
        }
        let mut peak = 0.0f64;
        for p in products.iter_mut() {
            let m = p.m;
            let ms = ms_per_call(o.budget_s(), || gemm(1.0, View::row_major(&p.a, m, k), View::row_major(&p.b, k, n), 0.0, &mut p.c));
            p.gflops.push(2.0 * (m * k * n) as f64 / (ms * 1e6));
            peak = peak.max(*p.gflops.last().unwrap());
        }
        // Core-seconds of the study's training this round: now (each run's steps at its cell's
        // time per step) and at the round's best SGEMM rate.
        let now = over_runs(&plan, &cells, |c| *c.ms.last().unwrap() / 1000.0);
        let floor = flops / (peak * 1e9);
        bounds.push(now / floor);
        now_s.push(now);
        floor_s.push(floor);
    }
    parallel::set_threads(0);
    for c in &cells {
        let (m, text) = spread(c.ms.clone(), 3);
        say!("  {}: {text} ms/step  {:6.1} GFLOP/s  ({:.1} MFLOP/step)", c.label, c.flops / (m * 1e6), c.flops / 1e6);
    }
    for p in &products {
        say!("  sgemm {}x{k} . {k}x{n} (matrixmultiply, 1 thread): {} GFLOP/s", p.m, spread(p.gflops.clone(), 1).1);
    }
    say!(
        "  the study's training: {:.1} TFLOP; {} core-seconds on the CPU engine, {} at the round's best sgemm rate",
        flops / 1e12,
        spread(now_s, 1).1,
        spread(floor_s, 1).1
    );
    let (bound, text) = spread(bounds.clone(), 2);
    let highest = bounds.iter().cloned().fold(0.0, f64::max);
    say!(
        "  one pass over many nets per step could make it at most {text}x faster (the goal is 2x): {}",
        if highest < 2.0 {
            "out of reach on this CPU in every round"
        } else if bound < 2.0 {
            "out of reach in the middle round, not in every round (a noisy machine: run it again)"
        } else {
            "not ruled out by this bound"
        }
    );
    Ok(())
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
        let time_samplers = |run: &dyn Fn(&dyn sample::Sampler) -> Result<crate::points::Points, String>,
                             on: &str,
                             against: Option<&[crate::points::Points]>| {
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
                say!("  {} {steps} steps{on}: {s:.2} s  ({:.1} GFLOP/s in the net{gap})", kind.name(), flops_per_eval * (o.sample_n * steps) as f64 / s / 1e9);
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
                let on_gpu =
                    |s: &dyn sample::Sampler| block_on(gpu.run(s, &ProcessKind::Vp, &init, 0, 0, &Default::default())).map(|r| r.0).map_err(|e| e.to_string());
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
            say!("  N = {} chessboard points, e = {e}: {:.1} ms (mean count {mean:.1})", o.tid_n, 1000.0 * t.elapsed().as_secs_f64());
        }
    }
    if part("nets") {
        many_nets(&o)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_names_the_parts_and_refuses_others() {
        let o = parse(&args(&["--only", "nets,tid"])).unwrap().unwrap();
        assert_eq!(o.only, ["nets", "tid"]);
        assert_eq!(parse(&args(&[])).unwrap().unwrap().only, PARTS);
        let e = parse(&args(&["--only", "train,gpus"])).err().unwrap();
        assert!(e.contains("--only") && e.contains("\"gpus\"") && e.contains("nets"), "{e}");
        assert_eq!(parse(&args(&["--steps", "10"])).unwrap().unwrap().budget_s(), 0.05);
        assert_eq!(parse(&args(&["--steps=2000"])).unwrap().unwrap().budget_s(), 2.0);
    }

    /// One training step's FLOPs: 2 x batch x (2 x every layer's multiply-adds + those of every
    /// layer but the first), the count the GFLOP/s of every part divide by.
    #[test]
    fn step_flops_counts_forward_weight_and_input_gradients() {
        // [x, t] -> 2 x 400 -> 1 at batch 500: layers of 800, 160000 and 400 multiply-adds.
        let macs = [800.0, 160_000.0, 400.0];
        let want = 2.0 * 500.0 * (2.0 * (macs[0] + macs[1] + macs[2]) + macs[1] + macs[2]);
        assert_eq!(step_flops(&[2, 400, 400, 1], 500), want);
        assert_eq!(Config { width: 100, depth: 3, batch: 2000 }.flops(), step_flops(&[3, 100, 100, 100, 2], 2000));
    }
}
