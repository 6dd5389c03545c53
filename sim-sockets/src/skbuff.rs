//! Socket buffers (`struct sk_buff`, `include/linux/skbuff.h`): the bytes
//! of one datagram plus the memory it is charged for (`truesize`) and the
//! netlink control block (`struct netlink_skb_parms`).

use sim_core::sync::Arc;

use sim_netns::Cred;

/// `SKB_DATA_ALIGN`: cache-line alignment of skb data areas (x86_64).
pub const SMP_CACHE_BYTES: usize = 64;
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86_64.
pub const SKB_SHINFO_SIZE: usize = 320;
/// `SKB_DATA_ALIGN(sizeof(struct sk_buff))` on x86_64.
pub const SKB_STRUCT_SIZE: usize = 256;
/// `SKB_SMALL_HEAD_CACHE_SIZE`: heads up to this size come from a
/// dedicated cache of exactly this object size.
pub const SKB_SMALL_HEAD_CACHE_SIZE: usize = 640;
/// `PAGE_SIZE`.
pub const PAGE_SIZE: usize = 4096;
/// `SKB_WITH_OVERHEAD(X)`: the data room of an `X`-byte head.
pub const fn skb_with_overhead(x: usize) -> usize {
    x - SKB_SHINFO_SIZE
}

/// `SKB_DATA_ALIGN()`.
pub const fn skb_data_align(x: usize) -> usize {
    (x + SMP_CACHE_BYTES - 1) & !(SMP_CACHE_BYTES - 1)
}

/// `kmalloc_size_roundup()` for the sizes skb heads use (power-of-two
/// caches above 192 bytes; the page allocator rounds large heads to a
/// power-of-two number of pages).
pub const fn kmalloc_size_roundup(x: usize) -> usize {
    if x <= 96 {
        if x <= 64 { 64 } else { 96 }
    } else if x <= 128 {
        128
    } else if x <= 192 {
        192
    } else {
        x.next_power_of_two()
    }
}

/// The head object `alloc_skb(size)` gets (`kmalloc_reserve`): the data
/// area plus the shared info, from the small-head cache or kmalloc.
pub const fn skb_head_size(size: usize) -> usize {
    let obj = skb_data_align(size) + SKB_SHINFO_SIZE;
    if obj <= SKB_SMALL_HEAD_CACHE_SIZE {
        SKB_SMALL_HEAD_CACHE_SIZE
    } else {
        kmalloc_size_roundup(obj)
    }
}

/// `skb->truesize` after `alloc_skb(size)`: `SKB_TRUESIZE(room)` where
/// `room` is the usable data size of the head actually allocated.
pub const fn skb_truesize(size: usize) -> usize {
    skb_head_size(size) + SKB_STRUCT_SIZE
}

/// `struct netlink_skb_parms` (`NETLINK_CB(skb)`).
#[derive(Clone, Default)]
pub struct NetlinkSkbParms {
    /// Sender's port id (0 for the kernel).
    pub portid: u32,
    /// Destination group number (0 for unicast).
    pub dst_group: u32,
    /// `NETLINK_SKB_DST`: the sender gave an explicit destination address.
    pub flags: u32,
    /// The sending task's credentials (`NETLINK_CB(skb).creds` plus what
    /// `netlink_net_capable` checks against `current`).
    pub creds: Option<Arc<Cred>>,
}

/// `NETLINK_SKB_DST`.
pub const NETLINK_SKB_DST: u32 = 0x8;

/// The bytes of an skb: owned by one skb until `skb_clone` shares them
/// (the kernel's `skb->cloned` and the data reference count), so a
/// unicast datagram costs one allocation and only clones pay for sharing.
enum SkbData {
    Owned(Vec<u8>),
    Shared(Arc<Vec<u8>>),
}

impl SkbData {
    fn bytes(&self) -> &[u8] {
        match self {
            SkbData::Owned(v) => v,
            SkbData::Shared(a) => a,
        }
    }
}

/// A queued datagram (`struct sk_buff`): bytes shared between clones, the
/// memory charged for it, and the netlink control block.
pub struct SkBuff {
    data: SkbData,
    /// `skb->truesize`.
    pub truesize: usize,
    /// The size given to `alloc_skb` (0 for vmalloc-backed buffers, which
    /// `netlink_trim` leaves alone).
    alloc_size: usize,
    /// `NETLINK_CB(skb)`.
    pub cb: NetlinkSkbParms,
}

impl SkBuff {
    /// A buffer over `data` charged as `alloc_skb(alloc_size)` would be.
    pub fn new(data: Vec<u8>, alloc_size: usize) -> Self {
        let alloc_size = alloc_size.max(data.len());
        let truesize = skb_truesize(alloc_size);
        SkBuff { data: SkbData::Owned(data), truesize, alloc_size, cb: NetlinkSkbParms::default() }
    }

    /// `netlink_alloc_large_skb()` for a user message of `len` bytes:
    /// messages above `NLMSG_GOODSIZE` that are not broadcast get a
    /// vmalloc'ed head charged by its data size.
    pub fn netlink_large(data: Vec<u8>, broadcast: bool) -> Self {
        let goodsize = skb_with_overhead(PAGE_SIZE);
        if data.len() <= goodsize || broadcast {
            let n = data.len();
            return SkBuff::new(data, n);
        }
        let truesize = skb_data_align(data.len()) + SKB_SHINFO_SIZE + SKB_STRUCT_SIZE;
        SkBuff {
            data: SkbData::Owned(data),
            truesize,
            alloc_size: 0,
            cb: NetlinkSkbParms::default(),
        }
    }

    /// `netlink_trim()`: a buffer whose unused room is at least half its
    /// truesize gives the room back before it is queued.
    pub fn netlink_trim(&mut self) {
        if self.alloc_size == 0 {
            return;
        }
        let end = skb_with_overhead(skb_head_size(self.alloc_size));
        let delta = end.saturating_sub(self.len());
        if delta * 2 >= self.truesize {
            self.truesize -= delta;
            self.alloc_size = self.len();
        }
    }

    /// `skb->data`.
    pub fn data(&self) -> &[u8] {
        self.data.bytes()
    }

    /// `skb->len`.
    pub fn len(&self) -> usize {
        self.data().len()
    }

    /// `skb->len == 0`.
    pub fn is_empty(&self) -> bool {
        self.data().is_empty()
    }

    /// The bytes, without a copy when no clone shares them.
    pub fn into_data(self) -> Vec<u8> {
        match self.data {
            SkbData::Owned(v) => v,
            SkbData::Shared(a) => Arc::try_unwrap(a).unwrap_or_else(|shared| shared.to_vec()),
        }
    }

    /// Makes the data shareable, so that [`SkBuff::clone_skb`] is a
    /// reference count instead of a copy; senders about to fan a buffer
    /// out (broadcasts) call it first.
    pub fn share(&mut self) {
        if let SkbData::Owned(v) = &mut self.data {
            self.data = SkbData::Shared(Arc::new(core::mem::take(v)));
        }
    }

    /// `skb_clone()`: shares the data (copies it if [`SkBuff::share`] was
    /// not called), copies truesize and the control block.
    pub fn clone_skb(&self) -> SkBuff {
        let data = match &self.data {
            SkbData::Owned(v) => SkbData::Owned(v.clone()),
            SkbData::Shared(a) => SkbData::Shared(a.clone()),
        };
        SkBuff { data, truesize: self.truesize, alloc_size: self.alloc_size, cb: self.cb.clone() }
    }
}

impl Clone for SkBuff {
    fn clone(&self) -> Self {
        self.clone_skb()
    }
}

/// Bytes a page-sized or smaller [`SkBuffMut`] reserves up front.
const SKB_EAGER_BYTES: usize = 512;

/// A buffer being filled (`alloc_skb` + `skb_put`), with a fixed tail room
/// as the kernel's linear skbs have.
pub struct SkBuffMut {
    data: Vec<u8>,
    room: usize,
    alloc_size: usize,
}

impl SkBuffMut {
    /// `alloc_skb(size)`: room for `size` bytes (`nlmsg_new` callers pass
    /// `nlmsg_total_size(payload)`).
    pub fn alloc(size: usize) -> Self {
        // Heads up to a page are mostly replies far smaller than their
        // room (`NLMSG_GOODSIZE` for a 200-byte answer): their bytes are
        // reserved as they are put, from the allocator's fast small sizes.
        // Larger heads (dump parts) are filled, so they are reserved whole.
        // The room and the charged truesize follow `size` either way.
        let reserve = if size <= PAGE_SIZE { size.min(SKB_EAGER_BYTES) } else { size };
        SkBuffMut { data: Vec::with_capacity(reserve), room: size, alloc_size: size }
    }

    /// `skb->len`.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `skb_tailroom()`.
    pub fn tailroom(&self) -> usize {
        self.room - self.data.len()
    }

    /// The bytes written so far.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Mutable access to the bytes written so far (for `nlmsg_end`-style
    /// length fix-ups).
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// `skb_put()` of zeroed bytes; `None` when the room is exhausted.
    pub fn put_zeroed(&mut self, n: usize) -> Option<usize> {
        if n > self.tailroom() {
            return None;
        }
        let at = self.data.len();
        self.data.resize(at + n, 0);
        Some(at)
    }

    /// `skb_put_data()`; `None` when the room is exhausted.
    pub fn put_slice(&mut self, bytes: &[u8]) -> Option<usize> {
        if bytes.len() > self.tailroom() {
            return None;
        }
        let at = self.data.len();
        self.data.extend_from_slice(bytes);
        Some(at)
    }

    /// `skb_trim()` / `nlmsg_cancel()`: drops everything after `len`.
    pub fn trim(&mut self, len: usize) {
        self.data.truncate(len);
    }

    /// Freezes the buffer for queueing; truesize follows the allocation.
    pub fn finish(self) -> SkBuff {
        SkBuff::new(self.data, self.alloc_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truesize_follows_head_caches() {
        // Small heads come from the 640-byte cache.
        assert_eq!(skb_truesize(36), 640 + 256);
        assert_eq!(skb_truesize(320), 640 + 256);
        // 321 bytes align to 384 + 320 = 704 -> kmalloc-1k.
        assert_eq!(skb_truesize(321), 1024 + 256);
        // NLMSG_GOODSIZE fills exactly one page.
        assert_eq!(skb_truesize(skb_with_overhead(PAGE_SIZE)), 4096 + 256);
        assert_eq!(skb_truesize(skb_with_overhead(32768)), 32768 + 256);
    }

    #[test]
    fn put_respects_room() {
        let mut b = SkBuffMut::alloc(8);
        assert_eq!(b.put_slice(&[1, 2, 3]), Some(0));
        assert_eq!(b.put_zeroed(5), Some(3));
        assert_eq!(b.tailroom(), 0);
        assert_eq!(b.put_zeroed(1), None);
        b.trim(2);
        assert_eq!(b.data(), &[1, 2]);
    }
}
