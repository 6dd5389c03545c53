//! Loom models of xfrmsim's concurrent protocols. The models live in
//! `tests/` and build only with `RUSTFLAGS="--cfg xfrmsim_loom"`:
//!
//! ```text
//! RUSTFLAGS="--cfg xfrmsim_loom" CARGO_TARGET_DIR=target-loom \
//!     cargo test -p loom-tests --release
//! ```

/// The preemption bound every model uses unless `LOOM_MAX_PREEMPTIONS`
/// says otherwise: enough for the two- and three-thread protocols here,
/// small enough that the suite stays quick.
pub const PREEMPTION_BOUND: usize = 3;

/// Runs `f` under loom with [`PREEMPTION_BOUND`].
#[cfg(xfrmsim_loom)]
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(PREEMPTION_BOUND);
    }
    builder.check(f);
}
