//! `xfrmsim replay --profile debian-6.1` against runs of PF_KEY scripts
//! recorded on Debian's 6.1 kernel in QEMU (`oracle/pfkey-replay`, two
//! boots each): every step must give the same errno, socket set, datagram
//! count and length, and the same bytes wherever the two boots agree (the
//! LIFETIME_CURRENT add times are wall-clock seconds).

mod common;

use common::check;

#[test]
fn register_sa_spd_handlers_errors_and_promiscuous_copies_match_linux() {
    check("pfkey_basic", &["--profile", "debian-6.1"]);
}

#[test]
fn stalled_dumps_policies_getspi_and_algorithms_match_linux() {
    check("pfkey_dumps_spd", &["--profile", "debian-6.1"]);
}

#[test]
fn expiries_updates_refcounts_and_namespaces_match_linux() {
    check("pfkey_expire_netns", &["--profile", "debian-6.1"]);
}

#[test]
fn sa_and_policy_events_cross_between_pfkey_and_netlink_as_on_linux() {
    check("pfkey_netlink_cross", &["--profile", "debian-6.1"]);
}
