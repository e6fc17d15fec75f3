//! One batch runner for studies and generations (the CLI's `study` and `generations`): the
//! runs of a plan not done yet, `jobs` at a time on threads with the cores shared out between
//! them; each finished run is handed at once, with every record so far, to the caller, who
//! prints it and saves the file, so a killed batch resumes where it stopped. Results do not
//! depend on `jobs`: every run is bit-identical whatever its thread count. The page runs the
//! same plans with one Web Worker per run (www/batch.js), the records made by the same
//! functions (`record`, `generations::record`) through the wasm glue.

use super::{record, Plan, PlannedRun, RunRecord};
use crate::engine::block_on;
use crate::experiment::{self, Backend, Event};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One planned run as a whole experiment: a study's run.
pub fn run_experiment(run: &PlannedRun, backend: Backend) -> RunRecord {
    let mut quiet = |_: Event| ControlFlow::Continue(());
    match block_on(experiment::run_on(&run.spec, backend, &mut quiet)) {
        Ok(r) => record(run, Ok(&r)),
        Err(e) => record(run, Err(e.to_string())),
    }
}

/// What the runner hands the caller after each finished run.
pub struct Finished<'a> {
    /// The run just finished.
    pub record: &'a RunRecord,
    /// Every record so far: those kept from an earlier file, then the finished ones.
    pub records: &'a [RunRecord],
    /// Runs finished in this batch, and how many it has to run.
    pub done: usize,
    pub todo: usize,
    pub elapsed_s: f64,
}

impl Finished<'_> {
    /// Seconds left at this batch's pace so far.
    pub fn eta_s(&self) -> f64 {
        self.elapsed_s / self.done.max(1) as f64 * (self.todo - self.done) as f64
    }
}

/// Runs the planned runs that `kept` (records of finished runs, from a resumed file) does not
/// hold, with `run_one`, `jobs` at a time, each on a clone of `backend` and with its share of
/// the thread budget (`parallel::threads()`, e.g. `--threads`, divided by `jobs`). After each
/// run, `on_finished` (under a lock: one at a time, in finishing order) prints and saves; its
/// first error is returned at the end (the batch goes on: the runs are not lost, the JSON is
/// printed). Returns every record.
pub fn run(
    plan: &Plan,
    kept: Vec<RunRecord>,
    jobs: usize,
    backend: Backend,
    run_one: &(dyn Fn(&PlannedRun, Backend) -> RunRecord + Sync),
    on_finished: &(dyn Fn(Finished) -> Result<(), String> + Sync),
) -> (Vec<RunRecord>, Option<String>) {
    let todo: Vec<usize> = plan.runs.iter().map(|r| r.index).filter(|i| !kept.iter().any(|k| k.index == *i)).collect();
    let jobs = jobs.clamp(1, todo.len().max(1));
    let budget = crate::parallel::threads();
    crate::parallel::set_threads((budget / jobs).max(1));
    let t0 = crate::clock::now_s();
    let state = Mutex::new((kept, 0usize, None::<String>));
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = todo.get(k) else { break };
                let rec = run_one(&plan.runs[i], backend.clone());
                let mut st = state.lock().unwrap();
                st.0.push(rec);
                st.1 += 1;
                let (records, done) = (&st.0, st.1);
                let f = Finished { record: records.last().unwrap(), records, done, todo: todo.len(), elapsed_s: crate::clock::now_s() - t0 };
                if let Err(e) = on_finished(f) {
                    st.2.get_or_insert(e);
                }
            });
        }
    });
    crate::parallel::set_threads(budget);
    let (records, _, error) = state.into_inner().unwrap();
    (records, error)
}
