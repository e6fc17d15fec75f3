//! Training several GPU engines on one device at once: the nets of a study's runs trained side
//! by side (issue 43), each as it trains alone.

use super::{GpuEngine, live_nets};
use crate::engine::{Engine, EngineError, LOSS_READBACK_STEPS, Progress, TrainReport, diverged, finished, gpu_work};
use std::ops::ControlFlow;

/// [`train_with_checkpoints`](super::train_with_checkpoints) for several GPU engines on one device at once (the nets of a
/// study's runs, issue 43), each engine one net or several of one shape that share every
/// dispatch ([`GpuEngine::new_many`]): each report block of every net goes to the device in
/// one submission per 64 steps for all of them and comes back in one loss readback, the
/// checkpoints' parameters in one readback. Each net runs the steps it runs alone, so its report
/// holds the losses, iterations and snapshots of training it alone, bit for bit; its time is its
/// share of the group's (the wall time over the nets) and its device work that of one net-step
/// (the group's divided over the nets, `together` naming how many). The reports: one per net,
/// the nets of each engine in turn. A net that diverges ends with its error and the others go
/// on; a device error ends them all (the outer error). The callback sees the group's progress
/// (the mean loss of the nets still training).
pub async fn train_together(
    engines: &mut [GpuEngine],
    iters: u64,
    report_every: u64,
    checkpoints: &[u64],
    on_progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Vec<Result<TrainReport, EngineError>>, EngineError> {
    let start = crate::clock::now_s();
    let counts: Vec<usize> = engines.iter().map(|e| e.nets()).collect();
    let k: usize = counts.iter().sum();
    let mut reports = vec![TrainReport::default(); k];
    let mut failed: Vec<Option<EngineError>> = vec![None; k];
    let counts_before = engines.first().and_then(|e| e.gpu_counts());
    let (mut done, mut needed) = (0u64, 0u64);
    while done < iters {
        let block = report_every.max(1).min(iters - done);
        // The engines with a net still training, and their nets.
        let (live, nets) = live_nets(&counts, |j| failed[j].is_none());
        if live.is_empty() {
            break;
        }
        needed += block.div_ceil(LOSS_READBACK_STEPS);
        let mut active: Vec<&mut GpuEngine> = engines.iter_mut().enumerate().filter(|(e, _)| live.contains(e)).map(|(_, e)| e).collect();
        let dim = active[0].net().dim();
        let losses = GpuEngine::train_steps_together(&mut active, block as u32).await?;
        done += block;
        let mut sum = 0.0f64;
        for (&j, l) in nets.iter().zip(losses) {
            if failed[j].is_some() {
                continue; // diverged earlier, stepped on beside the nets of its engine
            }
            match l {
                Ok(loss) if diverged(loss, dim) => failed[j] = Some(EngineError::Diverged { iter: done, loss }),
                Ok(loss) => {
                    reports[j].losses.push((done, loss));
                    sum += loss as f64;
                }
                Err(e) => failed[j] = Some(e),
            }
        }
        if checkpoints.contains(&done) {
            for (&j, p) in nets.iter().zip(GpuEngine::params_together(&active).await?) {
                if failed[j].is_none() {
                    reports[j].snapshots.push((done, p));
                }
            }
            needed += 1;
        }
        let training = (0..k).filter(|&j| failed[j].is_none()).count();
        let p = Progress { iter: done, total: iters, loss: (sum / training.max(1) as f64) as f32, elapsed_s: crate::clock::now_s() - start };
        if on_progress(&p).is_break() {
            return Err(EngineError::Cancelled { iter: done });
        }
    }
    let seconds = (crate::clock::now_s() - start) / k.max(1) as f64;
    let work = gpu_work(counts_before, engines.first().and_then(|e| e.gpu_counts()), done, needed, k as u64);
    Ok(reports
        .into_iter()
        .zip(failed)
        .map(|(r, f)| match f {
            Some(e) => Err(e),
            None => Ok(finished(r, done, seconds, work.clone())),
        })
        .collect())
}
