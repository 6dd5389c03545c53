//! Cross-crate integration scenarios live in `tests/tests/`.
