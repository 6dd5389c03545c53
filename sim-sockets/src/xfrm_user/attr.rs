//! Attribute parsing with `nlmsg_parse_deprecated` semantics
//! (`lib/nlattr.c`: `__nla_validate_parse`, `validate_nla`), over the xfrm
//! policy tables of [`super::uapi`].
//!
//! Liberal validation: unknown types (0 or above the table's maximum) are
//! skipped, an attribute shorter than its policy minimum fails with
//! `ERANGE` and the offending attribute's offset, longer ones are
//! accepted, the last duplicate wins, and bytes left after the last
//! well-formed attribute only produce the warning "bytes leftover after
//! parsing attributes". Types at or above the table's `strict_start_type`
//! get strict checks (exact integer lengths, no `NLA_F_NESTED`).

use sim_core::Errno;

use super::uapi::{NlaPolicy, NlaPolicyTable, NlaType, XFRMA_MAX};
use super::wire::align4;

/// `NLMSG_HDRLEN`.
pub const NLMSG_HDRLEN: usize = 16;
/// `NLA_HDRLEN`.
pub const NLA_HDRLEN: usize = 4;
/// `NLA_F_NESTED`.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// `NLA_F_NET_BYTEORDER`.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// `NLA_TYPE_MASK`.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// Extended-ACK text of a failed `validate_nla` length/type check.
pub const MSG_ATTR_POLICY: &str = "Attribute failed policy validation";
/// Extended-ACK text of a strict exact-length mismatch.
pub const MSG_ATTR_INVALID_LEN: &str = "invalid attribute length";
/// Extended-ACK text of an integer outside its `NLA_POLICY_RANGE`.
pub const MSG_ATTR_RANGE: &str = "integer out of range";
/// Extended-ACK text of a strict attribute carrying `NLA_F_NESTED`.
pub const MSG_ATTR_NESTED: &str = "NLA_F_NESTED not expected";
/// Extended-ACK text of a strict `NLA_UNSPEC` attribute.
pub const MSG_ATTR_UNSUPPORTED: &str = "Unsupported attribute";
/// Warning for trailing bytes after the attributes.
pub const MSG_LEFTOVER: &str = "bytes leftover after parsing attributes";
/// `__nlmsg_parse`'s text for a payload shorter than the fixed header.
pub const MSG_INVALID_HDRLEN: &str = "Invalid header length";

/// The attribute an extended ACK points at (`NLMSGERR_ATTR_OFFS`, and the
/// policy behind `NLMSGERR_ATTR_POLICY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAttr {
    /// Offset of the attribute header from the start of the `nlmsghdr`.
    pub offset: usize,
    /// The policy entry it violated (see [`NlaPolicy::dump`]).
    pub policy: Option<&'static NlaPolicy>,
}

/// An error with what `struct netlink_ext_ack` would carry back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtAckError {
    /// The errno (returned negated in `nlmsgerr.error`).
    pub errno: Errno,
    /// `NLMSGERR_ATTR_MSG`.
    pub msg: Option<&'static str>,
    /// `NLMSGERR_ATTR_OFFS` / `NLMSGERR_ATTR_POLICY`.
    pub bad_attr: Option<BadAttr>,
}

impl ExtAckError {
    /// An error with a message and no attribute.
    pub const fn new(errno: Errno, msg: Option<&'static str>) -> Self {
        Self { errno, msg, bad_attr: None }
    }

    /// The `(errno, text)` pair.
    pub const fn pair(&self) -> (Errno, Option<&'static str>) {
        (self.errno, self.msg)
    }
}

impl From<(Errno, Option<&'static str>)> for ExtAckError {
    fn from((errno, msg): (Errno, Option<&'static str>)) -> Self {
        Self::new(errno, msg)
    }
}

/// One attribute kept by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NlAttr<'a> {
    /// Offset of the `nlattr` header from the start of the message.
    pub offset: usize,
    /// Raw `nla_type` (flag bits included).
    pub nla_type: u16,
    /// Payload (`nla_len - NLA_HDRLEN` bytes).
    pub payload: &'a [u8],
}

impl<'a> NlAttr<'a> {
    /// `nla_type()`: the type without flag bits.
    pub fn kind(&self) -> u16 {
        self.nla_type & NLA_TYPE_MASK
    }

    /// `nla_len()`: payload length.
    pub fn len(&self) -> usize {
        self.payload.len()
    }

    /// True for an empty payload.
    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }

    /// `nla_get_u8` (0 if the payload is empty).
    pub fn get_u8(&self) -> u8 {
        self.payload.first().copied().unwrap_or(0)
    }

    /// `nla_get_u16` (host order; missing bytes read as 0).
    pub fn get_u16(&self) -> u16 {
        u16::from_le_bytes(super::wire::read_array::<2>(self.payload, 0))
    }

    /// `nla_get_u32` (host order; missing bytes read as 0).
    pub fn get_u32(&self) -> u32 {
        u32::from_le_bytes(super::wire::read_array::<4>(self.payload, 0))
    }

    /// `nla_get_u64` (host order; missing bytes read as 0).
    pub fn get_u64(&self) -> u64 {
        u64::from_le_bytes(super::wire::read_array::<8>(self.payload, 0))
    }
}

/// Where one attribute of `attrs[]` lies in the attribute stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    /// Offset of the `nlattr` header in the stream.
    pos: u32,
    /// `nla_len` (header included).
    nla_len: u16,
    /// Raw `nla_type`.
    nla_type: u16,
}

/// The `attrs[]` array: the last attribute of each known type.  Like the
/// kernel's `struct nlattr *attrs[XFRMA_MAX + 1]` it lives on the stack
/// and points into the message: each slot is a position in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XfrmAttrs<'a> {
    /// The attribute stream.
    data: &'a [u8],
    /// Offset of the stream from the start of the message.
    data_offset: usize,
    maxtype: u16,
    tb: [Option<Slot>; XFRMA_MAX as usize + 1],
}

impl<'a> XfrmAttrs<'a> {
    /// An empty array for types `0..=maxtype` (at most `XFRMA_MAX`) over
    /// the stream `data`, found `data_offset` bytes into the message.
    pub fn new(maxtype: u16, data: &'a [u8], data_offset: usize) -> Self {
        Self {
            data,
            data_offset,
            maxtype: maxtype.min(XFRMA_MAX),
            tb: [None; XFRMA_MAX as usize + 1],
        }
    }

    /// `attrs[type]`.
    pub fn get(&self, nla_type: u16) -> Option<NlAttr<'a>> {
        let s = (*self.tb.get(nla_type as usize)?)?;
        let pos = s.pos as usize;
        let payload = self.data.get(pos + NLA_HDRLEN..pos + usize::from(s.nla_len))?;
        Some(NlAttr { offset: self.data_offset + pos, nla_type: s.nla_type, payload })
    }

    /// `attrs[type] != NULL`.
    pub fn has(&self, nla_type: u16) -> bool {
        self.tb.get(nla_type as usize).is_some_and(Option::is_some)
    }

    /// `attrs[type]`'s payload.
    pub fn payload(&self, nla_type: u16) -> Option<&'a [u8]> {
        self.get(nla_type).map(|a| a.payload)
    }

    /// `nla_get_u8` of `attrs[type]`.
    pub fn u8(&self, nla_type: u16) -> Option<u8> {
        self.get(nla_type).map(|a| a.get_u8())
    }

    /// `nla_get_u32` of `attrs[type]`.
    pub fn u32(&self, nla_type: u16) -> Option<u32> {
        self.get(nla_type).map(|a| a.get_u32())
    }

    /// Stores the attribute whose header is at `pos` in the stream.
    fn set(&mut self, pos: usize, nla_len: usize, nla_type: u16) {
        let kind = nla_type & NLA_TYPE_MASK;
        if kind > self.maxtype {
            return;
        }
        if let (Some(slot), Ok(pos), Ok(nla_len)) =
            (self.tb.get_mut(kind as usize), u32::try_from(pos), u16::try_from(nla_len))
        {
            *slot = Some(Slot { pos, nla_len, nla_type });
        }
    }

    /// Present attributes in type order.
    pub fn iter(&self) -> impl Iterator<Item = NlAttr<'a>> + '_ {
        (0..self.tb.len() as u16).filter_map(|t| self.get(t))
    }
}

/// Attributes plus the warning the parse may leave in the extended ACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAttrs<'a> {
    /// The attribute array.
    pub attrs: XfrmAttrs<'a>,
    /// "bytes leftover after parsing attributes" if trailing bytes remained.
    pub warning: Option<&'static str>,
}

fn policy_err(
    errno: Errno,
    msg: &'static str,
    offset: usize,
    pt: Option<&'static NlaPolicy>,
) -> ExtAckError {
    ExtAckError { errno, msg: Some(msg), bad_attr: Some(BadAttr { offset, policy: pt }) }
}

/// `validate_nla`: checks one attribute against its policy entry.
fn validate_nla(attr: &NlAttr<'_>, table: &NlaPolicyTable) -> Result<(), ExtAckError> {
    let ty = attr.kind();
    let strict = table.strict_start_type != 0 && ty >= table.strict_start_type;
    if ty == 0 || ty > table.maxtype() {
        return Ok(());
    }
    let Some(pt) = table.get(ty) else { return Ok(()) };
    let attrlen = attr.len();
    let exact = pt.kind.exact_len();
    // A wrong-size integer is only a rate-limited warning unless strict.
    if exact != 0 && attrlen != exact && strict {
        return Err(policy_err(Errno::EINVAL, MSG_ATTR_INVALID_LEN, attr.offset, Some(pt)));
    }
    if strict && pt.kind != NlaType::Unspec && attr.nla_type & NLA_F_NESTED != 0 {
        return Err(policy_err(Errno::EINVAL, MSG_ATTR_NESTED, attr.offset, Some(pt)));
    }
    let too_short = match pt.kind {
        NlaType::Flag => attrlen > 0,
        NlaType::Unspec => {
            if strict {
                return Err(ExtAckError {
                    errno: Errno::EINVAL,
                    msg: Some(MSG_ATTR_UNSUPPORTED),
                    bad_attr: Some(BadAttr { offset: attr.offset, policy: None }),
                });
            }
            attrlen < pt.len as usize
        }
        kind => {
            let minlen = if pt.len != 0 { pt.len as usize } else { kind.min_len() };
            attrlen < minlen
        }
    };
    if too_short {
        return Err(policy_err(Errno::ERANGE, MSG_ATTR_POLICY, attr.offset, Some(pt)));
    }
    if let Some((min, max)) = pt.range {
        let value = match pt.kind {
            NlaType::U8 => attr.get_u8() as u64,
            NlaType::U16 => attr.get_u16() as u64,
            NlaType::U32 => attr.get_u32() as u64,
            _ => attr.get_u64(),
        };
        if value < min || value > max {
            return Err(policy_err(Errno::ERANGE, MSG_ATTR_RANGE, attr.offset, Some(pt)));
        }
    }
    Ok(())
}

/// `nla_parse_deprecated`: walks the attribute stream `data`, which starts
/// `data_offset` bytes after the `nlmsghdr` (for error offsets).
pub fn nla_parse_deprecated<'a>(
    data: &'a [u8],
    data_offset: usize,
    table: &NlaPolicyTable,
) -> Result<ParsedAttrs<'a>, ExtAckError> {
    let mut attrs = XfrmAttrs::new(table.maxtype(), data, data_offset);
    let mut pos = 0usize;
    let mut rem = data.len() as isize;
    // nla_for_each_attr / nla_ok
    while rem >= NLA_HDRLEN as isize {
        let hdr = super::wire::read_array::<4>(data, pos);
        let nla_len = u16::from_le_bytes([hdr[0], hdr[1]]) as usize;
        let nla_type = u16::from_le_bytes([hdr[2], hdr[3]]);
        if nla_len < NLA_HDRLEN || nla_len as isize > rem {
            break;
        }
        let payload = data.get(pos + NLA_HDRLEN..pos + nla_len).unwrap_or_default();
        let attr = NlAttr { offset: data_offset + pos, nla_type, payload };
        let ty = attr.kind();
        if ty != 0 && ty <= table.maxtype() {
            validate_nla(&attr, table)?;
            attrs.set(pos, nla_len, nla_type);
        }
        let total = align4(nla_len);
        rem -= total as isize;
        pos += total;
    }
    let warning = if rem > 0 { Some(MSG_LEFTOVER) } else { None };
    Ok(ParsedAttrs { attrs, warning })
}

/// `nlmsg_parse_deprecated(nlh, hdrlen, ...)`: `msg` is the whole netlink
/// message (`nlmsg_len` bytes, header included). A message shorter than
/// `NLMSG_HDRLEN + hdrlen` fails with `EINVAL` "Invalid header length";
/// attributes start at `NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen)`.
pub fn nlmsg_parse_deprecated<'a>(
    msg: &'a [u8],
    hdrlen: usize,
    table: &NlaPolicyTable,
) -> Result<ParsedAttrs<'a>, ExtAckError> {
    if msg.len() < NLMSG_HDRLEN + hdrlen {
        return Err(ExtAckError::new(Errno::EINVAL, Some(MSG_INVALID_HDRLEN)));
    }
    let start = NLMSG_HDRLEN + align4(hdrlen);
    let data = msg.get(start..).unwrap_or_default();
    nla_parse_deprecated(data, start, table)
}
