//! What `net/key/af_key.c` checks before a handler runs, and the small
//! translation tables every handler uses:
//!
//! - `pfkey_sendmsg()`'s size checks and `pfkey_get_base_msg()`'s header
//!   checks — errors returned by `send()` itself, no reply;
//! - `parse_exthdrs()` with `verify_address_len()`, `verify_key_len()` and
//!   `verify_sec_ctx_len()` — errors that become an error reply;
//! - `present_and_same_family()`, `pfkey_satype2proto()`/`proto2satype()`,
//!   `pfkey_mode_to_xfrm()`/`from_xfrm()`, the `pfkey_funcs[]` table, and
//!   the error reply itself (`pfkey_error()`).

use sim_core::{Errno, KResult};

use super::wire::consts::*;
use super::wire::{
    SadbAddress, SadbExt, SadbKey, SadbLifetime, SadbMsg, SadbMsgRepr, SadbSa, SadbSpirange,
    SadbXFilter, SadbXKmaddress, SadbXNatTPort, SadbXNatTType, SadbXPolicy, SadbXSa2, SadbXSecCtx,
    SockAddr,
};

/// `MSG_OOB`, the one `send()` flag PF_KEY refuses.
pub const MSG_OOB: u32 = 1;
/// `PAGE_SIZE`: the longest security context `verify_sec_ctx_len()` allows.
pub const PAGE_SIZE: usize = 4096;

/// `IPPROTO_AH`.
pub const IPPROTO_AH: u8 = 51;
/// `IPPROTO_ESP`.
pub const IPPROTO_ESP: u8 = 50;
/// `IPPROTO_COMP`.
pub const IPPROTO_COMP: u8 = 108;

/// `XFRM_MODE_TRANSPORT` (`include/uapi/linux/xfrm.h`).
pub const XFRM_MODE_TRANSPORT: u8 = 0;
/// `XFRM_MODE_TUNNEL`.
pub const XFRM_MODE_TUNNEL: u8 = 1;
/// `XFRM_MODE_ROUTEOPTIMIZATION` (no PF_KEY encoding).
pub const XFRM_MODE_ROUTEOPTIMIZATION: u8 = 2;
/// `XFRM_MODE_IN_TRIGGER` (no PF_KEY encoding).
pub const XFRM_MODE_IN_TRIGGER: u8 = 3;
/// `XFRM_MODE_BEET`.
pub const XFRM_MODE_BEET: u8 = 4;
/// `XFRM_MODE_IPTFS` (no PF_KEY encoding).
pub const XFRM_MODE_IPTFS: u8 = 5;

/// `sadb_ext_min_len[]`: the smallest length, in bytes, `parse_exthdrs()`
/// accepts for each extension type (index = type; the fixed structure's
/// size).
pub const SADB_EXT_MIN_LEN: [u8; SADB_EXT_MAX as usize + 1] = [
    0,  // RESERVED
    16, // SA
    32, // LIFETIME_CURRENT
    32, // LIFETIME_HARD
    32, // LIFETIME_SOFT
    8,  // ADDRESS_SRC
    8,  // ADDRESS_DST
    8,  // ADDRESS_PROXY
    8,  // KEY_AUTH
    8,  // KEY_ENCRYPT
    16, // IDENTITY_SRC
    16, // IDENTITY_DST
    16, // SENSITIVITY
    8,  // PROPOSAL
    8,  // SUPPORTED_AUTH
    8,  // SUPPORTED_ENCRYPT
    16, // SPIRANGE
    8,  // X_KMPRIVATE
    16, // X_POLICY
    16, // X_SA2
    8,  // X_NAT_T_TYPE
    8,  // X_NAT_T_SPORT
    8,  // X_NAT_T_DPORT
    8,  // X_NAT_T_OA
    8,  // X_SEC_CTX
    8,  // X_KMADDRESS
    40, // X_FILTER
];

/// The `send()`-level checks `pfkey_sendmsg()` makes before it looks at the
/// bytes: `MSG_OOB` → `EOPNOTSUPP`; `len > sk_sndbuf − 32` (compared as the
/// kernel's `unsigned int`s) → `EMSGSIZE`. No reply is sent for these.
pub fn pfkey_sendmsg_check(msg_flags: u32, len: usize, sk_sndbuf: u32) -> KResult<()> {
    if msg_flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    // The kernel casts len to unsigned int; sk_sndbuf never drops below
    // SOCK_MIN_SNDBUF, so the subtraction cannot wrap in practice.
    if len as u32 > sk_sndbuf.wrapping_sub(32) {
        return Err(Errno::EMSGSIZE);
    }
    Ok(())
}

/// `pfkey_get_base_msg()`: the header checks on a whole request (`buf` is
/// everything `send()` passed). Shorter than `sadb_msg` → `EMSGSIZE`;
/// version ≠ `PF_KEY_V2`, reserved ≠ 0, or type 0 or above `SADB_MAX` →
/// `EINVAL`; `sadb_msg_len` ≠ `len / 8` (so up to 7 trailing bytes pass) or
/// below 2 → `EMSGSIZE`. `send()` fails with these and nothing is
/// delivered.
pub fn pfkey_get_base_msg(buf: &[u8]) -> KResult<SadbMsg<&[u8]>> {
    let hdr = SadbMsg::new_checked(buf).map_err(|_| Errno::EMSGSIZE)?;
    if hdr.version() != PF_KEY_V2
        || hdr.reserved() != 0
        || hdr.msg_type() == SADB_RESERVED
        || hdr.msg_type() > SADB_MAX
    {
        return Err(Errno::EINVAL);
    }
    let len = usize::from(hdr.len());
    if len != buf.len() / 8 || len < SadbMsg::<&[u8]>::SIZE / 8 {
        return Err(Errno::EMSGSIZE);
    }
    Ok(hdr)
}

/// `verify_address_len()` on one address extension (the bytes
/// `sadb_address_len × 8` covers): the length must reach the family field,
/// then be exactly 3 units for `AF_INET` (prefix ≤ 32) or 5 for `AF_INET6`
/// (prefix ≤ 128); any other family is refused. Every failure is `EINVAL`.
pub fn verify_address_len(ext: &[u8]) -> KResult<()> {
    let sp = SadbAddress::new_unchecked(ext);
    // DIV_ROUND_UP(sizeof(sadb_address) + offsetofend(sockaddr, sa_family), 8)
    if usize::from(sp.len()) < (8 + 2usize).div_ceil(8) {
        return Err(Errno::EINVAL);
    }
    let (len, max_prefix) = match sp.family() {
        AF_INET => ((8 + 16usize).div_ceil(8), 32),
        AF_INET6 => ((8 + 28usize).div_ceil(8), 128),
        _ => return Err(Errno::EINVAL),
    };
    if usize::from(sp.len()) != len || sp.prefixlen() > max_prefix {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// `sadb_key_len()`: the units a key of `bits` bits needs with its header.
pub const fn sadb_key_len(bits: u16) -> usize {
    (8 + (bits as usize).div_ceil(8)).div_ceil(8)
}

/// `verify_key_len()`: `sadb_key_bits` must fit in `sadb_key_len`
/// (`EINVAL` otherwise; a longer extension is fine).
pub fn verify_key_len(ext: &[u8]) -> KResult<()> {
    let key = SadbKey::new_unchecked(ext);
    if sadb_key_len(key.bits()) > usize::from(key.len()) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// `pfkey_sec_ctx_len()`: the units a context of `ctx_len` bytes needs with
/// its header.
pub const fn pfkey_sec_ctx_len(ctx_len: u16) -> usize {
    (8 + ctx_len as usize).div_ceil(8)
}

/// `verify_sec_ctx_len()`: `sadb_x_ctx_len` at most `PAGE_SIZE`, and
/// `sadb_x_sec_len` exactly the units header plus context need (`EINVAL`
/// otherwise).
pub fn verify_sec_ctx_len(ext: &[u8]) -> KResult<()> {
    let ctx = SadbXSecCtx::new_unchecked(ext);
    if usize::from(ctx.ctx_len()) > PAGE_SIZE
        || usize::from(ctx.len()) != pfkey_sec_ctx_len(ctx.ctx_len())
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// `present_and_same_family()`: both address extensions present, with the
/// same `sa_family`, which is `AF_INET` or `AF_INET6`.
pub fn present_and_same_family(src: Option<&[u8]>, dst: Option<&[u8]>) -> bool {
    let (Some(src), Some(dst)) = (src, dst) else {
        return false;
    };
    let family = SadbAddress::new_unchecked(src).family();
    family == SadbAddress::new_unchecked(dst).family() && (family == AF_INET || family == AF_INET6)
}

/// The `ext_hdrs[SADB_EXT_MAX]` array `parse_exthdrs()` fills: for each
/// known extension type, the bytes of the one extension of that type
/// (`sadb_ext_len × 8` of them), if present. Every slice passed the type's
/// checks, so the typed accessors' views always cover the fixed structure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtHdrs<'a> {
    ext: [Option<&'a [u8]>; SADB_EXT_MAX as usize],
}

impl<'a> ExtHdrs<'a> {
    /// The extension of type `ext_type` (1..=`SADB_EXT_MAX`).
    pub fn get(&self, ext_type: u16) -> Option<&'a [u8]> {
        let idx = usize::from(ext_type).checked_sub(1)?;
        self.ext.get(idx).copied().flatten()
    }

    /// Whether an extension of type `ext_type` is present.
    pub fn has(&self, ext_type: u16) -> bool {
        self.get(ext_type).is_some()
    }

    /// The present extensions in type order, as `(type, bytes)`.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &'a [u8])> + '_ {
        (1..=SADB_EXT_MAX).filter_map(|t| self.get(t).map(|b| (t, b)))
    }

    /// `present_and_same_family(ext_hdrs[ADDRESS_SRC], ext_hdrs[ADDRESS_DST])`.
    pub fn present_and_same_family(&self) -> bool {
        present_and_same_family(self.get(SADB_EXT_ADDRESS_SRC), self.get(SADB_EXT_ADDRESS_DST))
    }

    /// `SADB_EXT_SA`.
    pub fn sa(&self) -> Option<SadbSa<&'a [u8]>> {
        self.get(SADB_EXT_SA).map(SadbSa::new_unchecked)
    }

    /// `SADB_EXT_LIFETIME_{CURRENT,HARD,SOFT}` (`ext_type` picks which).
    pub fn lifetime(&self, ext_type: u16) -> Option<SadbLifetime<&'a [u8]>> {
        match ext_type {
            SADB_EXT_LIFETIME_CURRENT | SADB_EXT_LIFETIME_HARD | SADB_EXT_LIFETIME_SOFT => {
                self.get(ext_type).map(SadbLifetime::new_unchecked)
            }
            _ => None,
        }
    }

    /// `SADB_EXT_ADDRESS_{SRC,DST,PROXY}` or `SADB_X_EXT_NAT_T_OA`.
    pub fn address(&self, ext_type: u16) -> Option<SadbAddress<&'a [u8]>> {
        match ext_type {
            SADB_EXT_ADDRESS_SRC
            | SADB_EXT_ADDRESS_DST
            | SADB_EXT_ADDRESS_PROXY
            | SADB_X_EXT_NAT_T_OA => self.get(ext_type).map(SadbAddress::new_unchecked),
            _ => None,
        }
    }

    /// The sockaddr of an address extension (always inet or inet6 after
    /// `verify_address_len()`).
    pub fn sockaddr(&self, ext_type: u16) -> Option<SockAddr> {
        self.address(ext_type).and_then(|a| SockAddr::parse(a.payload()).ok())
    }

    /// `SADB_EXT_KEY_{AUTH,ENCRYPT}`.
    pub fn key(&self, ext_type: u16) -> Option<SadbKey<&'a [u8]>> {
        match ext_type {
            SADB_EXT_KEY_AUTH | SADB_EXT_KEY_ENCRYPT => {
                self.get(ext_type).map(SadbKey::new_unchecked)
            }
            _ => None,
        }
    }

    /// The key bytes of a key extension: `(bits + 7) / 8` of them, which
    /// `verify_key_len()` guaranteed are present.
    pub fn key_bytes(&self, ext_type: u16) -> Option<&'a [u8]> {
        let key = self.key(ext_type)?;
        let n = usize::from(key.bits()).div_ceil(8);
        key.into_inner().get(8..8 + n)
    }

    /// `SADB_EXT_SPIRANGE`.
    pub fn spirange(&self) -> Option<SadbSpirange<&'a [u8]>> {
        self.get(SADB_EXT_SPIRANGE).map(SadbSpirange::new_unchecked)
    }

    /// `SADB_X_EXT_POLICY` (with its requests).
    pub fn policy(&self) -> Option<SadbXPolicy<&'a [u8]>> {
        self.get(SADB_X_EXT_POLICY).map(SadbXPolicy::new_unchecked)
    }

    /// `SADB_X_EXT_SA2`.
    pub fn sa2(&self) -> Option<SadbXSa2<&'a [u8]>> {
        self.get(SADB_X_EXT_SA2).map(SadbXSa2::new_unchecked)
    }

    /// `SADB_X_EXT_NAT_T_TYPE`.
    pub fn nat_t_type(&self) -> Option<SadbXNatTType<&'a [u8]>> {
        self.get(SADB_X_EXT_NAT_T_TYPE).map(SadbXNatTType::new_unchecked)
    }

    /// `SADB_X_EXT_NAT_T_{SPORT,DPORT}`.
    pub fn nat_t_port(&self, ext_type: u16) -> Option<SadbXNatTPort<&'a [u8]>> {
        match ext_type {
            SADB_X_EXT_NAT_T_SPORT | SADB_X_EXT_NAT_T_DPORT => {
                self.get(ext_type).map(SadbXNatTPort::new_unchecked)
            }
            _ => None,
        }
    }

    /// `SADB_X_EXT_SEC_CTX`.
    pub fn sec_ctx(&self) -> Option<SadbXSecCtx<&'a [u8]>> {
        self.get(SADB_X_EXT_SEC_CTX).map(SadbXSecCtx::new_unchecked)
    }

    /// `SADB_X_EXT_KMADDRESS`.
    pub fn kmaddress(&self) -> Option<SadbXKmaddress<&'a [u8]>> {
        self.get(SADB_X_EXT_KMADDRESS).map(SadbXKmaddress::new_unchecked)
    }

    /// `SADB_X_EXT_FILTER`.
    pub fn filter(&self) -> Option<SadbXFilter<&'a [u8]>> {
        self.get(SADB_X_EXT_FILTER).map(SadbXFilter::new_unchecked)
    }
}

/// `parse_exthdrs()`: walks the extensions of a request that passed
/// [`pfkey_get_base_msg`] (`msg` is the whole request, header included, up
/// to 7 trailing bytes too) and records one per known type. All failures
/// are `EINVAL`, in this order per extension:
/// fewer than 4 bytes left; length under 8 bytes or beyond what is left;
/// type 0; then for types up to `SADB_EXT_MAX`: shorter than
/// [`SADB_EXT_MIN_LEN`], a second extension of the type, and the address,
/// security-context and key checks. Types above `SADB_EXT_MAX` are skipped.
pub fn parse_exthdrs(msg: &[u8]) -> KResult<ExtHdrs<'_>> {
    let mut hdrs = ExtHdrs::default();
    let mut rest = msg.get(SadbMsg::<&[u8]>::SIZE..).unwrap_or(&[]);
    while !rest.is_empty() {
        let ehdr = SadbExt::new_checked(rest)?;
        let ext_len = usize::from(ehdr.len()) * 8;
        let ext_type = ehdr.ext_type();
        if ext_len < 8 || ext_len > rest.len() || ext_type == SADB_EXT_RESERVED {
            return Err(Errno::EINVAL);
        }
        let (ext, tail) = rest.split_at_checked(ext_len).ok_or(Errno::EINVAL)?;
        if let Some(min) = SADB_EXT_MIN_LEN.get(usize::from(ext_type)) {
            if ext_len < usize::from(*min) {
                return Err(Errno::EINVAL);
            }
            let slot = hdrs.ext.get_mut(usize::from(ext_type) - 1).ok_or(Errno::EINVAL)?;
            if slot.is_some() {
                return Err(Errno::EINVAL);
            }
            match ext_type {
                SADB_EXT_ADDRESS_SRC
                | SADB_EXT_ADDRESS_DST
                | SADB_EXT_ADDRESS_PROXY
                | SADB_X_EXT_NAT_T_OA => verify_address_len(ext)?,
                SADB_X_EXT_SEC_CTX => verify_sec_ctx_len(ext)?,
                SADB_EXT_KEY_AUTH | SADB_EXT_KEY_ENCRYPT => verify_key_len(ext)?,
                _ => {}
            }
            *slot = Some(ext);
        }
        rest = tail;
    }
    Ok(hdrs)
}

/// `pfkey_funcs[type] != NULL`: whether `pfkey_process()` has a handler
/// for the message type. Types without one (EXPIRE, X_PCHANGE,
/// X_SPDACQUIRE, X_SPDEXPIRE, X_NAT_T_NEW_MAPPING) fail `EOPNOTSUPP` after
/// parsing; `SADB_RESERVED`'s handler also answers `EOPNOTSUPP`, though the
/// header check refuses type 0 first.
pub const fn pfkey_has_handler(msg_type: u8) -> bool {
    !matches!(
        msg_type,
        SADB_EXPIRE
            | SADB_X_PCHANGE
            | SADB_X_SPDACQUIRE
            | SADB_X_SPDEXPIRE
            | SADB_X_NAT_T_NEW_MAPPING
    ) && msg_type <= SADB_MAX
}

/// `pfkey_satype2proto()`: UNSPEC → `IPSEC_PROTO_ANY` (255), AH → 51,
/// ESP → 50, IPCOMP → 108, anything else → 0 (callers answer `EINVAL`).
pub const fn pfkey_satype2proto(satype: u8) -> u8 {
    match satype {
        SADB_SATYPE_UNSPEC => IPSEC_PROTO_ANY,
        SADB_SATYPE_AH => IPPROTO_AH,
        SADB_SATYPE_ESP => IPPROTO_ESP,
        SADB_X_SATYPE_IPCOMP => IPPROTO_COMP,
        _ => 0,
    }
}

/// `pfkey_proto2satype()`: 51 → AH, 50 → ESP, 108 → IPCOMP, else UNSPEC (0).
pub const fn pfkey_proto2satype(proto: u8) -> u8 {
    match proto {
        IPPROTO_AH => SADB_SATYPE_AH,
        IPPROTO_ESP => SADB_SATYPE_ESP,
        IPPROTO_COMP => SADB_X_SATYPE_IPCOMP,
        _ => SADB_SATYPE_UNSPEC,
    }
}

/// `pfkey_proto_to_xfrm()`: selector protocol from `sadb_address_proto`
/// (`IPSEC_PROTO_ANY` → 0 = any).
pub const fn pfkey_proto_to_xfrm(proto: u8) -> u8 {
    if proto == IPSEC_PROTO_ANY { 0 } else { proto }
}

/// `pfkey_proto_from_xfrm()`: `sadb_address_proto` from a selector protocol
/// (0 → `IPSEC_PROTO_ANY`).
pub const fn pfkey_proto_from_xfrm(proto: u8) -> u8 {
    if proto == 0 { IPSEC_PROTO_ANY } else { proto }
}

/// `pfkey_mode_from_xfrm()`: transport → 1, tunnel → 2, BEET → 3; other
/// XFRM modes have no PF_KEY encoding (`None`; the kernel's −1).
pub const fn pfkey_mode_from_xfrm(mode: u8) -> Option<u8> {
    match mode {
        XFRM_MODE_TRANSPORT => Some(IPSEC_MODE_TRANSPORT),
        XFRM_MODE_TUNNEL => Some(IPSEC_MODE_TUNNEL),
        XFRM_MODE_BEET => Some(IPSEC_MODE_BEET),
        _ => None,
    }
}

/// `pfkey_mode_to_xfrm()`: ANY and TRANSPORT → transport, TUNNEL → tunnel,
/// BEET → BEET; anything else (IPTFS included) → `None` (the kernel's −1;
/// callers answer `EINVAL`).
pub const fn pfkey_mode_to_xfrm(mode: u8) -> Option<u8> {
    match mode {
        IPSEC_MODE_ANY | IPSEC_MODE_TRANSPORT => Some(XFRM_MODE_TRANSPORT),
        IPSEC_MODE_TUNNEL => Some(XFRM_MODE_TUNNEL),
        IPSEC_MODE_BEET => Some(XFRM_MODE_BEET),
        _ => None,
    }
}

/// The `sadb_msg_errno` `pfkey_error()` writes for `err`: the
/// restart codes become `EINTR`, anything from 512 up `EINVAL`. (The
/// kernel BUG()s on a value in 256..512; no `Errno` has one, and such a
/// value would also be reported as `EINVAL` here.)
pub fn pfkey_error_errno(err: Errno) -> u8 {
    let err = match err {
        Errno::ERESTARTSYS | Errno::ERESTARTNOHAND | Errno::ERESTARTNOINTR => Errno::EINTR,
        e => e,
    };
    u8::try_from(err.raw()).unwrap_or(Errno::EINVAL.raw() as u8)
}

/// `pfkey_error()`: the error reply to a request — its header with
/// `sadb_msg_errno` set and `sadb_msg_len` 2 (extensions dropped; version,
/// type, satype, reserved, seq and pid as in the request). The caller sends
/// it with `BROADCAST_ONE` to the sender.
pub fn pfkey_error(orig: &SadbMsgRepr, err: Errno) -> SadbMsgRepr {
    SadbMsgRepr { errno: pfkey_error_errno(err), len: (SadbMsg::<&[u8]>::SIZE / 8) as u16, ..*orig }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::af_key::wire::{
        SadbAddressRepr, SadbExtRepr, SadbKeyRepr, SadbMessageRepr, SadbSaRepr, SadbXSa2Repr,
        SadbXSecCtxRepr,
    };

    fn hdr(msg_type: u8, satype: u8) -> SadbMsgRepr {
        SadbMsgRepr { version: PF_KEY_V2, msg_type, satype, seq: 7, pid: 99, ..Default::default() }
    }

    fn addr4(exttype: u16, a: [u8; 4], prefixlen: u8) -> SadbExtRepr {
        SadbExtRepr::Address(SadbAddressRepr {
            exttype,
            proto: 0,
            prefixlen,
            reserved: 0,
            addr: SockAddr::v4(a, 0),
        })
    }

    fn addr6(exttype: u16, last: u8, prefixlen: u8) -> SadbExtRepr {
        let mut a = [0u8; 16];
        a[15] = last;
        SadbExtRepr::Address(SadbAddressRepr {
            exttype,
            proto: 0,
            prefixlen,
            reserved: 0,
            addr: SockAddr::v6(a, 0),
        })
    }

    fn msg(exts: Vec<SadbExtRepr>) -> Vec<u8> {
        SadbMessageRepr { header: hdr(SADB_ADD, SADB_SATYPE_ESP), exts }.to_bytes()
    }

    /// A raw extension: header with `units` and `ext_type`, zero body.
    fn raw_ext(units: u16, ext_type: u16) -> Vec<u8> {
        let mut e = vec![0u8; usize::from(units) * 8];
        e[..2].copy_from_slice(&units.to_le_bytes());
        e[2..4].copy_from_slice(&ext_type.to_le_bytes());
        e
    }

    /// A message made of the header plus raw extension bytes, with
    /// `sadb_msg_len` set from the total.
    fn with_raw(body: &[u8]) -> Vec<u8> {
        let mut m = hdr(SADB_ADD, SADB_SATYPE_ESP);
        m.len = ((16 + body.len()) / 8) as u16;
        let mut out = m.to_bytes().to_vec();
        out.extend_from_slice(body);
        out
    }

    fn full_add() -> Vec<u8> {
        msg(vec![
            SadbExtRepr::Sa(SadbSaRepr {
                spi: 0x100,
                auth: SADB_AALG_SHA1HMAC,
                ..Default::default()
            }),
            addr4(SADB_EXT_ADDRESS_SRC, [10, 0, 0, 1], 32),
            addr4(SADB_EXT_ADDRESS_DST, [10, 0, 0, 2], 32),
            SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_AUTH,
                bits: 160,
                reserved: 0,
                key: vec![9; 20],
            }),
            SadbExtRepr::Sa2(SadbXSa2Repr {
                mode: IPSEC_MODE_TUNNEL,
                reqid: 5,
                ..Default::default()
            }),
        ])
    }

    // ---- pfkey_sendmsg / pfkey_get_base_msg ----

    #[test]
    fn sendmsg_oob_is_eopnotsupp() {
        assert_eq!(pfkey_sendmsg_check(MSG_OOB, 16, 212_992), Err(Errno::EOPNOTSUPP));
        assert_eq!(pfkey_sendmsg_check(0x40, 16, 212_992), Ok(()));
    }

    #[test]
    fn sendmsg_larger_than_sndbuf_minus_32_is_emsgsize() {
        assert_eq!(pfkey_sendmsg_check(0, 4576, 4608), Ok(()));
        assert_eq!(pfkey_sendmsg_check(0, 4577, 4608), Err(Errno::EMSGSIZE));
        // OOB is checked first
        assert_eq!(pfkey_sendmsg_check(MSG_OOB, 1 << 20, 4608), Err(Errno::EOPNOTSUPP));
    }

    #[test]
    fn base_msg_shorter_than_header_is_emsgsize() {
        let b = hdr(SADB_FLUSH, 0).to_bytes();
        assert_eq!(pfkey_get_base_msg(&[]).err(), Some(Errno::EMSGSIZE));
        assert_eq!(pfkey_get_base_msg(&b[..15]).err(), Some(Errno::EMSGSIZE));
    }

    #[test]
    fn base_msg_bad_version_reserved_or_type_is_einval() {
        let mut m = hdr(SADB_FLUSH, 0);
        m.len = 2;
        assert!(pfkey_get_base_msg(&m.to_bytes()).is_ok());
        for (f, v) in [(0usize, 1u8), (0, 3), (1, 0), (1, 25), (1, 255), (6, 1), (7, 1)] {
            let mut b = m.to_bytes();
            b[f] = v;
            assert_eq!(pfkey_get_base_msg(&b).err(), Some(Errno::EINVAL), "byte {f} = {v}");
        }
        m.msg_type = SADB_MAX;
        assert!(pfkey_get_base_msg(&m.to_bytes()).is_ok());
    }

    #[test]
    fn base_msg_length_mismatch_is_emsgsize() {
        let mut m = hdr(SADB_FLUSH, 0);
        for len in [0u16, 1, 3, 0xffff] {
            m.len = len;
            assert_eq!(pfkey_get_base_msg(&m.to_bytes()).err(), Some(Errno::EMSGSIZE), "len {len}");
        }
        // up to 7 trailing bytes pass len / 8; 8 do not
        m.len = 2;
        let mut b = m.to_bytes().to_vec();
        b.extend_from_slice(&[0; 7]);
        assert!(pfkey_get_base_msg(&b).is_ok());
        b.push(0);
        assert_eq!(pfkey_get_base_msg(&b).err(), Some(Errno::EMSGSIZE));
        // the header checks come before the length check
        let mut bad = m.to_bytes();
        bad[0] = 1;
        bad[4] = 9;
        assert_eq!(pfkey_get_base_msg(&bad).err(), Some(Errno::EINVAL));
    }

    // ---- parse_exthdrs framing ----

    #[test]
    fn parses_a_full_add() {
        let b = full_add();
        let h = parse_exthdrs(&b).expect("valid");
        assert_eq!(h.iter().map(|(t, _)| t).collect::<Vec<_>>(), [1, 5, 6, 8, 19]);
        assert_eq!(h.sa().map(|s| s.spi()), Some(0x100));
        assert_eq!(h.sa2().map(|s| (s.mode(), s.reqid())), Some((IPSEC_MODE_TUNNEL, 5)));
        assert_eq!(h.key_bytes(SADB_EXT_KEY_AUTH), Some(&[9u8; 20][..]));
        assert_eq!(h.sockaddr(SADB_EXT_ADDRESS_DST), Some(SockAddr::v4([10, 0, 0, 2], 0)));
        assert!(h.present_and_same_family());
        assert!(h.key(SADB_EXT_KEY_ENCRYPT).is_none());
        assert!(h.address(SADB_EXT_SA).is_none(), "typed accessors check the type");
        assert_eq!(h.get(0), None);
        assert_eq!(h.get(27), None);
    }

    #[test]
    fn header_only_and_short_buffers_have_no_extensions() {
        let b = hdr(SADB_FLUSH, 0).to_bytes();
        assert_eq!(parse_exthdrs(&b).map(|h| h.iter().count()), Ok(0));
        assert_eq!(parse_exthdrs(&b[..8]).map(|h| h.iter().count()), Ok(0));
    }

    #[test]
    fn fewer_than_four_bytes_left_is_einval() {
        for n in 1..4 {
            let mut b = full_add();
            b.extend(std::iter::repeat_n(0, n));
            assert_eq!(parse_exthdrs(&b), Err(Errno::EINVAL), "{n} trailing bytes");
        }
    }

    #[test]
    fn trailing_bytes_that_pass_len_div_8_are_einval() {
        // 4..7 trailing bytes are read as an extension header
        for n in 4..8 {
            let mut b = full_add();
            b.extend(std::iter::repeat_n(1, n));
            assert!(pfkey_get_base_msg(&b).is_ok());
            assert_eq!(parse_exthdrs(&b), Err(Errno::EINVAL), "{n} trailing bytes");
        }
    }

    #[test]
    fn zero_length_extension_is_einval() {
        // sadb_ext_len 0 with type SA
        assert_eq!(parse_exthdrs(&with_raw(&[0, 0, 1, 0, 0, 0, 0, 0])), Err(Errno::EINVAL));
        let mut e = raw_ext(2, SADB_EXT_SA);
        e[0] = 0;
        assert_eq!(parse_exthdrs(&with_raw(&e)), Err(Errno::EINVAL));
    }

    #[test]
    fn extension_longer_than_message_is_einval() {
        let mut e = raw_ext(2, SADB_EXT_SA);
        e[0] = 3;
        assert_eq!(parse_exthdrs(&with_raw(&e)), Err(Errno::EINVAL));
    }

    #[test]
    fn reserved_extension_type_is_einval() {
        assert_eq!(parse_exthdrs(&with_raw(&raw_ext(1, SADB_EXT_RESERVED))), Err(Errno::EINVAL));
    }

    #[test]
    fn unknown_types_are_skipped() {
        let mut body = raw_ext(1, 27);
        body.extend(raw_ext(3, 0xffff));
        body.extend(raw_ext(1, 27));
        let m = with_raw(&body);
        let h = parse_exthdrs(&m).expect("skipped");
        assert_eq!(h.iter().count(), 0);
    }

    #[test]
    fn every_type_below_its_minimum_is_einval() {
        for t in 1..=SADB_EXT_MAX {
            let min = SADB_EXT_MIN_LEN[usize::from(t)];
            if min > 8 {
                let units = u16::from(min / 8) - 1;
                let m = with_raw(&raw_ext(units, t));
                assert_eq!(parse_exthdrs(&m), Err(Errno::EINVAL), "type {t} with {units} units");
            }
        }
    }

    #[test]
    fn min_len_table_matches_struct_sizes() {
        use crate::af_key::wire::*;
        assert_eq!(SADB_EXT_MIN_LEN[1] as usize, SadbSa::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[3] as usize, SadbLifetime::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[7] as usize, SadbAddress::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[9] as usize, SadbKey::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[11] as usize, SadbIdent::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[12] as usize, SadbSens::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[13] as usize, SadbProp::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[15] as usize, SadbSupported::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[16] as usize, SadbSpirange::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[17] as usize, SadbXKmprivate::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[18] as usize, SadbXPolicy::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[19] as usize, SadbXSa2::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[20] as usize, SadbXNatTType::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[22] as usize, SadbXNatTPort::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[23] as usize, SadbAddress::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[24] as usize, SadbXSecCtx::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[25] as usize, SadbXKmaddress::<&[u8]>::SIZE);
        assert_eq!(SADB_EXT_MIN_LEN[26] as usize, SadbXFilter::<&[u8]>::SIZE);
    }

    #[test]
    fn longer_than_minimum_is_accepted() {
        // a 24-byte SA extension: the extra bytes are ignored
        let m = with_raw(&raw_ext(3, SADB_EXT_SA));
        let h = parse_exthdrs(&m).expect("longer ok");
        assert_eq!(h.get(SADB_EXT_SA).map(<[u8]>::len), Some(24));
    }

    #[test]
    fn duplicate_extension_is_einval() {
        let mut body = raw_ext(2, SADB_EXT_SA);
        body.extend(raw_ext(2, SADB_X_EXT_SA2));
        body.extend(raw_ext(2, SADB_EXT_SA));
        assert_eq!(parse_exthdrs(&with_raw(&body)), Err(Errno::EINVAL));
        let dup = msg(vec![
            addr4(SADB_EXT_ADDRESS_SRC, [1, 1, 1, 1], 32),
            addr4(SADB_EXT_ADDRESS_SRC, [1, 1, 1, 1], 32),
        ]);
        assert_eq!(parse_exthdrs(&dup), Err(Errno::EINVAL));
    }

    // ---- verify_address_len ----

    #[test]
    fn address_checks_apply_to_all_four_address_types() {
        for t in [
            SADB_EXT_ADDRESS_SRC,
            SADB_EXT_ADDRESS_DST,
            SADB_EXT_ADDRESS_PROXY,
            SADB_X_EXT_NAT_T_OA,
        ] {
            assert!(parse_exthdrs(&msg(vec![addr4(t, [1, 2, 3, 4], 32)])).is_ok());
            assert_eq!(
                parse_exthdrs(&msg(vec![addr4(t, [1, 2, 3, 4], 33)])),
                Err(Errno::EINVAL),
                "type {t}"
            );
            // one unit: too short to hold sa_family
            assert_eq!(parse_exthdrs(&with_raw(&raw_ext(1, t))), Err(Errno::EINVAL), "type {t}");
        }
    }

    #[test]
    fn address_v4_length_must_be_three_units() {
        let good = msg(vec![addr4(SADB_EXT_ADDRESS_SRC, [1, 2, 3, 4], 0)]);
        for units in [2u16, 4, 5] {
            let mut e = raw_ext(units, SADB_EXT_ADDRESS_SRC);
            let n = e.len().min(24);
            e[4..n].copy_from_slice(&good[20..16 + n]);
            assert_eq!(parse_exthdrs(&with_raw(&e)), Err(Errno::EINVAL), "{units} units");
        }
    }

    #[test]
    fn address_v6_length_and_prefix() {
        assert!(parse_exthdrs(&msg(vec![addr6(SADB_EXT_ADDRESS_DST, 1, 128)])).is_ok());
        assert_eq!(
            parse_exthdrs(&msg(vec![addr6(SADB_EXT_ADDRESS_DST, 1, 129)])),
            Err(Errno::EINVAL)
        );
        let good = msg(vec![addr6(SADB_EXT_ADDRESS_DST, 1, 64)]);
        for units in [3u16, 4, 6] {
            let mut e = raw_ext(units, SADB_EXT_ADDRESS_DST);
            let n = e.len().min(40);
            e[4..n].copy_from_slice(&good[20..16 + n]);
            assert_eq!(parse_exthdrs(&with_raw(&e)), Err(Errno::EINVAL), "{units} units");
        }
    }

    #[test]
    fn address_other_family_is_einval() {
        for family in [0u16, 1, 3, 17, 0x0200] {
            let mut e = raw_ext(3, SADB_EXT_ADDRESS_SRC);
            e[8..10].copy_from_slice(&family.to_le_bytes());
            assert_eq!(parse_exthdrs(&with_raw(&e)), Err(Errno::EINVAL), "family {family}");
        }
    }

    // ---- verify_key_len ----

    #[test]
    fn key_bits_must_fit_the_extension() {
        for t in [SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT] {
            // 2 units hold 8 key bytes: 64 bits fit, 65 do not
            for (bits, ok) in [(0u16, true), (1, true), (64, true), (65, false), (0xffff, false)] {
                let mut e = raw_ext(2, t);
                e[4..6].copy_from_slice(&bits.to_le_bytes());
                let m = with_raw(&e);
                let r = parse_exthdrs(&m);
                assert_eq!(r.is_ok(), ok, "type {t} bits {bits}");
                if !ok {
                    assert_eq!(r, Err(Errno::EINVAL));
                }
            }
        }
        assert_eq!(sadb_key_len(160), 4);
        assert_eq!(sadb_key_len(0), 1);
    }

    // ---- verify_sec_ctx_len ----

    fn sec_ctx(len: usize) -> Vec<u8> {
        let r =
            SadbExtRepr::SecCtx(SadbXSecCtxRepr { ctx_alg: 1, ctx_doi: 1, ctx: vec![b'a'; len] });
        let mut e = vec![0u8; r.buffer_len()];
        r.emit(&mut e);
        e
    }

    #[test]
    fn sec_ctx_length_must_match_exactly() {
        assert!(parse_exthdrs(&with_raw(&sec_ctx(10))).is_ok());
        assert!(parse_exthdrs(&with_raw(&sec_ctx(0))).is_ok());
        // one unit more than the context needs
        let mut longer = sec_ctx(10);
        longer.extend_from_slice(&[0; 8]);
        longer[0] += 1;
        assert_eq!(parse_exthdrs(&with_raw(&longer)), Err(Errno::EINVAL));
        // ctx_len claims more than the extension holds
        let mut claims = sec_ctx(10);
        claims[6] = 20;
        assert_eq!(parse_exthdrs(&with_raw(&claims)), Err(Errno::EINVAL));
    }

    #[test]
    fn sec_ctx_longer_than_a_page_is_einval() {
        assert!(parse_exthdrs(&with_raw(&sec_ctx(PAGE_SIZE))).is_ok());
        assert_eq!(parse_exthdrs(&with_raw(&sec_ctx(PAGE_SIZE + 1))), Err(Errno::EINVAL));
    }

    // ---- present_and_same_family ----

    #[test]
    fn present_and_same_family_rules() {
        let h4 = msg(vec![
            addr4(SADB_EXT_ADDRESS_SRC, [1, 1, 1, 1], 32),
            addr4(SADB_EXT_ADDRESS_DST, [2, 2, 2, 2], 32),
        ]);
        assert!(parse_exthdrs(&h4).expect("v4").present_and_same_family());
        let h6 =
            msg(vec![addr6(SADB_EXT_ADDRESS_SRC, 1, 128), addr6(SADB_EXT_ADDRESS_DST, 2, 128)]);
        assert!(parse_exthdrs(&h6).expect("v6").present_and_same_family());
        let mixed = msg(vec![
            addr4(SADB_EXT_ADDRESS_SRC, [1, 1, 1, 1], 32),
            addr6(SADB_EXT_ADDRESS_DST, 2, 128),
        ]);
        assert!(!parse_exthdrs(&mixed).expect("parses").present_and_same_family());
        let src_only = msg(vec![addr4(SADB_EXT_ADDRESS_SRC, [1, 1, 1, 1], 32)]);
        assert!(!parse_exthdrs(&src_only).expect("parses").present_and_same_family());
        let dst_only = msg(vec![addr4(SADB_EXT_ADDRESS_DST, [1, 1, 1, 1], 32)]);
        assert!(!parse_exthdrs(&dst_only).expect("parses").present_and_same_family());
        // raw: same non-inet family on both sides
        let unix = [3u8, 0, 5, 0, 0, 0, 0, 0, 1, 0];
        assert!(!present_and_same_family(Some(&unix), Some(&unix)));
        assert!(!present_and_same_family(None, None));
    }

    // ---- tables ----

    #[test]
    fn satype_proto_mapping() {
        assert_eq!(pfkey_satype2proto(SADB_SATYPE_UNSPEC), 255);
        assert_eq!(pfkey_satype2proto(SADB_SATYPE_AH), 51);
        assert_eq!(pfkey_satype2proto(SADB_SATYPE_ESP), 50);
        assert_eq!(pfkey_satype2proto(SADB_X_SATYPE_IPCOMP), 108);
        for s in [1, 4, 5, 6, 7, 8, 10, 255] {
            assert_eq!(pfkey_satype2proto(s), 0, "satype {s}");
        }
        assert_eq!(pfkey_proto2satype(51), SADB_SATYPE_AH);
        assert_eq!(pfkey_proto2satype(50), SADB_SATYPE_ESP);
        assert_eq!(pfkey_proto2satype(108), SADB_X_SATYPE_IPCOMP);
        for p in [0, 6, 17, 43, 60, 255] {
            assert_eq!(pfkey_proto2satype(p), 0, "proto {p}");
        }
        assert_eq!(pfkey_proto_to_xfrm(255), 0);
        assert_eq!(pfkey_proto_to_xfrm(6), 6);
        assert_eq!(pfkey_proto_from_xfrm(0), 255);
        assert_eq!(pfkey_proto_from_xfrm(17), 17);
    }

    #[test]
    fn mode_mapping() {
        assert_eq!(pfkey_mode_to_xfrm(IPSEC_MODE_ANY), Some(XFRM_MODE_TRANSPORT));
        assert_eq!(pfkey_mode_to_xfrm(IPSEC_MODE_TRANSPORT), Some(XFRM_MODE_TRANSPORT));
        assert_eq!(pfkey_mode_to_xfrm(IPSEC_MODE_TUNNEL), Some(XFRM_MODE_TUNNEL));
        assert_eq!(pfkey_mode_to_xfrm(IPSEC_MODE_BEET), Some(XFRM_MODE_BEET));
        assert_eq!(pfkey_mode_to_xfrm(IPSEC_MODE_IPTFS), None);
        assert_eq!(pfkey_mode_to_xfrm(255), None);
        assert_eq!(pfkey_mode_from_xfrm(XFRM_MODE_TRANSPORT), Some(IPSEC_MODE_TRANSPORT));
        assert_eq!(pfkey_mode_from_xfrm(XFRM_MODE_TUNNEL), Some(IPSEC_MODE_TUNNEL));
        assert_eq!(pfkey_mode_from_xfrm(XFRM_MODE_BEET), Some(IPSEC_MODE_BEET));
        for m in [XFRM_MODE_ROUTEOPTIMIZATION, XFRM_MODE_IN_TRIGGER, XFRM_MODE_IPTFS, 6] {
            assert_eq!(pfkey_mode_from_xfrm(m), None, "mode {m}");
        }
    }

    #[test]
    fn handler_table() {
        let without: Vec<u8> = (0..=SADB_MAX + 1).filter(|&t| !pfkey_has_handler(t)).collect();
        assert_eq!(
            without,
            [SADB_EXPIRE, SADB_X_PCHANGE, SADB_X_SPDACQUIRE, SADB_X_SPDEXPIRE, 23, 25]
        );
    }

    // ---- pfkey_error ----

    #[test]
    fn error_reply_bytes() {
        let mut req = hdr(SADB_GET, SADB_SATYPE_AH);
        req.len = 19;
        let reply = pfkey_error(&req, Errno::ESRCH).to_bytes();
        assert_eq!(reply, [2, 5, 3, 2, 2, 0, 0, 0, 7, 0, 0, 0, 99, 0, 0, 0]);
    }

    #[test]
    fn error_reply_errno_mapping() {
        let req = hdr(SADB_ADD, SADB_SATYPE_ESP);
        assert_eq!(pfkey_error(&req, Errno::ERESTARTSYS).errno, 4);
        assert_eq!(pfkey_error(&req, Errno::ERESTARTNOHAND).errno, 4);
        assert_eq!(pfkey_error(&req, Errno::ERESTARTNOINTR).errno, 4);
        assert_eq!(pfkey_error(&req, Errno::ENOTSUPP).errno, 22);
        assert_eq!(pfkey_error(&req, Errno::ENOSYS).errno, 38);
        assert_eq!(pfkey_error(&req, Errno::EINPROGRESS).errno, 115);
        for e in Errno::ALL {
            let v = pfkey_error_errno(*e);
            assert!(v > 0, "{e:?}");
        }
    }
}
