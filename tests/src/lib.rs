//! Cross-crate integration scenarios live in `tests/tests/`; helpers they
//! share live here.

pub mod fuzz;
pub mod replay_diff;
pub mod simkernel;
