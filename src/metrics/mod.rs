//! Collapse metrics of SPEC §6: neighbour counts, Hill's tail index, TID, ANSD and marginal
//! accuracy.

pub mod compare;
pub mod reference;
pub mod marginal;
mod neighbours;
pub mod tid;

pub use marginal::marginal_accuracy;
pub use neighbours::{neighbour_counts, pair_checks, MAX_PAIR_CHECKS};
pub use tid::{hill_alpha, tid_curve, SurvivalCurve, TidPoint};
