//! Netlink wire formats (`include/uapi/linux/netlink.h`): `struct
//! nlmsghdr`, `struct nlattr`, `struct nlmsgerr` with its extended-ACK
//! TLVs, and `struct sockaddr_nl`. Host-endian (little-endian here),
//! 4-byte aligned. Each structure has a checked view (`new_checked`
//! validates lengths once; accessors cannot panic afterwards) and an owned
//! `Repr` with `parse`/`buffer_len`/`emit`.

use sim_core::{Errno, KResult};

/// `NLMSG_ALIGNTO`.
pub const NLMSG_ALIGNTO: usize = 4;
/// `NLMSG_HDRLEN`.
pub const NLMSG_HDRLEN: usize = 16;
/// `NLA_HDRLEN`.
pub const NLA_HDRLEN: usize = 4;

/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR`.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
pub const NLMSG_OVERRUN: u16 = 4;
/// `NLMSG_MIN_TYPE`: types below are control messages.
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x01;
/// `NLM_F_MULTI`.
pub const NLM_F_MULTI: u16 = 0x02;
/// `NLM_F_ACK`.
pub const NLM_F_ACK: u16 = 0x04;
/// `NLM_F_ECHO`.
pub const NLM_F_ECHO: u16 = 0x08;
/// `NLM_F_DUMP_INTR`.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// `NLM_F_ROOT`.
pub const NLM_F_ROOT: u16 = 0x100;
/// `NLM_F_MATCH`.
pub const NLM_F_MATCH: u16 = 0x200;
/// `NLM_F_DUMP`.
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
/// `NLM_F_CAPPED` (on ACKs).
pub const NLM_F_CAPPED: u16 = 0x100;
/// `NLM_F_ACK_TLVS` (on ACKs).
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// `NLA_F_NESTED`.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// `NLA_F_NET_BYTEORDER`.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// `NLA_TYPE_MASK`.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// `NLMSGERR_ATTR_MSG`.
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// `NLMSGERR_ATTR_OFFS`.
pub const NLMSGERR_ATTR_OFFS: u16 = 2;
/// `NLMSGERR_ATTR_COOKIE`.
pub const NLMSGERR_ATTR_COOKIE: u16 = 3;
/// `NLMSGERR_ATTR_POLICY`.
pub const NLMSGERR_ATTR_POLICY: u16 = 4;
/// `NLMSGERR_ATTR_MISS_TYPE`.
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
/// `NLMSGERR_ATTR_MISS_NEST`.
pub const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// `NLMSG_ALIGN()`.
pub const fn nlmsg_align(len: usize) -> usize {
    (len + NLMSG_ALIGNTO - 1) & !(NLMSG_ALIGNTO - 1)
}

/// `NLA_ALIGN()`.
pub const fn nla_align(len: usize) -> usize {
    nlmsg_align(len)
}

/// `nlmsg_msg_size()`: header plus payload, unaligned.
pub const fn nlmsg_msg_size(payload: usize) -> usize {
    NLMSG_HDRLEN + payload
}

/// `nlmsg_total_size()`: header plus payload, aligned.
pub const fn nlmsg_total_size(payload: usize) -> usize {
    nlmsg_align(nlmsg_msg_size(payload))
}

/// `nla_total_size()`.
pub const fn nla_total_size(payload: usize) -> usize {
    nla_align(NLA_HDRLEN + payload)
}

fn rd_u16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => 0,
    }
}

fn rd_u32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(s) => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

mod field {
    use core::ops::Range;
    pub const LEN: Range<usize> = 0..4;
    pub const TYPE: Range<usize> = 4..6;
    pub const FLAGS: Range<usize> = 6..8;
    pub const SEQ: Range<usize> = 8..12;
    pub const PID: Range<usize> = 12..16;
}

/// A checked view of one `struct nlmsghdr` and its payload.
#[derive(Clone, Copy)]
pub struct NlMsg<'a> {
    buf: &'a [u8],
}

impl<'a> NlMsg<'a> {
    /// Validates that `buf` starts with a header whose `nlmsg_len` is at
    /// least 16 and fits in `buf` (the test `netlink_rcv_skb` applies);
    /// the view covers exactly `nlmsg_len` bytes.
    pub fn new_checked(buf: &'a [u8]) -> KResult<NlMsg<'a>> {
        if buf.len() < NLMSG_HDRLEN {
            return Err(Errno::EINVAL);
        }
        let len = rd_u32(buf, field::LEN.start) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            return Err(Errno::EINVAL);
        }
        Ok(NlMsg { buf: &buf[..len] })
    }

    /// `nlmsg_len`.
    pub fn len(&self) -> u32 {
        rd_u32(self.buf, field::LEN.start)
    }
    /// Never empty: a checked message holds at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// `nlmsg_type`.
    pub fn msg_type(&self) -> u16 {
        rd_u16(self.buf, field::TYPE.start)
    }
    /// `nlmsg_flags`.
    pub fn flags(&self) -> u16 {
        rd_u16(self.buf, field::FLAGS.start)
    }
    /// `nlmsg_seq`.
    pub fn seq(&self) -> u32 {
        rd_u32(self.buf, field::SEQ.start)
    }
    /// `nlmsg_pid`.
    pub fn pid(&self) -> u32 {
        rd_u32(self.buf, field::PID.start)
    }
    /// The header and payload (`nlmsg_len` bytes).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// The 16 header bytes.
    pub fn header_bytes(&self) -> &'a [u8] {
        &self.buf[..NLMSG_HDRLEN]
    }
    /// `nlmsg_data()` .. end: the payload (`nlmsg_len(nlh)` bytes).
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[NLMSG_HDRLEN..]
    }
    /// `nlmsg_attrdata()`/`nlmsg_attrlen()`: the attributes after a fixed
    /// header of `hdrlen` bytes, or `None` when the payload is shorter
    /// (`nlmsg_len(nlh) < NLMSG_ALIGN(hdrlen)`... as `nlmsg_parse` checks).
    pub fn attrs(&self, hdrlen: usize) -> Option<NlAttrIter<'a>> {
        let start = NLMSG_HDRLEN + nlmsg_align(hdrlen);
        if self.buf.len() < NLMSG_HDRLEN + hdrlen {
            return None;
        }
        let bytes = self.buf.get(start..).unwrap_or(&[]);
        Some(NlAttrIter { buf: bytes, base: start, pos: 0 })
    }
}

/// Iterator over the messages of one datagram, stopping silently at the
/// first malformed header (as `netlink_rcv_skb` does).
pub struct NlMsgIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> NlMsgIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        NlMsgIter { buf, pos: 0 }
    }
}

impl<'a> Iterator for NlMsgIter<'a> {
    /// (offset in the datagram, message)
    type Item = (usize, NlMsg<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.pos..)?;
        if rest.len() < nlmsg_total_size(0) {
            return None;
        }
        let m = NlMsg::new_checked(rest).ok()?;
        let at = self.pos;
        self.pos += nlmsg_align(m.len() as usize).min(rest.len());
        Some((at, m))
    }
}

/// Owned `struct nlmsghdr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NlMsgHdrRepr {
    pub len: u32,
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

impl NlMsgHdrRepr {
    /// Parses the header of a checked message.
    pub fn parse(m: &NlMsg<'_>) -> Self {
        NlMsgHdrRepr {
            len: m.len(),
            msg_type: m.msg_type(),
            flags: m.flags(),
            seq: m.seq(),
            pid: m.pid(),
        }
    }
    /// Parses 16 header bytes without checking `len` against a buffer.
    pub fn parse_header(b: &[u8]) -> KResult<Self> {
        if b.len() < NLMSG_HDRLEN {
            return Err(Errno::EINVAL);
        }
        Ok(NlMsgHdrRepr {
            len: rd_u32(b, 0),
            msg_type: rd_u16(b, 4),
            flags: rd_u16(b, 6),
            seq: rd_u32(b, 8),
            pid: rd_u32(b, 12),
        })
    }
    pub const fn buffer_len(&self) -> usize {
        NLMSG_HDRLEN
    }
    /// Writes the 16 header bytes into `buf[..16]` (`buf` must be at least
    /// 16 bytes; shorter buffers are left untouched).
    pub fn emit(&self, buf: &mut [u8]) {
        if let Some(b) = buf.get_mut(..NLMSG_HDRLEN) {
            b[0..4].copy_from_slice(&self.len.to_le_bytes());
            b[4..6].copy_from_slice(&self.msg_type.to_le_bytes());
            b[6..8].copy_from_slice(&self.flags.to_le_bytes());
            b[8..12].copy_from_slice(&self.seq.to_le_bytes());
            b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        }
    }
    /// The 16 header bytes.
    pub fn to_bytes(&self) -> [u8; NLMSG_HDRLEN] {
        let mut b = [0u8; NLMSG_HDRLEN];
        self.emit(&mut b);
        b
    }
}

/// A checked view of one `struct nlattr`.
#[derive(Clone, Copy)]
pub struct NlAttr<'a> {
    buf: &'a [u8],
    /// Offset of the attribute from the start of its message (for
    /// `NLMSGERR_ATTR_OFFS`), when known.
    pub offset: usize,
}

impl<'a> NlAttr<'a> {
    /// Validates `nla_len >= 4` and that it fits in `buf`.
    pub fn new_checked(buf: &'a [u8]) -> KResult<NlAttr<'a>> {
        if buf.len() < NLA_HDRLEN {
            return Err(Errno::EINVAL);
        }
        let len = rd_u16(buf, 0) as usize;
        if len < NLA_HDRLEN || len > buf.len() {
            return Err(Errno::EINVAL);
        }
        Ok(NlAttr { buf: &buf[..len], offset: 0 })
    }
    /// `nla_len`.
    pub fn len(&self) -> u16 {
        rd_u16(self.buf, 0)
    }
    /// Never empty: a checked attribute holds at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// `nla_type()`: the type without the NESTED/NET_BYTEORDER bits.
    pub fn kind(&self) -> u16 {
        rd_u16(self.buf, 2) & NLA_TYPE_MASK
    }
    /// The raw `nla_type` field.
    pub fn raw_type(&self) -> u16 {
        rd_u16(self.buf, 2)
    }
    /// `nla_data()` for `nla_len() ` bytes.
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[NLA_HDRLEN..]
    }
    /// `nla_get_u32()` when the payload holds at least 4 bytes.
    pub fn get_u32(&self) -> Option<u32> {
        let p = self.payload();
        p.get(..4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    /// Nested attributes inside this one.
    pub fn nested(&self) -> NlAttrIter<'a> {
        NlAttrIter { buf: self.payload(), base: self.offset + NLA_HDRLEN, pos: 0 }
    }
}

/// Iterator over attributes (`nla_for_each_attr`); stops at trailing bytes
/// shorter than a header or at an attribute overrunning the buffer (the
/// caller can see the leftover with [`NlAttrIter::remaining`]).
pub struct NlAttrIter<'a> {
    buf: &'a [u8],
    base: usize,
    pos: usize,
}

impl<'a> NlAttrIter<'a> {
    /// Attributes in `buf`; `base` is the offset of `buf` in its message.
    pub fn new(buf: &'a [u8], base: usize) -> Self {
        NlAttrIter { buf, base, pos: 0 }
    }
    /// Bytes not consumed by well-formed attributes so far.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
}

impl<'a> Iterator for NlAttrIter<'a> {
    type Item = NlAttr<'a>;
    fn next(&mut self) -> Option<NlAttr<'a>> {
        let rest = self.buf.get(self.pos..)?;
        let mut a = NlAttr::new_checked(rest).ok()?;
        a.offset = self.base + self.pos;
        self.pos += nla_align(a.len() as usize).min(rest.len());
        Some(a)
    }
}

/// Appends one attribute (`nla_put`) to `out`, zero-padded to 4 bytes.
pub fn nla_put(out: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let len = NLA_HDRLEN + payload.len();
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(payload);
    out.resize(out.len() + (nla_align(len) - len), 0);
}

/// `struct sockaddr_nl` (12 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SockaddrNl {
    pub family: u16,
    pub pid: u32,
    pub groups: u32,
}

impl SockaddrNl {
    /// `sizeof(struct sockaddr_nl)`.
    pub const LEN: usize = 12;

    /// Parses a user address of at least 12 bytes (`EINVAL` otherwise; the
    /// family is not checked here).
    pub fn parse(b: &[u8]) -> KResult<Self> {
        if b.len() < Self::LEN {
            return Err(Errno::EINVAL);
        }
        Ok(SockaddrNl { family: rd_u16(b, 0), pid: rd_u32(b, 4), groups: rd_u32(b, 8) })
    }

    /// A netlink address.
    pub fn new(pid: u32, groups: u32) -> Self {
        SockaddrNl { family: crate::socket::AF_NETLINK as u16, pid, groups }
    }

    pub fn to_bytes(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[0..2].copy_from_slice(&self.family.to_le_bytes());
        b[4..8].copy_from_slice(&self.pid.to_le_bytes());
        b[8..12].copy_from_slice(&self.groups.to_le_bytes());
        b
    }
}

/// Owned `struct nlmsgerr` message: the error, the echoed request header,
/// the echoed request payload (absent when capped), and the ext-ack TLVs.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NlMsgErrRepr {
    /// The header of the NLMSG_ERROR message itself.
    pub hdr: NlMsgHdrRepr,
    /// `error`: 0 or a negative errno.
    pub error: i32,
    /// `msg`: the request's header.
    pub req: NlMsgHdrRepr,
    /// The request's payload when echoed (not `NLM_F_CAPPED`).
    pub req_payload: Vec<u8>,
    /// `NLMSGERR_ATTR_MSG` without its NUL.
    pub ext_msg: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`.
    pub ext_offs: Option<u32>,
    /// `NLMSGERR_ATTR_COOKIE`.
    pub ext_cookie: Option<Vec<u8>>,
    /// `NLMSGERR_ATTR_MISS_TYPE`.
    pub ext_miss_type: Option<u32>,
    /// `NLMSGERR_ATTR_MISS_NEST`.
    pub ext_miss_nest: Option<u32>,
}

impl NlMsgErrRepr {
    /// Parses an NLMSG_ERROR message.
    pub fn parse(m: &NlMsg<'_>) -> KResult<Self> {
        if m.msg_type() != NLMSG_ERROR {
            return Err(Errno::EINVAL);
        }
        let p = m.payload();
        if p.len() < 20 {
            return Err(Errno::EINVAL);
        }
        let error = rd_u32(p, 0) as i32;
        let req = NlMsgHdrRepr::parse_header(&p[4..20])?;
        let hdr = NlMsgHdrRepr::parse(m);
        let mut r = NlMsgErrRepr { hdr, error, req, ..Default::default() };
        let mut at = 20;
        if hdr.flags & NLM_F_CAPPED == 0 {
            let echoed = (req.len as usize).saturating_sub(NLMSG_HDRLEN);
            let end = (20 + echoed).min(p.len());
            r.req_payload = p[20..end].to_vec();
            at = nlmsg_align(end);
        }
        if hdr.flags & NLM_F_ACK_TLVS != 0 {
            for a in NlAttrIter::new(p.get(at..).unwrap_or(&[]), NLMSG_HDRLEN + at) {
                match a.kind() {
                    NLMSGERR_ATTR_MSG => {
                        let s = a.payload();
                        let s = s.split(|&c| c == 0).next().unwrap_or(&[]);
                        r.ext_msg = Some(String::from_utf8_lossy(s).into_owned());
                    }
                    NLMSGERR_ATTR_OFFS => r.ext_offs = a.get_u32(),
                    NLMSGERR_ATTR_COOKIE => r.ext_cookie = Some(a.payload().to_vec()),
                    NLMSGERR_ATTR_MISS_TYPE => r.ext_miss_type = a.get_u32(),
                    NLMSGERR_ATTR_MISS_NEST => r.ext_miss_nest = a.get_u32(),
                    _ => {}
                }
            }
        }
        Ok(r)
    }

    fn tlvs(&self) -> Vec<u8> {
        let mut t = Vec::new();
        if let Some(m) = &self.ext_msg {
            let mut s = m.as_bytes().to_vec();
            s.push(0);
            nla_put(&mut t, NLMSGERR_ATTR_MSG, &s);
        }
        if let Some(c) = &self.ext_cookie {
            nla_put(&mut t, NLMSGERR_ATTR_COOKIE, c);
        }
        if let Some(o) = self.ext_offs {
            nla_put(&mut t, NLMSGERR_ATTR_OFFS, &o.to_le_bytes());
        }
        if let Some(o) = self.ext_miss_type {
            nla_put(&mut t, NLMSGERR_ATTR_MISS_TYPE, &o.to_le_bytes());
        }
        if let Some(o) = self.ext_miss_nest {
            nla_put(&mut t, NLMSGERR_ATTR_MISS_NEST, &o.to_le_bytes());
        }
        t
    }

    /// The message length (`nlmsg_len` of the NLMSG_ERROR message).
    pub fn buffer_len(&self) -> usize {
        let mut n = NLMSG_HDRLEN + 20;
        if self.hdr.flags & NLM_F_CAPPED == 0 {
            n = nlmsg_align(n + self.req_payload.len());
        }
        n + self.tlvs().len()
    }

    /// Emits the whole message (header length fixed up from the content).
    pub fn emit(&self) -> Vec<u8> {
        let mut out = vec![0u8; NLMSG_HDRLEN];
        out.extend_from_slice(&self.error.to_le_bytes());
        out.extend_from_slice(&self.req.to_bytes());
        if self.hdr.flags & NLM_F_CAPPED == 0 {
            out.extend_from_slice(&self.req_payload);
            out.resize(nlmsg_align(out.len()), 0);
        }
        out.extend_from_slice(&self.tlvs());
        let hdr = NlMsgHdrRepr { len: out.len() as u32, ..self.hdr };
        hdr.emit(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A 36-byte capped success ACK for a request of type 0x13, seq 7, pid 0,
    // sent to port 1234.
    static ACK: [u8; 36] = [
        0x24, 0, 0, 0, 0x02, 0, 0x00, 0x01, 7, 0, 0, 0, 0xd2, 0x04, 0, 0, // hdr
        0, 0, 0, 0, // error 0
        0x24, 0, 0, 0, 0x13, 0, 0x05, 0, 7, 0, 0, 0, 0, 0, 0, 0, // request hdr
    ];

    #[test]
    fn test_deconstruct_ack() {
        let m = NlMsg::new_checked(&ACK).unwrap();
        assert_eq!(m.len(), 36);
        assert_eq!(m.msg_type(), NLMSG_ERROR);
        assert_eq!(m.flags(), NLM_F_CAPPED);
        assert_eq!(m.seq(), 7);
        assert_eq!(m.pid(), 1234);
        let e = NlMsgErrRepr::parse(&m).unwrap();
        assert_eq!(e.error, 0);
        assert_eq!(e.req.msg_type, 0x13);
        assert_eq!(e.req.flags, NLM_F_REQUEST | NLM_F_ACK);
        assert!(e.req_payload.is_empty());
        assert_eq!(e.ext_msg, None);
    }

    #[test]
    fn test_construct_ack() {
        let e = NlMsgErrRepr {
            hdr: NlMsgHdrRepr {
                msg_type: NLMSG_ERROR,
                flags: NLM_F_CAPPED,
                seq: 7,
                pid: 1234,
                len: 0,
            },
            error: 0,
            req: NlMsgHdrRepr { len: 36, msg_type: 0x13, flags: 5, seq: 7, pid: 0 },
            ..Default::default()
        };
        assert_eq!(e.buffer_len(), 36);
        assert_eq!(e.emit(), ACK.to_vec());
    }

    #[test]
    fn ext_ack_round_trip() {
        let e = NlMsgErrRepr {
            hdr: NlMsgHdrRepr {
                msg_type: NLMSG_ERROR,
                flags: NLM_F_ACK_TLVS,
                seq: 1,
                pid: 9,
                len: 0,
            },
            error: -22,
            req: NlMsgHdrRepr { len: 22, msg_type: 0x30, flags: 1, seq: 1, pid: 0 },
            req_payload: vec![1, 2, 3, 4, 5, 6],
            ext_msg: Some("Invalid".into()),
            ext_offs: Some(16),
            ..Default::default()
        };
        let b = e.emit();
        // 16 hdr + 20 nlmsgerr + 6 payload -> 44 aligned, + msg TLV 12 + offs TLV 8.
        assert_eq!(b.len(), 64);
        assert_eq!(&b[36..42], &[1, 2, 3, 4, 5, 6]);
        assert_eq!(&b[42..44], &[0, 0]);
        assert_eq!(&b[44..48], &[12, 0, 1, 0]);
        assert_eq!(&b[48..56], b"Invalid\0");
        assert_eq!(&b[56..64], &[8, 0, 2, 0, 16, 0, 0, 0]);
        let m = NlMsg::new_checked(&b).unwrap();
        assert_eq!(
            NlMsgErrRepr::parse(&m).unwrap(),
            NlMsgErrRepr { hdr: NlMsgHdrRepr { len: 64, ..e.hdr }, ..e }
        );
    }

    #[test]
    fn malformed_headers_are_rejected() {
        assert_eq!(NlMsg::new_checked(&[0u8; 15]).err(), Some(Errno::EINVAL));
        let mut b = [0u8; 16];
        b[0] = 15;
        assert_eq!(NlMsg::new_checked(&b).err(), Some(Errno::EINVAL));
        b[0] = 17;
        assert_eq!(NlMsg::new_checked(&b).err(), Some(Errno::EINVAL));
        // The iterator stops at the first bad message.
        let mut two = ACK.to_vec();
        two.extend_from_slice(&[3, 0, 0, 0]);
        two.extend_from_slice(&[0; 12]);
        assert_eq!(NlMsgIter::new(&two).count(), 1);
    }

    #[test]
    fn attrs_iterate_and_stop_at_garbage() {
        let mut b = Vec::new();
        nla_put(&mut b, 5, &[1, 2, 3]);
        nla_put(&mut b, NLA_F_NESTED | 7, &[9, 9, 9, 9]);
        b.extend_from_slice(&[1, 2]);
        let v: Vec<_> = NlAttrIter::new(&b, 20).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].kind(), 5);
        assert_eq!(v[0].payload(), &[1, 2, 3]);
        assert_eq!(v[0].offset, 20);
        assert_eq!(v[1].kind(), 7);
        assert_eq!(v[1].offset, 28);
        assert_eq!(v[1].get_u32(), Some(0x09090909));
        let mut it = NlAttrIter::new(&b, 0);
        it.by_ref().count();
        assert_eq!(it.remaining(), 2);
        assert!(NlAttr::new_checked(&[3, 0, 1, 0]).is_err());
    }

    #[test]
    fn sockaddr_nl_layout() {
        let a = SockaddrNl::new(0x01020304, 0x10);
        assert_eq!(a.to_bytes(), [16, 0, 0, 0, 4, 3, 2, 1, 0x10, 0, 0, 0]);
        assert_eq!(SockaddrNl::parse(&a.to_bytes()).unwrap(), a);
        assert_eq!(SockaddrNl::parse(&[0; 11]).err(), Some(Errno::EINVAL));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary bytes never make the parsers panic, and every message
        /// and attribute they yield lies inside the input.
        #[test]
        fn parsers_stay_in_bounds(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut seen = 0;
            for (at, m) in NlMsgIter::new(&bytes) {
                prop_assert!(at + m.len() as usize <= bytes.len());
                prop_assert!(m.len() as usize >= NLMSG_HDRLEN);
                if let Some(attrs) = m.attrs(4) {
                    for a in attrs {
                        prop_assert!(a.offset + a.len() as usize <= m.len() as usize);
                        let _ = (a.kind(), a.get_u32(), a.nested().count());
                    }
                }
                let _ = NlMsgErrRepr::parse(&m);
                seen += 1;
            }
            prop_assert!(seen <= bytes.len() / NLMSG_HDRLEN);
        }

        /// An emitted error message parses back to itself.
        #[test]
        fn nlmsgerr_round_trips(
            error in any::<i32>(),
            capped in any::<bool>(),
            payload in proptest::collection::vec(any::<u8>(), 0..40),
            msg in proptest::option::of("[a-z ]{0,20}"),
            offs in proptest::option::of(any::<u32>()),
        ) {
            let req_len = (NLMSG_HDRLEN + payload.len()) as u32;
            let mut flags = if capped { NLM_F_CAPPED } else { 0 };
            if msg.is_some() || offs.is_some() {
                flags |= NLM_F_ACK_TLVS;
            }
            let e = NlMsgErrRepr {
                hdr: NlMsgHdrRepr { len: 0, msg_type: NLMSG_ERROR, flags, seq: 3, pid: 4 },
                error,
                req: NlMsgHdrRepr { len: req_len, msg_type: 0x20, flags: 1, seq: 3, pid: 0 },
                req_payload: if capped { Vec::new() } else { payload },
                ext_msg: msg,
                ext_offs: offs,
                ..Default::default()
            };
            let b = e.emit();
            prop_assert_eq!(b.len(), e.buffer_len());
            let m = NlMsg::new_checked(&b).unwrap();
            let back = NlMsgErrRepr::parse(&m).unwrap();
            prop_assert_eq!(back, NlMsgErrRepr { hdr: NlMsgHdrRepr { len: b.len() as u32, ..e.hdr }, ..e });
        }
    }
}
