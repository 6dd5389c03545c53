//! `pfkey_broadcast()` and `pfkey_broadcast_one()`: who receives a PF_KEY
//! message, and the receive-buffer rule that silently drops it.

use sim_core::rcu::rcu_read_lock;
use sim_core::sync::Arc;
use sim_core::{Errno, KResult};
use sim_netns::Net;

use super::PfKeyInner;
use super::sock::PfkeySock;
use crate::skbuff::{SKB_SHINFO_SIZE, SKB_STRUCT_SIZE, SkBuff, skb_data_align, skb_truesize};

/// `BROADCAST_ALL`: every PF_KEY socket of the namespace.
pub const BROADCAST_ALL: u32 = 0;
/// `BROADCAST_ONE`: only `one_sk` (and the promiscuous sockets).
pub const BROADCAST_ONE: u32 = 1;
/// `BROADCAST_REGISTERED`: sockets that registered any satype.
pub const BROADCAST_REGISTERED: u32 = 2;
/// `BROADCAST_PROMISC_ONLY`: only the promiscuous sockets.
pub const BROADCAST_PROMISC_ONLY: u32 = 4;

/// `skb->truesize` of `alloc_skb(n)`. Kernels before 6.3 have no
/// small-head cache: `kmalloc(SKB_DATA_ALIGN(n) + shinfo)` rounded to its
/// power-of-two cache, plus the `sk_buff` (768 bytes up to n = 192, 1280
/// up to 704 — what the 6.1 oracle measures). Later kernels use the
/// socket layer's rule.
pub fn pfkey_truesize(pre_6_3: bool, n: usize) -> usize {
    if pre_6_3 {
        let obj = skb_data_align(n) + SKB_SHINFO_SIZE;
        let head = if obj <= 192 { 192 } else { obj.next_power_of_two() };
        head + SKB_STRUCT_SIZE
    } else {
        skb_truesize(n)
    }
}

/// A message ready to be queued: its bytes and the memory one copy costs.
#[derive(Clone)]
pub struct PfkeySkb {
    skb: SkBuff,
}

impl PfkeySkb {
    /// A message charged as `alloc_skb(alloc)` (kernel messages allocate
    /// their wire size plus 16).
    pub fn new(pfk: &PfKeyInner, data: Vec<u8>, alloc: usize) -> Self {
        let pre = pfk.profile.name == "debian-6.1";
        let mut skb = SkBuff::new(data, alloc);
        skb.truesize = pfkey_truesize(pre, alloc.max(skb.len()));
        // Every PF_KEY message is queued through pfkey_broadcast_one.
        skb.share();
        PfkeySkb { skb }
    }

    /// A kernel-built message (`alloc_skb(size + 16)`).
    pub fn kernel(pfk: &PfKeyInner, data: Vec<u8>) -> Self {
        let n = data.len() + 16;
        Self::new(pfk, data, n)
    }

    /// The bytes.
    pub fn data(&self) -> &[u8] {
        self.skb.data()
    }

    /// `skb->truesize`.
    pub fn truesize(&self) -> usize {
        self.skb.truesize
    }
}

/// `pfkey_broadcast_one()`: queue a clone unless the receive memory
/// already exceeds `sk_rcvbuf` (then `ENOBUFS`, nothing queued, no error
/// reported to the socket).
pub fn pfkey_broadcast_one(skb: &PfkeySkb, sk: &PfkeySock) -> KResult<()> {
    let s = &sk.sk;
    if s.rmem_alloc() > s.rcvbuf() {
        return Err(Errno::ENOBUFS);
    }
    let c = skb.skb.clone_skb();
    s.rmem_charge(c.truesize);
    s.queue_tail(c);
    Ok(())
}

/// `pfkey_broadcast(skb, flags, one_sk, net)`: walks the namespace's
/// sockets under RCU (newest first). Promiscuous sockets get a copy of
/// everything; `one_sk` is served last. The result starts as `ESRCH`,
/// becomes `Ok` at the first delivery to a registered socket with
/// `BROADCAST_REGISTERED`, and is `one_sk`'s delivery result if given.
pub fn pfkey_broadcast(
    pfk: &PfKeyInner,
    skb: &PfkeySkb,
    flags: u32,
    one_sk: Option<&Arc<PfkeySock>>,
    net: &Net,
) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_broadcast").entered();
    let mut err: KResult<()> = Err(Errno::ESRCH);
    let nt = pfk.netns(net)?;
    {
        let guard = rcu_read_lock();
        for sk in nt.table.iter(&guard) {
            if sk.promisc() {
                let _ = pfkey_broadcast_one(skb, sk);
            }
            if one_sk.is_some_and(|o| Arc::ptr_eq(o, sk)) {
                continue;
            }
            if flags != BROADCAST_ALL {
                if flags & BROADCAST_PROMISC_ONLY != 0 {
                    continue;
                }
                if flags & BROADCAST_REGISTERED != 0 && sk.registered() == 0 {
                    continue;
                }
                if flags & BROADCAST_ONE != 0 {
                    continue;
                }
            }
            let err2 = pfkey_broadcast_one(skb, sk);
            if flags & BROADCAST_REGISTERED != 0 && err.is_err() {
                err = err2;
            }
        }
    }
    if let Some(one) = one_sk {
        err = pfkey_broadcast_one(skb, one);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truesize_rules() {
        // The 6.1 oracle's measurements.
        assert_eq!(pfkey_truesize(true, 32), 768);
        assert_eq!(pfkey_truesize(true, 192), 768);
        assert_eq!(pfkey_truesize(true, 193), 1280);
        assert_eq!(pfkey_truesize(true, 704), 1280);
        assert_eq!(pfkey_truesize(true, 705), 2304);
        // Later kernels: the 640-byte small-head cache.
        assert_eq!(pfkey_truesize(false, 32), 896);
    }
}
