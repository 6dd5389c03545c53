//! The planted RCU bug and its detector: netlink socket release without
//! its `synchronize_rcu()`. A kernel broadcast that found the socket on the
//! listener list before the unlink can then queue to it after `close`
//! returned; loom finds that interleaving. Without the bug the same model
//! passes (see `netlink_release.rs` for the full release model).

#![cfg(xfrmsim_loom)]

use sim_core::planted::{Bug, plant};
use sim_core::sync::thread;
use sim_core::sync::unmodelled::{AtomicBool, Ordering};
use sim_sockets::Kernel;
use sim_sockets::netlink::NetlinkKernelCfg;
use sim_sockets::netlink::af_netlink::nlmsg_multicast;
use sim_sockets::netlink::wire::SockaddrNl;
use sim_sockets::skbuff::SkBuff;
use sim_sockets::socket::{AF_NETLINK, SOCK_RAW};

const PROTO: i32 = 25;

/// Set when some interleaving delivered to the socket after `close`
/// returned. Recorded rather than asserted, so the model runs every
/// interleaving and the test can expect the failure.
static DELIVERED_AFTER_RELEASE: AtomicBool = AtomicBool::new(false);

/// Whether any interleaving delivered after release.
fn release_racing_broadcast() -> bool {
    DELIVERED_AFTER_RELEASE.store(false, Ordering::SeqCst);
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(|| {
        let k = Kernel::with_seed(1);
        k.register_netlink_protocol(PROTO, |_, _| NetlinkKernelCfg::default()).unwrap();
        let net = k.init_net();
        let t = k.root_task();
        let s = t.socket(&net, AF_NETLINK, SOCK_RAW, PROTO).unwrap();
        s.bind(&t, &SockaddrNl::new(77, 1).to_bytes()).unwrap();
        let nlk = k.netlink().lookup(&net, PROTO, 77).unwrap();
        let ksk = k.netlink_kernel_sock(&net, PROTO).unwrap();
        let sender = thread::spawn(move || {
            let _ = nlmsg_multicast(&ksk, SkBuff::new(vec![0; 20], 20), 0, 1);
        });
        s.close();
        sender.join().unwrap();
        if nlk.sk().queue_len() != 0 {
            DELIVERED_AFTER_RELEASE.store(true, Ordering::SeqCst);
        }
    });
    DELIVERED_AFTER_RELEASE.load(Ordering::SeqCst)
}

#[test]
fn missing_grace_period_is_found_only_when_planted() {
    plant(Bug::NoSynchronizeRcuOnRelease, false);
    assert!(!release_racing_broadcast(), "delivered after release with the grace period in place");
    plant(Bug::NoSynchronizeRcuOnRelease, true);
    let found = release_racing_broadcast();
    plant(Bug::NoSynchronizeRcuOnRelease, false);
    assert!(found, "loom did not find the delivery after release");
}
