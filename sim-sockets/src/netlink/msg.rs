//! Building netlink messages into a socket buffer (`include/net/netlink.h`:
//! `nlmsg_put`, `nlmsg_end`, `nlmsg_cancel`, `nlmsg_append`, `nla_put*`,
//! `nla_nest_start`/`nla_nest_end`). Every put fails with `None` when the
//! tail room is too small, as the kernel's return NULL / `-EMSGSIZE`.

use super::wire::{
    NLA_HDRLEN, NLMSG_HDRLEN, NlMsgHdrRepr, nla_total_size, nlmsg_align, nlmsg_total_size,
};
use crate::skbuff::SkBuffMut;

impl SkBuffMut {
    /// `nlmsg_put()`: a header plus `payload` zeroed bytes (aligned);
    /// returns the header's offset.
    pub fn nlmsg_put(
        &mut self,
        portid: u32,
        seq: u32,
        msg_type: u16,
        payload: usize,
        flags: u16,
    ) -> Option<usize> {
        if self.tailroom() < nlmsg_total_size(payload) {
            return None;
        }
        let at = self.put_zeroed(nlmsg_total_size(payload))?;
        let hdr = NlMsgHdrRepr {
            len: (NLMSG_HDRLEN + payload) as u32,
            msg_type,
            flags,
            seq,
            pid: portid,
        };
        hdr.emit(&mut self.data_mut()[at..]);
        Some(at)
    }

    /// `nlmsg_data()` of the message at `at`, up to the current end.
    pub fn nlmsg_data_mut(&mut self, at: usize) -> &mut [u8] {
        let start = (at + NLMSG_HDRLEN).min(self.len());
        &mut self.data_mut()[start..]
    }

    /// `nlmsg_append()`: `size` more payload bytes (zero-padded to 4);
    /// returns their offset.
    pub fn nlmsg_append(&mut self, bytes: &[u8]) -> Option<usize> {
        if self.tailroom() < nlmsg_align(bytes.len()) {
            return None;
        }
        let at = self.put_slice(bytes)?;
        self.put_zeroed(nlmsg_align(bytes.len()) - bytes.len())?;
        Some(at)
    }

    /// `nlmsg_end()`: the message at `at` covers everything put since.
    pub fn nlmsg_end(&mut self, at: usize) {
        let len = (self.len() - at) as u32;
        if let Some(b) = self.data_mut().get_mut(at..at + 4) {
            b.copy_from_slice(&len.to_le_bytes());
        }
    }

    /// Sets flags on the message at `at`.
    pub fn nlmsg_set_flags(&mut self, at: usize, flags: u16) {
        if let Some(b) = self.data_mut().get_mut(at + 6..at + 8) {
            b.copy_from_slice(&flags.to_le_bytes());
        }
    }

    /// `nlmsg_cancel()`: removes the message at `at` and what followed.
    pub fn nlmsg_cancel(&mut self, at: usize) {
        self.trim(at);
    }

    /// `nla_reserve()`: an attribute header plus `len` zeroed payload
    /// bytes (aligned); returns the payload's offset.
    pub fn nla_reserve(&mut self, kind: u16, len: usize) -> Option<usize> {
        let at = self.put_zeroed(nla_total_size(len))?;
        let hdr = &mut self.data_mut()[at..at + NLA_HDRLEN];
        hdr[..2].copy_from_slice(&((NLA_HDRLEN + len) as u16).to_le_bytes());
        hdr[2..].copy_from_slice(&kind.to_le_bytes());
        Some(at + NLA_HDRLEN)
    }

    /// `nla_put()`; returns the attribute's offset.
    pub fn nla_put(&mut self, kind: u16, payload: &[u8]) -> Option<usize> {
        let at = self.nla_reserve(kind, payload.len())?;
        self.data_mut()[at..at + payload.len()].copy_from_slice(payload);
        Some(at - NLA_HDRLEN)
    }

    /// `nla_put_u32()`.
    pub fn nla_put_u32(&mut self, kind: u16, v: u32) -> Option<usize> {
        self.nla_put(kind, &v.to_le_bytes())
    }

    /// `nla_put_string()`: the text plus its NUL.
    pub fn nla_put_string(&mut self, kind: u16, s: &str) -> Option<usize> {
        let mut b = Vec::with_capacity(s.len() + 1);
        b.extend_from_slice(s.as_bytes());
        b.push(0);
        self.nla_put(kind, &b)
    }

    /// `nla_nest_start()`.
    pub fn nla_nest_start(&mut self, kind: u16) -> Option<usize> {
        self.nla_put(kind | super::wire::NLA_F_NESTED, &[])
    }

    /// `nla_nest_end()`.
    pub fn nla_nest_end(&mut self, at: usize) {
        let len = (self.len() - at) as u16;
        if let Some(b) = self.data_mut().get_mut(at..at + 2) {
            b.copy_from_slice(&len.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_end_and_attrs() {
        let mut s = SkBuffMut::alloc(64);
        let at = s.nlmsg_put(5, 9, 0x20, 3, 0x2).unwrap();
        assert_eq!(s.len(), 20);
        s.nla_put_u32(1, 0xaabbccdd).unwrap();
        s.nla_put_string(2, "ab").unwrap();
        s.nlmsg_end(at);
        assert_eq!(
            s.data(),
            &[
                36, 0, 0, 0, 0x20, 0, 2, 0, 9, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 8, 0, 1, 0, 0xdd,
                0xcc, 0xbb, 0xaa, 7, 0, 2, 0, b'a', b'b', 0, 0
            ][..]
        );
        assert!(s.nlmsg_put(0, 0, 0x20, 13, 0).is_none(), "32 bytes needed, 28 left");
        s.nlmsg_cancel(at);
        assert!(s.is_empty());
    }

    #[test]
    fn nla_reserve_pads_and_refuses_past_the_room() {
        let mut s = SkBuffMut::alloc(16);
        let at = s.nla_reserve(7, 5).unwrap();
        assert_eq!(at, 4, "payload follows the header");
        s.data_mut()[at..at + 5].copy_from_slice(b"hello");
        assert_eq!(s.data(), &[9, 0, 7, 0, b'h', b'e', b'l', b'l', b'o', 0, 0, 0][..]);
        assert!(s.nla_reserve(1, 1).is_none(), "8 bytes needed, 4 left");
        assert_eq!(s.len(), 12, "a refused reserve puts nothing");
        assert_eq!(s.nla_put(1, &[]), Some(12));
        assert_eq!(&s.data()[12..], &[4, 0, 1, 0][..]);
    }
}
