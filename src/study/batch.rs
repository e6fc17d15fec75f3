//! One batch runner for studies and generations (the CLI's `study` and `generations`): the
//! runs of a plan not done yet, `jobs` at a time on threads with the cores shared out between
//! them; each finished run is handed at once, with every record so far, to the caller, who
//! prints it and saves the file, so a killed batch resumes where it stopped. Results do not
//! depend on `jobs`: every run is bit-identical whatever its thread count. A job takes a group
//! of runs at a time: a study's runs that share training (`study::share`) go to one job, which
//! trains once; on the GPU engine a job takes several such groups of one training shape and
//! trains their nets side by side (`share::jobs`, `share::run_together`); a chain of generations
//! is a group of one. The page runs the same plans and jobs with one Web Worker per job
//! (www/batch.js), the records made by the same functions (`share::run_together`,
//! `generations::record`) through the wasm glue.

use super::{Plan, PlannedRun, RunRecord, share};
use crate::engine::block_on;
use crate::experiment::{Backend, Event};
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A job of a study's groups of runs that share training ([`share::run_together`]: on the GPU
/// their nets train side by side).
pub fn run_study_job(groups: &[Vec<&PlannedRun>], backend: Backend, on_record: &mut dyn FnMut(RunRecord)) {
    let mut quiet = |_: Event| ControlFlow::Continue(());
    block_on(share::run_together(groups, backend, &mut quiet, on_record));
}

/// Runs one group of runs on a backend, handing each run's record to the callback as it ends.
pub type RunGroup<'a> = dyn Fn(&[&PlannedRun], Backend, &mut dyn FnMut(RunRecord)) + Sync + 'a;

/// How a batch groups its runs and runs one job: `study` shares training within a study's
/// groups and, on the GPU engine, trains up to `together` nets of several groups side by side;
/// `each` runs every run alone with the given function (generations' chains), which gets the
/// run and the backend and hands the record to the callback as the run finishes.
pub struct Work<'a> {
    pub share: bool,
    pub together: usize,
    each: Option<&'a RunGroup<'a>>,
}

impl Work<'static> {
    /// A study's runs, training shared within each group, up to [`share::TOGETHER_DEFAULT`] nets side by
    /// side on the GPU.
    pub fn study() -> Work<'static> {
        Work { share: true, together: share::TOGETHER_DEFAULT, each: None }
    }
}

impl<'a> Work<'a> {
    /// Every run alone, with `run_group` (called with one run at a time).
    pub fn each(run_group: &'a RunGroup<'a>) -> Work<'a> {
        Work { share: false, together: 1, each: Some(run_group) }
    }

    /// Up to `n` nets side by side on the GPU (1: each group's alone).
    pub fn together(self, n: usize) -> Work<'a> {
        Work { together: n.max(1), ..self }
    }

    fn run_job(&self, job: &[Vec<&PlannedRun>], backend: Backend, on_record: &mut dyn FnMut(RunRecord)) {
        match self.each {
            Some(f) => job.iter().for_each(|g| f(g, backend.clone(), on_record)),
            None => run_study_job(job, backend, on_record),
        }
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
/// hold, group by group (`work`), `jobs` groups at a time, each on a clone of `backend` and
/// with its share of the thread budget (`parallel::threads()`, e.g. `--threads`, divided by
/// `jobs`). After each run, `on_finished` (under a lock: one at a time, in finishing order)
/// prints and saves; its first error is returned at the end (the batch goes on: the runs are
/// not lost, the JSON is printed). Returns every record. Groups start seed by seed (every
/// cell's first seed, then every cell's second, ...); on the GPU engine a job takes several
/// groups whose nets train side by side ([`share::jobs`]).
pub fn run(
    plan: &Plan,
    kept: Vec<RunRecord>,
    jobs: usize,
    backend: Backend,
    work: &Work,
    on_finished: &(dyn Fn(Finished) -> Result<(), String> + Sync),
) -> (Vec<RunRecord>, Option<String>) {
    let todo: Vec<usize> = plan.runs.iter().map(|r| r.index).filter(|i| !kept.iter().any(|k| k.index == *i)).collect();
    // Seed by seed (a batch stopped part way leaves every cell with figures), the costliest
    // group of a seed first (share::schedule; a chain of generations is a group of one).
    let together = if matches!(backend, Backend::Gpu(_)) { work.together } else { 1 };
    let mut groups = if work.share { share::jobs(plan, &todo, together) } else { todo.iter().map(|&i| vec![vec![i]]).collect() };
    if !work.share {
        groups.sort_by_key(|g| plan.runs[g[0][0]].seed_index);
    }
    let jobs = jobs.clamp(1, groups.len().max(1));
    let budget = crate::parallel::threads();
    crate::parallel::set_threads((budget / jobs).max(1));
    let t0 = crate::clock::now_s();
    let state = Mutex::new((kept, 0usize, None::<String>));
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(group) = groups.get(k) else { break };
                    let job: Vec<Vec<&PlannedRun>> = group.iter().map(|g| g.iter().map(|&i| &plan.runs[i]).collect()).collect();
                    // The job's own device counts: two jobs on one GPU never sum into each other.
                    work.run_job(&job, backend.for_job(), &mut |rec| {
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
        }
    });
    crate::parallel::set_threads(budget);
    let (records, _, error) = state.into_inner().unwrap();
    (records, error)
}
