//! Loom models of xfrmsim's concurrent protocols. The models live in
//! `tests/` and build only with `RUSTFLAGS="--cfg xfrmsim_loom"`.
