//! The xfrmsim command line's library side: the `replay` protocol driver,
//! shared by the binary and the differential tests.

pub mod replay;
