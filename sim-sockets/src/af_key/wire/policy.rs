//! `struct sadb_x_policy` followed by `struct sadb_x_ipsecrequest`s
//! (X_POLICY). A request's length is in **bytes**; tunnel-mode requests
//! carry a source and a destination sockaddr.

use sim_core::{Errno, KResult};

use super::consts::SADB_X_EXT_POLICY;
use super::field;
use super::sockaddr::{SockAddr, parse_sockaddr_pair, pfkey_align8};

sadb_view! {
    /// A view of `struct sadb_x_policy` (16 bytes) and the requests after it.
    view SadbXPolicy, size 16;
    /// `sadb_x_policy_len`: header plus requests, in 8-byte units.
    len, set_len: u16 @ 0;
    /// `sadb_x_policy_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_x_policy_type`: `IPSEC_POLICY_*`.
    policy_type, set_policy_type: u16 @ 4;
    /// `sadb_x_policy_dir`: `IPSEC_DIR_*` (xfrm direction + 1).
    dir, set_dir: u8 @ 6;
    /// `sadb_x_policy_reserved`.
    reserved, set_reserved: u8 @ 7;
    /// `sadb_x_policy_id`: the policy index.
    id, set_id: u32 @ 8;
    /// `sadb_x_policy_priority`.
    priority, set_priority: u32 @ 12;
}

sadb_view! {
    /// A view of `struct sadb_x_ipsecrequest` (16 bytes) and the addresses
    /// after it.
    view SadbXIpsecrequest, size 16;
    /// `sadb_x_ipsecrequest_len`: request length in **bytes**.
    len, set_len: u16 @ 0;
    /// `sadb_x_ipsecrequest_proto`: IPPROTO_ESP/AH/COMP...
    proto, set_proto: u16 @ 2;
    /// `sadb_x_ipsecrequest_mode`: `IPSEC_MODE_*`.
    mode, set_mode: u8 @ 4;
    /// `sadb_x_ipsecrequest_level`: `IPSEC_LEVEL_*`.
    level, set_level: u8 @ 5;
    /// `sadb_x_ipsecrequest_reserved1`.
    reserved1, set_reserved1: u16 @ 6;
    /// `sadb_x_ipsecrequest_reqid`.
    reqid, set_reqid: u32 @ 8;
    /// `sadb_x_ipsecrequest_reserved2`.
    reserved2, set_reserved2: u32 @ 12;
}

/// What follows a request's fixed part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IpsecRequestAddrs {
    /// Nothing (transport and BEET requests from the kernel).
    #[default]
    None,
    /// Tunnel endpoints: source then destination, of one family, exactly
    /// two sockaddrs long.
    Pair(SockAddr, SockAddr),
    /// Any other trailing bytes, kept as sent (the kernel reads addresses
    /// only for tunnel mode, with `parse_sockaddr_pair()`).
    Raw(Vec<u8>),
}

/// `struct sadb_x_ipsecrequest` with what follows it, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SadbXIpsecrequestRepr {
    /// `sadb_x_ipsecrequest_proto`.
    pub proto: u16,
    /// `sadb_x_ipsecrequest_mode`.
    pub mode: u8,
    /// `sadb_x_ipsecrequest_level`.
    pub level: u8,
    /// `sadb_x_ipsecrequest_reserved1`.
    pub reserved1: u16,
    /// `sadb_x_ipsecrequest_reqid`.
    pub reqid: u32,
    /// `sadb_x_ipsecrequest_reserved2`.
    pub reserved2: u32,
    /// The addresses after the fixed part.
    pub addrs: IpsecRequestAddrs,
}

impl SadbXIpsecrequestRepr {
    /// Reads one request from the start of `buf` (the rest of the policy
    /// extension), as `parse_ipsecrequests()` walks them: `EINVAL` if its
    /// length is below 16 or beyond `buf`. Returns the request and its
    /// length in bytes.
    pub fn parse(buf: &[u8]) -> KResult<(Self, usize)> {
        let view = SadbXIpsecrequest::new_checked(buf)?;
        let len = usize::from(view.len());
        if len < SadbXIpsecrequest::<&[u8]>::SIZE || len > buf.len() {
            return Err(Errno::EINVAL);
        }
        let tail = field::slice(buf, 16, len - 16);
        let addrs = if tail.is_empty() {
            IpsecRequestAddrs::None
        } else {
            match parse_sockaddr_pair(tail) {
                Ok((s, d)) if tail.len() == s.buffer_len() + d.buffer_len() => {
                    IpsecRequestAddrs::Pair(s, d)
                }
                _ => IpsecRequestAddrs::Raw(tail.to_vec()),
            }
        };
        let repr = SadbXIpsecrequestRepr {
            proto: view.proto(),
            mode: view.mode(),
            level: view.level(),
            reserved1: view.reserved1(),
            reqid: view.reqid(),
            reserved2: view.reserved2(),
            addrs,
        };
        Ok((repr, len))
    }

    /// The request length (`sadb_x_ipsecrequest_len`): 16 plus the addresses
    /// (two whole sockaddrs for a pair: 48 for IPv4, 72 for IPv6).
    pub fn buffer_len(&self) -> usize {
        16 + match &self.addrs {
            IpsecRequestAddrs::None => 0,
            IpsecRequestAddrs::Pair(s, d) => s.buffer_len() + d.buffer_len(),
            IpsecRequestAddrs::Raw(b) => b.len(),
        }
    }

    /// Writes the request into at least `buffer_len()` bytes.
    pub fn emit(&self, buf: &mut [u8]) {
        let len = self.buffer_len();
        field::zero(buf, 0, len);
        let mut view = SadbXIpsecrequest::new_unchecked(&mut *buf);
        view.set_len(len as u16);
        view.set_proto(self.proto);
        view.set_mode(self.mode);
        view.set_level(self.level);
        view.set_reserved1(self.reserved1);
        view.set_reqid(self.reqid);
        view.set_reserved2(self.reserved2);
        let tail = view.payload_mut();
        match &self.addrs {
            IpsecRequestAddrs::None => {}
            IpsecRequestAddrs::Pair(s, d) => {
                s.emit(tail);
                if let Some(rest) = tail.get_mut(s.buffer_len()..) {
                    d.emit(rest);
                }
            }
            IpsecRequestAddrs::Raw(b) => field::put(tail, 0, b),
        }
    }
}

/// `struct sadb_x_policy` with its requests, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SadbXPolicyRepr {
    /// `sadb_x_policy_type`.
    pub policy_type: u16,
    /// `sadb_x_policy_dir`.
    pub dir: u8,
    /// `sadb_x_policy_reserved`.
    pub reserved: u8,
    /// `sadb_x_policy_id`.
    pub id: u32,
    /// `sadb_x_policy_priority`.
    pub priority: u32,
    /// The requests, in order.
    pub requests: Vec<SadbXIpsecrequestRepr>,
}

impl SadbXPolicyRepr {
    /// Reads the header and the requests in the extension's
    /// `sadb_x_policy_len × 8` bytes (bounded by the buffer), walking them
    /// as `parse_ipsecrequests()` does: while 16 bytes remain, a request
    /// shorter than 16 or longer than what remains is `EINVAL`; fewer than
    /// 16 trailing bytes are ignored.
    pub fn parse<T: AsRef<[u8]>>(view: &SadbXPolicy<T>) -> KResult<Self> {
        if view.exttype() != SADB_X_EXT_POLICY {
            return Err(Errno::EINVAL);
        }
        let ext_len = usize::from(view.len()) * 8;
        let mut rest = view.payload().get(..ext_len.saturating_sub(16)).unwrap_or(view.payload());
        let mut requests = Vec::new();
        while rest.len() >= 16 {
            let (rq, len) = SadbXIpsecrequestRepr::parse(rest)?;
            requests.push(rq);
            rest = rest.get(len..).unwrap_or(&[]);
        }
        Ok(SadbXPolicyRepr {
            policy_type: view.policy_type(),
            dir: view.dir(),
            reserved: view.reserved(),
            id: view.id(),
            priority: view.priority(),
            requests,
        })
    }

    /// Header plus the requests, padded to 8 bytes.
    pub fn buffer_len(&self) -> usize {
        pfkey_align8(16 + self.requests.iter().map(|r| r.buffer_len()).sum::<usize>())
    }

    /// Writes the extension into at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbXPolicy<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(SADB_X_EXT_POLICY);
        view.set_policy_type(self.policy_type);
        view.set_dir(self.dir);
        view.set_reserved(self.reserved);
        view.set_id(self.id);
        view.set_priority(self.priority);
        let mut off = 0;
        let payload = view.payload_mut();
        for rq in &self.requests {
            if let Some(b) = payload.get_mut(off..) {
                rq.emit(b);
            }
            off += rq.buffer_len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::af_key::wire::consts::*;

    fn tunnel_esp() -> SadbXIpsecrequestRepr {
        SadbXIpsecrequestRepr {
            proto: 50,
            mode: IPSEC_MODE_TUNNEL,
            level: IPSEC_LEVEL_UNIQUE,
            reqid: 0x4000,
            addrs: IpsecRequestAddrs::Pair(
                SockAddr::v4([10, 0, 0, 1], 0),
                SockAddr::v4([10, 0, 0, 2], 0),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn policy_with_tunnel_and_transport_requests() {
        let repr = SadbXPolicyRepr {
            policy_type: IPSEC_POLICY_IPSEC,
            dir: IPSEC_DIR_OUTBOUND,
            reserved: 0,
            id: 1,
            priority: 0x8000_0000,
            requests: vec![
                tunnel_esp(),
                SadbXIpsecrequestRepr {
                    proto: 51,
                    mode: IPSEC_MODE_TRANSPORT,
                    level: IPSEC_LEVEL_REQUIRE,
                    ..Default::default()
                },
            ],
        };
        assert_eq!(repr.buffer_len(), 16 + 48 + 16);
        let mut out = vec![0xeeu8; repr.buffer_len()];
        repr.emit(&mut SadbXPolicy::new_unchecked(&mut out[..]));
        assert_eq!(out[..16], [10, 0, 18, 0, 2, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0x80]);
        assert_eq!(out[16..32], [48, 0, 50, 0, 2, 3, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0]);
        assert_eq!(out[32..40], [2, 0, 0, 0, 10, 0, 0, 1]);
        assert_eq!(out[48..56], [2, 0, 0, 0, 10, 0, 0, 2]);
        assert_eq!(out[64..80], [16, 0, 51, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            SadbXPolicyRepr::parse(&SadbXPolicy::new_checked(&out[..]).expect("16")),
            Ok(repr)
        );
    }

    #[test]
    fn request_length_rules() {
        let mut out = vec![0u8; 16 + 48];
        let repr = SadbXPolicyRepr { requests: vec![tunnel_esp()], ..Default::default() };
        repr.emit(&mut SadbXPolicy::new_unchecked(&mut out[..]));
        // request longer than what remains
        let mut long = out.clone();
        long[16] = 56;
        assert_eq!(
            SadbXPolicyRepr::parse(&SadbXPolicy::new_unchecked(&long[..])),
            Err(Errno::EINVAL)
        );
        // request shorter than its header
        let mut short = out.clone();
        short[16] = 15;
        assert_eq!(
            SadbXPolicyRepr::parse(&SadbXPolicy::new_unchecked(&short[..])),
            Err(Errno::EINVAL)
        );
        // trailing garbage after a transport request is kept raw
        let mut raw = out.clone();
        raw[20] = IPSEC_MODE_TRANSPORT;
        raw[33] = 0xaa;
        raw[32] = 7;
        let parsed =
            SadbXPolicyRepr::parse(&SadbXPolicy::new_unchecked(&raw[..])).expect("valid lengths");
        assert!(matches!(parsed.requests[0].addrs, IpsecRequestAddrs::Raw(ref b) if b.len() == 32));
        let mut again = vec![0u8; parsed.buffer_len()];
        parsed.emit(&mut SadbXPolicy::new_unchecked(&mut again[..]));
        assert_eq!(again, raw);
    }
}
