//! Collapse metrics of SPEC §6: neighbour counts, Hill's tail index, TID, ANSD and marginal
//! accuracy; the histogram distances of recursive training.

pub mod compare;
pub mod histogram;
pub mod marginal;
mod neighbours;
pub mod reference;
pub mod tid;

pub use marginal::marginal_accuracy;
pub use neighbours::{MAX_PAIR_CHECKS, neighbour_counts, pair_checks};
pub use tid::{SurvivalCurve, TidPoint, hill_alpha, tid_curve};
