//! `collapse-lab bench`: the speed figures of the README, printed, not asserted. With
//! `--torch PYTHON` it also runs the PyTorch reference (shared/bench/torch_reference.py) in the
//! same run and prints the ratio, since machines here are shared and noisy.

use crate::data::Dataset;
use crate::diffusion::ProcessKind;
use crate::engine::cpu::TimeRange;
use crate::engine::CpuEngine;
use crate::experiment::{self, ExperimentSpec};
use crate::metrics::neighbour_counts;
use crate::parallel;
use crate::sample::{self, SamplerKind, TrainedNet};
use std::sync::Arc;
use std::time::Instant;

fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            let v = args.get(i + 1).ok_or(format!("{name} needs a value"))?;
            v.parse().map_err(|_| format!("{name}: cannot parse {v:?}"))
        }
    }
}

/// The benchmarked paper model at the given size, and 500,000 chessboard points.
fn bench_model(width: usize, depth: usize) -> (crate::nn::ScoreNet, crate::points::Points) {
    let mut spec = ExperimentSpec::default();
    spec.model.width = width;
    spec.model.depth = depth;
    (experiment::run::build_net(&spec), Dataset::Chessboard.generate(500_000, 0, 0))
}

/// Milliseconds per training step of the given model, after a warm-up.
pub fn train_ms_per_step(width: usize, depth: usize, batch: usize, steps: usize, threads: usize) -> (f64, f32) {
    parallel::set_threads(threads);
    let (net, data) = bench_model(width, depth);
    let mut eng = CpuEngine::new(net, Arc::new(data), batch, 5e-3, TimeRange::default(), 0);
    for _ in 0..20 {
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

/// The WGSL engine on the default adapter: (adapter, ms per step) over `steps` steps, read back
/// in blocks of 25 as training does, after a warm-up block.
pub fn gpu_ms_per_step(width: usize, depth: usize, batch: usize, steps: usize) -> Result<(String, f64), String> {
    use crate::engine::gpu::{GpuContext, GpuEngine};
    use crate::engine::{block_on, Engine};
    let ctx = block_on(GpuContext::new())?;
    let name = ctx.adapter.clone();
    let (net, data) = bench_model(width, depth);
    let mut eng = GpuEngine::new(ctx, net, &data, batch, 5e-3, TimeRange::default(), 0)?;
    block_on(eng.train_steps(25)).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let mut done = 0;
    while done < steps {
        let n = (steps - done).min(25);
        block_on(eng.train_steps(n as u32)).map_err(|e| e.to_string())?;
        done += n;
    }
    Ok((name, 1000.0 * t.elapsed().as_secs_f64() / steps as f64))
}

pub fn main(args: &[String]) -> Result<(), String> {
    let steps: usize = flag(args, "--steps", 300)?;
    let tid_n: usize = flag(args, "--tid-n", 100_000)?;
    let width: usize = flag(args, "--width", 100)?;
    let depth: usize = flag(args, "--depth", 3)?;
    let batch: usize = flag(args, "--batch", 2000)?;
    let threads: usize = flag(args, "--threads", parallel::threads())?;
    let torch: Option<String> = args.iter().position(|a| a == "--torch").and_then(|i| args.get(i + 1).cloned());
    let script: String = flag(args, "--torch-script", "../shared/bench/torch_reference.py".to_string())?;
    if steps == 0 || tid_n < 2 || threads == 0 {
        return Err("--steps, --threads must be >= 1 and --tid-n >= 2".into());
    }

    println!("collapse-lab bench ({} cores available)", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    println!("model [x,t] -> {depth} x {width} tanh -> 2, batch {batch}, Adam; {steps} timed steps after 20 warm-up");
    let (ms, loss) = train_ms_per_step(width, depth, batch, steps, threads);
    println!("train  cpu engine, {threads} thread(s): {ms:.3} ms/step  (loss {loss:.4})");
    let (ms1, _) = train_ms_per_step(width, depth, batch, steps, 1);
    println!("train  cpu engine, 1 thread:   {ms1:.3} ms/step");
    match gpu_ms_per_step(width, depth, batch, steps.min(100)) {
        Ok((name, g)) => println!("train  gpu engine (WGSL), {name}: {g:.3} ms/step  (gpu time / cpu engine time = {:.2}x)", g / ms),
        Err(why) => println!("train  gpu engine: not measured ({why})"),
    }
    if let Some(py) = torch {
        let out = std::process::Command::new(&py)
            .args([&script, "--steps", &steps.to_string(), "--threads", &threads.to_string()])
            .args(["--width", &width.to_string(), "--depth", &depth.to_string(), "--batch", &batch.to_string()])
            .output()
            .map_err(|e| format!("--torch {py}: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let torch_ms = text
            .split_whitespace()
            .skip_while(|w| *w != "ms/step")
            .nth(1)
            .and_then(|v| v.parse::<f64>().ok());
        match torch_ms {
            Some(t) => {
                println!("train  {}", text.trim());
                println!("ratio  torch / collapse-lab = {:.2}x  (> 1 means the lab is faster)", t / ms);
            }
            None => println!("torch reference failed: {}{}", text, String::from_utf8_lossy(&out.stderr)),
        }
    }

    // Sampling throughput with the (untrained) paper model.
    let spec = ExperimentSpec::default();
    let net = experiment::run::build_net(&spec);
    let params = net.init_params(&mut crate::rng::stream(0, crate::rng::Stream::Init, 0));
    let model = TrainedNet { net, params };
    let init = sample::initial_noise(2000, 2, 0);
    let t = Instant::now();
    let _ = sample::run(SamplerKind::Ode.build(100, &Default::default()).as_ref(), &model, &ProcessKind::Vp, &init, 0, 0);
    println!("sample ode, 100 steps, 2000 points: {:.1} ms", 1000.0 * t.elapsed().as_secs_f64());

    let pts = Dataset::Chessboard.generate(tid_n, 0, 1);
    for e in [0.01, 0.05, 0.1] {
        let t = Instant::now();
        let c = neighbour_counts(&pts, e);
        let mean = c.iter().map(|&v| v as f64).sum::<f64>() / c.len() as f64;
        println!(
            "tid    neighbour counts, N = {tid_n} chessboard points, e = {e}: {:.1} ms (mean count {mean:.1})",
            1000.0 * t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
