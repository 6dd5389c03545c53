//! Netlink dumps (`__netlink_dump_start`, `netlink_dump`,
//! `netlink_dump_done`): a callback with saved state fills one buffer per
//! round, the first round in the requester's `sendmsg`, later ones in its
//! `recvmsg` as it drains; the last round appends `NLMSG_DONE`.

use std::any::Any;
use std::borrow::Cow;

use sim_core::sync::Arc;
use sim_core::sync::atomic::Ordering;
use sim_core::{Errno, KResult};

use super::NLMSG_GOODSIZE;
use super::af_netlink::{
    NETLINK_F_EXT_ACK, NETLINK_F_STRICT_CHK, NetlinkRcv, NetlinkSock, netlink_sendskb,
};
use super::wire::{
    NLM_F_ACK_TLVS, NLM_F_MULTI, NLMSG_DONE, NLMSGERR_ATTR_MSG, NlMsg, nlmsg_total_size,
};
use crate::skbuff::{SkBuffMut, skb_truesize};
use sim_netns::Net;

/// `struct netlink_callback`: what a dump callback sees and keeps between
/// rounds.
pub struct NetlinkCallback {
    /// `cb->nlh`: a copy of the request message.
    pub nlh: Vec<u8>,
    /// `NETLINK_CB(cb->skb).portid`: the requester's port id.
    pub portid: u32,
    /// `cb->nlh->nlmsg_seq`.
    pub seq: u32,
    /// `cb->args[]`: saved position, zeroed at start.
    pub args: [i64; 6],
    /// `cb->data`.
    pub data: Option<Box<dyn Any + Send>>,
    /// `cb->extack->_msg` for the DONE message.
    pub extack_msg: Option<Cow<'static, str>>,
    /// `sock_net(cb->skb->sk)`.
    pub net: Arc<Net>,
    /// `cb->strict_check`.
    pub strict_check: bool,
    /// `cb->answer_flags`.
    pub answer_flags: u16,
    /// `cb->min_dump_alloc`.
    pub min_dump_alloc: usize,
}

impl NetlinkCallback {
    /// `nlmsg_put_answer()`: a message addressed to the requester.
    pub fn put_answer(
        &self,
        skb: &mut SkBuffMut,
        msg_type: u16,
        payload: usize,
        flags: u16,
    ) -> Option<usize> {
        skb.nlmsg_put(self.portid, self.seq, msg_type, payload, flags)
    }
}

/// `cb->dump`: returns the bytes put (> 0: more to come), 0 when done, or
/// a negative errno.
pub type DumpFn = Box<dyn FnMut(&mut SkBuffMut, &mut NetlinkCallback) -> i32 + Send>;
/// `cb->done`.
pub type DoneFn = Box<dyn FnOnce(&mut NetlinkCallback) + Send>;
/// `control->start`.
pub type StartFn = Box<dyn FnOnce(&mut NetlinkCallback) -> KResult<()> + Send>;

/// `struct netlink_dump_control`.
pub struct NetlinkDumpControl {
    pub start: Option<StartFn>,
    pub dump: DumpFn,
    pub done: Option<DoneFn>,
    pub data: Option<Box<dyn Any + Send>>,
    pub min_dump_alloc: usize,
}

impl NetlinkDumpControl {
    /// A control with only a dump callback.
    pub fn new(dump: DumpFn) -> Self {
        NetlinkDumpControl { start: None, dump, done: None, data: None, min_dump_alloc: 0 }
    }
}

/// `nlk->cb` plus `nlk->dump_done_errno`.
pub(crate) struct DumpState {
    pub(crate) cb: NetlinkCallback,
    dump: DumpFn,
    pub(crate) done: Option<DoneFn>,
    dump_done_errno: i32,
}

/// `__netlink_dump_start()`: called from a kernel input function for the
/// request `nlh`. Returns `EINTR` when the dump started (the caller passes
/// it on so no ACK is sent), else the error to ACK.
pub fn netlink_dump_start(
    rcv: &NetlinkRcv<'_>,
    nlh: &NlMsg<'_>,
    control: NetlinkDumpControl,
) -> Errno {
    let _span = tracing::trace_span!("netlink_dump_start").entered();
    let ksk = rcv.ksk;
    let Some(sk) = ksk.core_lookup(rcv.skb.cb.portid) else {
        return Errno::ECONNREFUSED;
    };
    let mut guard = sk.cb.lock();
    if sk.cb_running.load(Ordering::Acquire) {
        return Errno::EBUSY;
    }
    let mut cb = NetlinkCallback {
        nlh: nlh.as_bytes().to_vec(),
        portid: rcv.skb.cb.portid,
        seq: nlh.seq(),
        args: [0; 6],
        data: control.data,
        extack_msg: None,
        net: sk.net().clone(),
        strict_check: rcv.ssk.test_flag(NETLINK_F_STRICT_CHK),
        answer_flags: 0,
        min_dump_alloc: control.min_dump_alloc,
    };
    if let Some(start) = control.start
        && let Err(e) = start(&mut cb)
    {
        return e;
    }
    *guard =
        Some(DumpState { cb, dump: control.dump, done: control.done, dump_done_errno: i32::MAX });
    sk.cb_running.store(true, Ordering::Release);
    match netlink_dump(&sk, Some(guard)) {
        Ok(()) => Errno::EINTR,
        Err(e) => e,
    }
}

/// `netlink_dump()`: one round. `locked` is the callback mutex when the
/// caller already holds it (the first round).
pub(crate) fn netlink_dump(
    nlk: &Arc<NetlinkSock>,
    locked: Option<sim_core::lockdep::MutexGuard<'_, Option<DumpState>>>,
) -> KResult<()> {
    let mut guard = match locked {
        Some(g) => g,
        None => nlk.cb.lock(),
    };
    if !nlk.cb_running.load(Ordering::Acquire) {
        return Err(Errno::EINVAL);
    }
    let Some(st) = guard.as_mut() else {
        return Err(Errno::EINVAL);
    };
    let alloc_min_size = st.cb.min_dump_alloc.max(NLMSG_GOODSIZE);
    let max_recvmsg_len = nlk.max_recvmsg_len.load(Ordering::Relaxed);
    let alloc_size =
        if alloc_min_size < max_recvmsg_len { max_recvmsg_len } else { alloc_min_size };
    let mut skb = SkBuffMut::alloc(alloc_size);
    // Charged up front; the first buffer of an empty queue always fits.
    let truesize = skb_truesize(alloc_size);
    let rmem = nlk.sk().rmem_charge(truesize);
    if rmem != truesize && rmem >= nlk.sk().rcvbuf() {
        nlk.sk().rmem_uncharge(truesize);
        return Err(Errno::ENOBUFS);
    }
    if st.dump_done_errno > 0 {
        let mut r = (st.dump)(&mut skb, &mut st.cb);
        if r == Errno::EMSGSIZE.neg() && !skb.is_empty() {
            r = skb.len() as i32;
        }
        st.dump_done_errno = r;
    }
    if st.dump_done_errno > 0 || skb.tailroom() < nlmsg_total_size(4) {
        drop(guard);
        let mut out = skb.finish();
        out.truesize = truesize;
        netlink_sendskb(nlk, out);
        return Ok(());
    }
    // netlink_dump_done()
    let flags = NLM_F_MULTI | st.cb.answer_flags;
    let Some(at) = st.cb.put_answer(&mut skb, NLMSG_DONE, 4, flags) else {
        nlk.sk().rmem_uncharge(truesize);
        return Err(Errno::ENOBUFS);
    };
    let errno = st.dump_done_errno;
    skb.nlmsg_data_mut(at)[..4].copy_from_slice(&errno.to_le_bytes());
    if let Some(msg) = st.cb.extack_msg.clone()
        && nlk.test_flag(NETLINK_F_EXT_ACK)
    {
        skb.nlmsg_set_flags(at, flags | NLM_F_ACK_TLVS);
        if skb.nla_put_string(NLMSGERR_ATTR_MSG, &msg).is_some() {
            skb.nlmsg_end(at);
        }
    }
    let mut out = skb.finish();
    out.truesize = truesize;
    netlink_sendskb(nlk, out);
    let mut st = guard.take();
    nlk.cb_running.store(false, Ordering::Release);
    if let Some(st) = st.as_mut()
        && let Some(done) = st.done.take()
    {
        done(&mut st.cb);
    }
    Ok(())
}
