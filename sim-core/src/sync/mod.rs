//! The one synchronisation facade.
//!
//! Every lock, atomic, `Arc`, condition variable, cell and thread in library
//! code comes from here. Normal builds use parking_lot, std and arc-swap;
//! builds with `--cfg xfrmsim_loom` swap in loom's types (or types built only
//! from loom's) so the model checker sees every synchronisation point. The
//! API is the same on both sides and never poisons. Modelled on tokio's
//! `src/loom/`.
//!
//! [`unmodelled`] holds the few locks that must stay invisible to loom: the
//! lock validator's own bookkeeping, which is instrumentation rather than a
//! protocol under test.

#[cfg(not(xfrmsim_loom))]
mod std_impl;
#[cfg(not(xfrmsim_loom))]
pub use std_impl::*;

#[cfg(xfrmsim_loom)]
mod loom_impl;
#[cfg(xfrmsim_loom)]
pub use loom_impl::*;

pub mod unmodelled;

/// Whether this build runs under the loom model checker.
pub const LOOM: bool = cfg!(xfrmsim_loom);

/// `thread_local!` that loom can see (`loom::thread_local!` under loom, so
/// every model thread gets its own value).
#[macro_export]
macro_rules! sim_thread_local {
    ($($tt:tt)*) => { $crate::sync::__thread_local_impl! { $($tt)* } };
}

/// A lazily initialised static that loom resets between model executions.
///
/// `sim_lazy_static! { static ref NAME: Type = expr; }`
#[macro_export]
macro_rules! sim_lazy_static {
    ($($tt:tt)*) => { $crate::sync::__lazy_static_impl! { $($tt)* } };
}

/// `Arc::new(value)` as an `Arc<dyn Trait>`: `arc_dyn!(value => dyn Trait)`.
/// Loom's `Arc` has no unsized coercion, so both builds go through
/// [`arc_from_std`] with the target type spelled out.
#[macro_export]
macro_rules! arc_dyn {
    ($v:expr => $t:ty) => {
        $crate::sync::arc_from_std::<$t>(::std::sync::Arc::new($v))
    };
}
