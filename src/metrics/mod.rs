//! Collapse metrics of SPEC §6: neighbour counts, Hill's tail index, TID and ANSD.

mod neighbours;
pub mod tid;

pub use neighbours::neighbour_counts;
pub use tid::{hill_alpha, tid_curve, SurvivalCurve, TidPoint};
