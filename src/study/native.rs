//! Running a study's plan natively: `jobs` runs at a time on threads, the cores shared out
//! between them. Results do not depend on `jobs` (every run is bit-identical whatever its
//! thread count), and each finished run is handed to `on_done` at once, so the caller can save
//! the study as it grows and a killed study resumes where it stopped.

use super::{record, Plan, PlannedRun, RunRecord};
use crate::engine::block_on;
use crate::experiment::{self, Backend, Event};
use crate::engine::gpu::GpuContext;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs the planned runs not in `skip` (indices), `jobs` at a time. `gpu` trains every run on
/// that device (each falls back to the CPU engine on its own, with a note in its result).
pub fn execute(
    plan: &Plan,
    skip: &[usize],
    jobs: usize,
    gpu: Option<(GpuContext, bool)>,
    on_done: &(dyn Fn(RunRecord) + Sync),
) {
    let backend = match gpu {
        Some((ctx, true)) => Backend::Auto(ctx),
        Some((ctx, false)) => Backend::Gpu(ctx),
        None => Backend::Cpu,
    };
    let run_one = |run: &PlannedRun, backend: Backend| {
        let mut quiet = |_: Event| ControlFlow::Continue(());
        match block_on(experiment::run_on(&run.spec, backend, &mut quiet)) {
            Ok(r) => record(run, Ok(&r)),
            Err(e) => record(run, Err(e.to_string())),
        }
    };
    execute_with(plan, skip, jobs, backend, &run_one, on_done);
}

/// Runs the planned runs not in `skip` with `run_one` (one experiment, one chain of
/// generations, ...), `jobs` at a time, each on a clone of `backend`.
pub fn execute_with(
    plan: &Plan,
    skip: &[usize],
    jobs: usize,
    backend: Backend,
    run_one: &(dyn Fn(&PlannedRun, Backend) -> RunRecord + Sync),
    on_done: &(dyn Fn(RunRecord) + Sync),
) {
    let todo: Vec<usize> = plan.runs.iter().map(|r| r.index).filter(|i| !skip.contains(i)).collect();
    let jobs = jobs.clamp(1, todo.len().max(1));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let before = crate::parallel::threads();
    crate::parallel::set_threads((cores / jobs).max(1));
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = todo.get(k) else { break };
                on_done(run_one(&plan.runs[i], backend.clone()));
            });
        }
    });
    crate::parallel::set_threads(before);
}
