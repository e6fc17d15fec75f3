//! Reopening a saved run (`saved.rs` is its file format): its nets sampled and measured again
//! by the run's own phases (`run::run_with`, no training) and the figures checked against the
//! file's ([`saved::check`]); or measured again at other radii.

use super::event::{Event, RunError};
use super::result::ExperimentResult;
use super::saved::{Opened, TOLERANCE, check};
use super::train::Backend;
use std::ops::ControlFlow;

/// Why a saved run did not reopen: its run failed, or its figures came out other than the file's.
#[derive(Debug)]
pub enum ReopenError {
    Run(RunError),
    Differs(String),
}

impl std::fmt::Display for ReopenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReopenError::Run(e) => write!(f, "{e}"),
            ReopenError::Differs(e) => write!(f, "{e}"),
        }
    }
}

impl Opened {
    /// Samples and measures the saved nets again (on the CPU engine: no training, so no engine
    /// to choose) and checks the figures against the file's ([`check`]): the one reopen behind
    /// the CLI's `--load-run`, the page's "Open run" and shipped runs, and the shipped-runs test.
    pub async fn reopen(self, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<ExperimentResult, ReopenError> {
        let again = super::run::run_with(&self.spec, Backend::Cpu, Some(self.pretrained), on_event).await.map_err(ReopenError::Run)?;
        check(&self.result, &again, TOLERANCE).map_err(ReopenError::Differs)?;
        Ok(again)
    }

    /// [`Opened::reopen`] with TID measured at other radii `eps`: the same nets, samples and
    /// every other figure, TID's curve at these radii (a run whose radii were too small for its
    /// data, such as 10-D ones at the 2D defaults, measured again without training). Checked
    /// against the file at the radii both have, and by the marginal accuracies (which do not
    /// depend on the radii, so they say the nets and samples are the file's).
    pub async fn remeasure(mut self, eps: Vec<f64>, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<ExperimentResult, ReopenError> {
        let old = std::mem::replace(&mut self.spec.metrics.eps, eps);
        let again = super::run::run_with(&self.spec, Backend::Cpu, Some(self.pretrained), on_event).await.map_err(ReopenError::Run)?;
        let new = &again.spec.metrics.eps;
        let common = |e: f64| old.contains(&e) && new.contains(&e);
        let mut file = self.result;
        let keep = |list: &mut serde_json::Value| {
            if let Some(a) = list.as_array_mut() {
                a.retain(|x| x["eps"].as_f64().is_some_and(common));
            }
        };
        for name in file["tid"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            keep(&mut file["tid"][&name]);
            for c in file["checkpoints"].as_array_mut().into_iter().flatten() {
                keep(&mut c["tid"][&name]);
            }
        }
        keep(&mut file["tid_null"]);
        // The k x e grid (`metrics.k_grid`) too, its columns cut to the radii both have (issue
        // 55: every saved run with a grid failed here, the grids' radii differing).
        let cut_json = |grids: &mut serde_json::Value| {
            for g in grids.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
                let cols: Vec<bool> = g["eps"].as_array().map(|e| e.iter().map(|x| x.as_f64().is_some_and(common)).collect()).unwrap_or_default();
                let cut = |row: &mut serde_json::Value| {
                    if let Some(a) = row.as_array_mut() {
                        let mut j = 0;
                        a.retain(|_| {
                            j += 1;
                            cols.get(j - 1).copied().unwrap_or(false)
                        });
                    }
                };
                cut(&mut g["eps"]);
                for key in ["tid", "tid_std"] {
                    for row in g[key].as_array_mut().into_iter().flatten() {
                        cut(row);
                    }
                }
            }
        };
        if let Some(g) = file.get_mut("tid_grid") {
            cut_json(g);
        }
        for g in file["checkpoints"].as_array_mut().into_iter().flatten().filter_map(|c| c.get_mut("tid_grid")) {
            cut_json(g);
        }
        let mut shared = again.clone();
        for list in shared.tid.values_mut().chain(shared.checkpoints.iter_mut().flat_map(|c| c.tid.values_mut())) {
            list.retain(|x| common(x.point.eps));
        }
        shared.tid_null.retain(|x| common(x.point.eps));
        for g in shared.tid_grid.values_mut().chain(shared.checkpoints.iter_mut().flat_map(|c| c.tid_grid.values_mut())) {
            let cols: Vec<bool> = g.eps.iter().map(|&e| common(e)).collect();
            let cut = |row: &mut Vec<Option<f64>>| {
                let mut j = 0;
                row.retain(|_| {
                    j += 1;
                    cols[j - 1]
                });
            };
            g.tid.iter_mut().chain(g.tid_std.iter_mut()).for_each(cut);
            g.eps.retain(|&e| common(e));
        }
        check(&file, &shared, TOLERANCE).map_err(ReopenError::Differs)?;
        Ok(again)
    }
}
