//! Loom model: a task blocked in `recvmsg` on an empty netlink socket and a
//! kernel unicast to it. The sender queues, then wakes the queue only if a
//! reader sleeps (`wq_has_sleeper` in `sock_def_readable`); the reader
//! announces itself, then rechecks the queue. Whatever the interleaving the
//! reader gets the datagram: no lost wake-up.

#![cfg(xfrmsim_loom)]

use sim_core::sync::thread;
use sim_sockets::Kernel;
use sim_sockets::netlink::NetlinkKernelCfg;
use sim_sockets::netlink::af_netlink::nlmsg_unicast;
use sim_sockets::netlink::wire::SockaddrNl;
use sim_sockets::skbuff::SkBuff;
use sim_sockets::socket::{AF_NETLINK, SOCK_RAW};

const PROTO: i32 = 25;

#[test]
fn blocked_reader_is_woken_by_a_unicast() {
    loom::model(|| {
        let k = Kernel::with_seed(1);
        k.register_netlink_protocol(PROTO, |_, _| NetlinkKernelCfg::default()).unwrap();
        let net = k.init_net();
        let t = k.root_task();
        let s = t.socket(&net, AF_NETLINK, SOCK_RAW, PROTO).unwrap();
        s.bind(&t, &SockaddrNl::new(77, 0).to_bytes()).unwrap();
        let ksk = k.netlink_kernel_sock(&net, PROTO).unwrap();

        let sender = thread::spawn(move || {
            nlmsg_unicast(&ksk, SkBuff::new(vec![7; 20], 20), 77).unwrap();
        });
        // Blocks until the datagram is there (loom reports a deadlock if
        // the wake-up is lost).
        let m = s.recvmsg(&t, 100, 0).unwrap();
        assert_eq!(m.data, vec![7; 20]);
        sender.join().unwrap();
    });
}
