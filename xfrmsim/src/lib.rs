//! The xfrmsim command line as a library: iproute2's `ip xfrm` and
//! ipsec-tools' `setkey` over the simulated kernel's NETLINK_XFRM and
//! PF_KEY front ends, and the `replay` protocol driver that the differential
//! tests share with the binary.

pub mod ip;
pub mod km_script;
pub mod nl;
pub mod replay;
pub mod run;
pub mod setkey;
pub mod sim;
pub mod trace;
