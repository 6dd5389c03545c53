//! `xfrmsim replay` against recorded runs of the same scripts on Linux 6.18
//! (`oracle/replay/replay_kernel.py`, two runs each): every step must give
//! the same errno, socket set, datagram count and length, and the same
//! bytes wherever the two kernel runs agree (autobound port ids differ).

mod common;

use common::check;

#[test]
fn basic_requests_acks_and_enobufs_match_linux() {
    check("netlink_core_basic", &[]);
}

#[test]
fn options_groups_batches_and_truncation_match_linux() {
    check("netlink_core_options", &[]);
}
