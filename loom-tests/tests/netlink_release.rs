//! Loom model: a netlink socket released while a kernel broadcast walks
//! the listener list. Once `close` returns, the socket never receives
//! again, its queue is empty and uncharged, and its running dump is ended
//! exactly once.

#![cfg(xfrmsim_loom)]

use sim_core::sync::atomic::{AtomicUsize, Ordering};
use sim_core::sync::{Arc, thread};
use sim_sockets::Kernel;
use sim_sockets::netlink::af_netlink::nlmsg_multicast;
use sim_sockets::netlink::wire::{NLM_F_DUMP, NLM_F_REQUEST, NlMsgHdrRepr, SockaddrNl};
use sim_sockets::netlink::{
    NetlinkDumpControl, NetlinkInput, NetlinkKernelCfg, netlink_dump_start, netlink_rcv_skb,
};
use sim_sockets::skbuff::SkBuff;
use sim_sockets::socket::{AF_NETLINK, SOCK_RAW};

const PROTO: i32 = 25;

#[test]
fn release_racing_broadcast() {
    loom::model(|| {
        let done_calls = Arc::new(AtomicUsize::new(0));
        let k = Kernel::with_seed(1);
        let dc = done_calls.clone();
        k.register_netlink_protocol(PROTO, move |_, _| {
            let dc = dc.clone();
            NetlinkKernelCfg {
                input: Some(NetlinkInput::new(move |rcv| {
                    let dc = dc.clone();
                    netlink_rcv_skb(rcv, |rcv, nlh, _| {
                        let dc = dc.clone();
                        let mut c = NetlinkDumpControl::new(Box::new(|skb, cb| {
                            // Never finishes: one record per round.
                            cb.put_answer(skb, 0x20, 1000, 0).map_or(0, |_| skb.len() as i32)
                        }));
                        c.done = Some(Box::new(move |_| {
                            dc.fetch_add(1, Ordering::SeqCst);
                        }));
                        Err(netlink_dump_start(rcv, nlh, c))
                    })
                })),
                ..Default::default()
            }
        })
        .unwrap();
        let net = k.init_net();
        let t = k.root_task();
        let s = t.socket(&net, AF_NETLINK, SOCK_RAW, PROTO).unwrap();
        s.bind(&t, &SockaddrNl::new(77, 1).to_bytes()).unwrap();
        let req = NlMsgHdrRepr {
            len: 16,
            msg_type: 0x20,
            flags: NLM_F_REQUEST | NLM_F_DUMP,
            seq: 1,
            pid: 0,
        };
        s.sendto(&t, &req.to_bytes(), 0, None).unwrap();
        let nlk = k.netlink().lookup(&net, PROTO, 77).unwrap();
        assert!(nlk.dump_running());
        let ksk = k.netlink_kernel_sock(&net, PROTO).unwrap();

        let sender = thread::spawn(move || {
            let _ = nlmsg_multicast(&ksk, SkBuff::new(vec![0; 20], 20), 0, 1);
        });
        let closer = thread::spawn(move || {
            s.close();
        });
        closer.join().unwrap();
        // close() has returned: nothing may arrive any more.
        let after_close = nlk.sk().queue_len();
        sender.join().unwrap();
        assert_eq!(after_close, 0);
        assert_eq!(nlk.sk().queue_len(), 0, "delivered after release returned");
        assert_eq!(nlk.sk().rmem_alloc(), 0, "receive memory leaked or freed twice");
        assert_eq!(done_calls.load(Ordering::SeqCst), 1, "dump state not freed exactly once");
        assert!(!nlk.dump_running());
        assert!(k.netlink().lookup(&net, PROTO, 77).is_none());
        assert_eq!(k.netlink().mc_list_len(PROTO), 0);
    });
}
