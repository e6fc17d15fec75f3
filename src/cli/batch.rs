//! The end that `study` and `generations` share: the plan's runs not yet held run on the batch
//! runner, each finished one printed and saved, then the result printed, summarised and turned
//! into the exit status (a failed save, runs that failed).

use super::*;
use crate::study::{self, Plan, RunRecord};
use serde::Serialize;

/// What differs between a study and a generations run at this end.
pub(super) struct BatchEnd<'a, R> {
    pub plan: &'a Plan,
    /// The result of the records so far (`study::aggregate`, `generations::aggregate`).
    pub aggregate: &'a (dyn Fn(&Plan, &[RunRecord]) -> R + Sync),
    /// Writes the result to the command's output (none without --out).
    pub save: Option<&'a (dyn Fn(&R) -> Result<(), CliError> + Sync)>,
    /// Saved before the first new run ends (a resumed or reused file: the plan shows at once,
    /// and a file that cannot be written fails before hours of training).
    pub save_first: bool,
    /// The progress line of a finished run (none under --quiet).
    pub progress: Option<&'a (dyn Fn(&study::batch::Finished) + Sync)>,
    pub summarize: Option<&'a (dyn Fn(&R) + Sync)>,
    /// Runs that failed, of how many: with its noun ("2 of 6 runs failed").
    pub failed: &'a (dyn Fn(&R) -> (usize, usize) + Sync),
    pub failed_words: (&'a str, &'a str),
}

impl<R: Serialize + Send> BatchEnd<'_, R> {
    /// Runs what `records` lacks on `jobs` threads with `work`, saving after each run.
    pub fn run(&self, records: Vec<RunRecord>, jobs: usize, backend: experiment::Backend, work: &study::batch::Work) -> Result<(), CliError> {
        if let (Some(save), true) = (self.save, self.save_first) {
            save(&(self.aggregate)(self.plan, &records))?;
        }
        let on_finished = |done: study::batch::Finished| -> Result<(), String> {
            if let Some(p) = self.progress {
                p(&done);
            }
            match self.save {
                Some(save) => save(&(self.aggregate)(self.plan, done.records)).map_err(|e| e.to_string()),
                None => Ok(()),
            }
        };
        let (records, save_error) = study::batch::run(self.plan, records, jobs, backend, work, &on_finished);
        let result = (self.aggregate)(self.plan, &records);
        emit(&serde_json::to_string_pretty(&result).unwrap());
        if let Some(s) = self.summarize {
            s(&result);
        }
        if let Some(m) = save_error {
            return Err(CliError::Failed(m));
        }
        let (failed, of) = (self.failed)(&result);
        if failed > 0 {
            let (noun, verb) = self.failed_words;
            return Err(CliError::Failed(format!("{failed} of {of} {noun} {verb} (their errors are in the JSON)")));
        }
        Ok(())
    }
}
