//! The user-space side of netlink that the commands need, after
//! iproute2's `lib/libnetlink.c`: building a request (`addattr_l`),
//! splitting reply datagrams into messages, reading `NLMSG_ERROR` with its
//! extended ACK, and `parse_rtattr`.

use sim_core::Errno;

/// `NLMSG_HDRLEN`.
pub const NLMSG_HDRLEN: usize = 16;
/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR`.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`.
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_ROOT`.
pub const NLM_F_ROOT: u16 = 0x100;
/// `NLM_F_MATCH`.
pub const NLM_F_MATCH: u16 = 0x200;
/// `NLM_F_DUMP`.
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
/// `NLM_F_REPLACE`.
pub const NLM_F_REPLACE: u16 = 0x100;
/// `NLM_F_EXCL`.
pub const NLM_F_EXCL: u16 = 0x200;
/// `NLM_F_CREATE`.
pub const NLM_F_CREATE: u16 = 0x400;
/// `NLM_F_ACK_TLVS` (in an `NLMSG_ERROR` header).
pub const NLM_F_ACK_TLVS: u16 = 0x200;
/// `NLMSGERR_ATTR_MSG`.
pub const NLMSGERR_ATTR_MSG: u16 = 1;

/// `NLMSG_ALIGN`.
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn le16(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn le32(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A request under construction: `struct nlmsghdr` followed by a fixed
/// header and attributes, with `nlmsg_len` kept as libnetlink keeps it.
#[derive(Debug, Clone)]
pub struct Request {
    buf: Vec<u8>,
}

impl Request {
    /// `nlmsg_len = NLMSG_LENGTH(fixed.len())`, type and flags set.
    pub fn new(ty: u16, flags: u16, fixed: &[u8]) -> Request {
        let mut buf = vec![0u8; NLMSG_HDRLEN];
        buf.extend_from_slice(fixed);
        let mut r = Request { buf };
        r.set_len();
        r.buf[4..6].copy_from_slice(&ty.to_le_bytes());
        r.buf[6..8].copy_from_slice(&flags.to_le_bytes());
        r
    }

    fn set_len(&mut self) {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_le_bytes());
    }

    /// `addattr_l`: pads the message to 4 bytes, appends the attribute and
    /// its padding (`nlmsg_len` includes the padding).
    pub fn addattr(&mut self, ty: u16, data: &[u8]) {
        let cur = align4(self.buf.len());
        self.buf.resize(cur, 0);
        let rta_len = (4 + data.len()) as u16;
        self.buf.extend_from_slice(&rta_len.to_le_bytes());
        self.buf.extend_from_slice(&ty.to_le_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
        self.set_len();
    }

    /// Sets `nlmsg_seq`.
    pub fn set_seq(&mut self, seq: u32) {
        self.buf[8..12].copy_from_slice(&seq.to_le_bytes());
    }

    /// The message type.
    pub fn ty(&self) -> u16 {
        le16(&self.buf, 4)
    }

    /// The message flags.
    pub fn flags(&self) -> u16 {
        le16(&self.buf, 6)
    }

    /// The bytes to send.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// One message of a reply datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg<'a> {
    /// `nlmsg_type`.
    pub ty: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub pid: u32,
    /// Everything after the header, `nlmsg_len - 16` bytes.
    pub payload: &'a [u8],
}

/// Splits a datagram into messages (`NLMSG_OK`/`NLMSG_NEXT`); a truncated
/// tail ends the walk.
pub fn messages(dgram: &[u8]) -> Vec<Msg<'_>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + NLMSG_HDRLEN <= dgram.len() {
        let len = le32(dgram, off) as usize;
        if len < NLMSG_HDRLEN || off + len > dgram.len() {
            break;
        }
        out.push(Msg {
            ty: le16(dgram, off + 4),
            flags: le16(dgram, off + 6),
            seq: le32(dgram, off + 8),
            pid: le32(dgram, off + 12),
            payload: &dgram[off + NLMSG_HDRLEN..off + len],
        });
        off += align4(len);
    }
    out
}

/// The `struct nlmsgerr` of an `NLMSG_ERROR` message: the errno (0 for an
/// ACK) and the extended-ACK message text if one is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlErr {
    /// `-error`, or `None` for an ACK.
    pub errno: Option<Result<Errno, i32>>,
    /// `NLMSGERR_ATTR_MSG`.
    pub msg: Option<String>,
}

/// Reads an `NLMSG_ERROR` message.
pub fn parse_error(m: &Msg<'_>) -> NlErr {
    let err = le32(m.payload, 0) as i32;
    let errno = if err == 0 {
        None
    } else {
        let n = err.wrapping_neg();
        Some(Errno::from_raw(n).ok_or(n))
    };
    let mut msg = None;
    if m.flags & NLM_F_ACK_TLVS != 0 {
        // The echoed request: its header only when capped, else whole.
        let echoed = le32(m.payload, 4) as usize;
        let skip = if m.flags & 0x100 != 0 { NLMSG_HDRLEN } else { echoed.max(NLMSG_HDRLEN) };
        let tlvs = m.payload.get(4 + align4(skip)..).unwrap_or_default();
        for (ty, data) in attrs(tlvs) {
            if ty == NLMSGERR_ATTR_MSG {
                let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                msg = Some(String::from_utf8_lossy(&data[..end]).into_owned());
            }
        }
    }
    NlErr { errno, msg }
}

/// Walks attributes (`RTA_OK`/`RTA_NEXT`), yielding (type without flag
/// bits, payload).
pub fn attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let len = le16(b, 0) as usize;
        if len < 4 || len > b.len() {
            break;
        }
        out.push((le16(b, 2) & 0x3fff, &b[4..len]));
        b = b.get(align4(len)..).unwrap_or_default();
    }
    out
}

/// `parse_rtattr`: a table indexed by type; the first occurrence wins.
#[derive(Debug, Default)]
pub struct AttrTable<'a> {
    tb: Vec<Option<&'a [u8]>>,
}

impl<'a> AttrTable<'a> {
    /// Parses `b` keeping types up to `max`.
    pub fn parse(b: &'a [u8], max: u16) -> AttrTable<'a> {
        let mut tb = vec![None; max as usize + 1];
        for (ty, data) in attrs(b) {
            if let Some(slot) = tb.get_mut(ty as usize)
                && slot.is_none()
            {
                *slot = Some(data);
            }
        }
        AttrTable { tb }
    }

    /// The payload of `ty`.
    pub fn get(&self, ty: u16) -> Option<&'a [u8]> {
        self.tb.get(ty as usize).copied().flatten()
    }

    /// `rta_getattr_u32`.
    pub fn u32(&self, ty: u16) -> Option<u32> {
        self.get(ty).map(|d| le32(d, 0))
    }
}

/// Reads a host-order u32 from `b` at `off` (0 past the end).
pub fn le_u32(b: &[u8], off: usize) -> u32 {
    le32(b, off)
}

/// The channel a command talks over: one netlink socket. `send` hands a
/// datagram to the kernel (which handles it synchronously, as Linux does
/// inside `sendmsg`); `recv` returns the next queued datagram, or `None`
/// when nothing is queued (a `MSG_DONTWAIT` receive that got `EAGAIN`).
pub trait Link {
    /// `sendmsg`.
    fn send(&mut self, dgram: &[u8]) -> Result<(), Errno>;
    /// `recvmsg(MSG_DONTWAIT)`.
    fn recv(&mut self) -> Result<Option<Vec<u8>>, Errno>;
    /// `bind` with `nl_groups` (what `rtnl_open_byproto(groups)` does);
    /// links that cannot listen refuse with `EOPNOTSUPP`.
    fn join_groups(&mut self, _groups: u32) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
}

impl Request {
    /// A request from complete bytes (the header's fields as given).
    pub fn from_bytes(buf: Vec<u8>) -> Request {
        let mut buf = buf;
        if buf.len() < NLMSG_HDRLEN {
            buf.resize(NLMSG_HDRLEN, 0);
        }
        Request { buf }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addattr_pads_and_counts_padding() {
        let mut r = Request::new(0x13, NLM_F_REQUEST, &[0u8; 6]);
        assert_eq!(r.bytes().len(), 22);
        r.addattr(16, &[1, 0, 0, 0, 0, 0]);
        // 22 aligned to 24, 4 + 6 = 10 aligned to 12.
        assert_eq!(r.bytes().len(), 36);
        assert_eq!(&r.bytes()[0..4], &36u32.to_le_bytes());
        assert_eq!(&r.bytes()[24..28], &[10, 0, 16, 0]);
    }

    #[test]
    fn messages_stop_at_truncation() {
        let mut d = Request::new(3, 2, &[0, 0, 0, 0]).bytes().to_vec();
        d.extend_from_slice(&[40, 0, 0, 0, 3, 0]);
        let m = messages(&d);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].ty, NLMSG_DONE);
        assert!(messages(&[1, 2, 3]).is_empty());
    }

    #[test]
    fn error_with_extack_text() {
        let req = Request::new(0x13, 5, &[0u8; 4]);
        let mut payload = (-22i32).to_le_bytes().to_vec();
        payload.extend_from_slice(&req.bytes()[..16]);
        let text = b"Policy index doesn't match direction\0";
        payload.extend_from_slice(&((4 + text.len()) as u16).to_le_bytes());
        payload.extend_from_slice(&NLMSGERR_ATTR_MSG.to_le_bytes());
        payload.extend_from_slice(text);
        let m = Msg { ty: NLMSG_ERROR, flags: 0x300, seq: 0, pid: 0, payload: &payload };
        let e = parse_error(&m);
        assert_eq!(e.errno, Some(Ok(Errno::EINVAL)));
        assert_eq!(e.msg.as_deref(), Some("Policy index doesn't match direction"));
    }
}
