//! A test netlink protocol: echo, multicast, dump, failing and
//! capability-checked requests.

#![allow(dead_code)]

use sim_core::Errno;
use sim_core::sync::Arc;
use sim_sockets::netlink::wire::{NLM_F_MULTI, NlMsg, NlMsgHdrRepr, SockaddrNl};
use sim_sockets::netlink::{
    NetlinkCallback, NetlinkDumpControl, NetlinkInput, NetlinkKernelCfg, NetlinkRcv,
    netlink_dump_start, netlink_net_capable, netlink_rcv_skb, nlmsg_unicast,
};
use sim_sockets::skbuff::SkBuffMut;
use sim_sockets::socket::{AF_NETLINK, SOCK_RAW};
use sim_sockets::{CAP_NET_ADMIN, Kernel, Net, Socket, Task};

pub const TEST_PROTO: i32 = 25;
/// Unicast the request back.
pub const T_ECHO: u16 = 0x10;
/// Multicast the payload to group 1 (and 2 when the first payload byte is 2).
pub const T_MCAST: u16 = 0x11;
/// Dump `payload[0]` records of `payload[1] * 4` bytes each.
pub const T_DUMP: u16 = 0x12;
/// Fail with EINVAL, an ext-ack message and the offset of the first attribute.
pub const T_FAIL: u16 = 0x13;
/// Succeed only with CAP_NET_ADMIN (EPERM otherwise).
pub const T_ADMIN: u16 = 0x14;
/// Dump whose callback fails with -ENOENT at once.
pub const T_DUMP_ERR: u16 = 0x15;

fn dump_records(count: i64, size: usize) -> NetlinkDumpControl {
    NetlinkDumpControl::new(Box::new(move |skb: &mut SkBuffMut, cb: &mut NetlinkCallback| {
        while cb.args[0] < count {
            let Some(at) = cb.put_answer(skb, T_DUMP, size, NLM_F_MULTI) else {
                break;
            };
            let idx = cb.args[0] as u32;
            skb.nlmsg_data_mut(at)[..4].copy_from_slice(&idx.to_le_bytes());
            cb.args[0] += 1;
        }
        skb.len() as i32
    }))
}

fn input(rcv: &NetlinkRcv<'_>) {
    netlink_rcv_skb(rcv, |rcv, nlh, extack| match nlh.msg_type() {
        T_ECHO => {
            let mut skb = SkBuffMut::alloc(nlh.len() as usize);
            skb.put_slice(nlh.as_bytes());
            nlmsg_unicast(rcv.ksk, skb.finish(), rcv.skb.cb.portid)
        }
        T_MCAST => {
            let group = if nlh.payload().first() == Some(&2) { 2 } else { 1 };
            let mut skb = SkBuffMut::alloc(nlh.len() as usize);
            skb.put_slice(nlh.as_bytes());
            let _ =
                sim_sockets::netlink::af_netlink::nlmsg_multicast(rcv.ksk, skb.finish(), 0, group);
            Ok(())
        }
        T_DUMP => {
            let p = nlh.payload();
            let count = *p.first().unwrap_or(&0) as i64;
            let size = *p.get(1).unwrap_or(&1) as usize * 4;
            Err(netlink_dump_start(rcv, nlh, dump_records(count, size)))
        }
        T_DUMP_ERR => {
            let mut c = NetlinkDumpControl::new(Box::new(|_, cb: &mut NetlinkCallback| {
                cb.extack_msg = Some("nothing to dump".into());
                Errno::ENOENT.neg()
            }));
            c.min_dump_alloc = 0;
            Err(netlink_dump_start(rcv, nlh, c))
        }
        T_FAIL => {
            extack.set_msg_attr("Invalid attribute", 20);
            Err(Errno::EINVAL)
        }
        T_ADMIN => {
            if netlink_net_capable(rcv, CAP_NET_ADMIN) {
                Ok(())
            } else {
                Err(Errno::EPERM)
            }
        }
        _ => Err(Errno::EOPNOTSUPP),
    })
}

/// A kernel with the test protocol registered in every namespace.
pub fn kernel() -> Kernel {
    let k = Kernel::with_seed(42);
    k.register_netlink_protocol(TEST_PROTO, |_, _| NetlinkKernelCfg {
        groups: 4,
        input: Some(NetlinkInput::new(input)),
        ..Default::default()
    })
    .unwrap();
    k
}

pub fn open(task: &Task, net: &Arc<Net>) -> Socket {
    task.socket(net, AF_NETLINK, SOCK_RAW, TEST_PROTO).unwrap()
}

pub fn addr(pid: u32, groups: u32) -> [u8; 12] {
    SockaddrNl::new(pid, groups).to_bytes()
}

/// One request message.
pub fn msg(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let hdr = NlMsgHdrRepr { len: (16 + payload.len()) as u32, msg_type: ty, flags, seq, pid: 0 };
    let mut v = hdr.to_bytes().to_vec();
    v.extend_from_slice(payload);
    v.resize(v.len().next_multiple_of(4), 0);
    v
}

/// Reads everything queued (non-blocking) with a `len`-byte buffer.
pub fn drain(s: &Socket, task: &Task, len: usize) -> Vec<Result<Vec<u8>, Errno>> {
    let mut out = Vec::new();
    loop {
        match s.recvmsg(task, len, sim_sockets::socket::MSG_DONTWAIT) {
            Ok(m) => out.push(Ok(m.data)),
            Err(Errno::EAGAIN) => return out,
            Err(e) => out.push(Err(e)),
        }
    }
}

pub fn portid(s: &Socket) -> u32 {
    let a = s.getsockname().unwrap();
    SockaddrNl::parse(&a).unwrap().pid
}

pub fn msgs(datagram: &[u8]) -> Vec<NlMsg<'_>> {
    sim_sockets::netlink::wire::NlMsgIter::new(datagram).map(|(_, m)| m).collect()
}
