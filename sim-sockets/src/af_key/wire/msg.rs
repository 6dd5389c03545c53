//! `struct sadb_msg` (the message header) and `struct sadb_ext` (the
//! common head of every extension).

use sim_core::KResult;

sadb_fixed! {
    /// A view of `struct sadb_msg` (16 bytes).
    view SadbMsg, size 16;
    /// `struct sadb_msg` as values.
    repr SadbMsgRepr, ext none;
    /// `sadb_msg_version`: `PF_KEY_V2` in valid requests.
    version, set_version: u8 @ 0;
    /// `sadb_msg_type`: `SADB_*`.
    msg_type, set_msg_type: u8 @ 1;
    /// `sadb_msg_errno`: positive errno in error replies.
    errno, set_errno: u8 @ 2;
    /// `sadb_msg_satype`: `SADB_SATYPE_*`.
    satype, set_satype: u8 @ 3;
    /// `sadb_msg_len`: whole message length in 8-byte units.
    len, set_len: u16 @ 4;
    /// `sadb_msg_reserved`: 0 in requests; a policy's refcount in policy
    /// messages from the kernel.
    reserved, set_reserved: u16 @ 6;
    /// `sadb_msg_seq`.
    seq, set_seq: u32 @ 8;
    /// `sadb_msg_pid`.
    pid, set_pid: u32 @ 12;
}

impl SadbMsgRepr {
    /// The 16 wire bytes.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        self.emit(&mut SadbMsg::new_unchecked(&mut out[..]));
        out
    }

    /// Reads a header from the start of `buf` (`EINVAL` if shorter than 16).
    pub fn from_bytes(buf: &[u8]) -> KResult<Self> {
        SadbMsgRepr::parse(&SadbMsg::new_checked(buf)?)
    }
}

sadb_view! {
    /// A view of `struct sadb_ext` (4 bytes): length in 8-byte units and
    /// type, the head of every extension.
    view SadbExt, size 4;
    /// `sadb_ext_len`: extension length in 8-byte units.
    len, set_len: u16 @ 0;
    /// `sadb_ext_type`: `SADB_EXT_*` / `SADB_X_EXT_*`.
    ext_type, set_ext_type: u16 @ 2;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::af_key::wire::consts::*;

    // struct sadb_msg { version 2, type REGISTER, errno 0, satype ESP,
    //                   len 2, reserved 0, seq 0x01020304, pid 0x0a0b0c0d }
    const BYTES: [u8; 16] = [2, 7, 0, 3, 2, 0, 0, 0, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a];

    fn repr() -> SadbMsgRepr {
        SadbMsgRepr {
            version: PF_KEY_V2,
            msg_type: SADB_REGISTER,
            errno: 0,
            satype: SADB_SATYPE_ESP,
            len: 2,
            reserved: 0,
            seq: 0x0102_0304,
            pid: 0x0a0b_0c0d,
        }
    }

    #[test]
    fn deconstruct() {
        let v = SadbMsg::new_checked(&BYTES[..]).expect("16 bytes");
        assert_eq!(v.version(), 2);
        assert_eq!(v.msg_type(), SADB_REGISTER);
        assert_eq!(v.satype(), 3);
        assert_eq!(v.len(), 2);
        assert_eq!(v.seq(), 0x0102_0304);
        assert_eq!(v.pid(), 0x0a0b_0c0d);
        assert_eq!(SadbMsgRepr::parse(&v), Ok(repr()));
    }

    #[test]
    fn construct() {
        assert_eq!(repr().to_bytes(), BYTES);
        assert_eq!(repr().buffer_len(), 16);
    }

    #[test]
    fn short_header_is_einval() {
        assert_eq!(SadbMsg::new_checked(&BYTES[..15]).err(), Some(sim_core::Errno::EINVAL));
        assert_eq!(SadbMsgRepr::from_bytes(&[]).err(), Some(sim_core::Errno::EINVAL));
    }

    #[test]
    fn unchecked_short_view_reads_zero() {
        let v = SadbMsg::new_unchecked(&BYTES[..5]);
        assert_eq!(v.msg_type(), SADB_REGISTER);
        assert_eq!(v.len(), 0);
        assert_eq!(v.pid(), 0);
    }

    #[test]
    fn ext_header() {
        let b = [3u8, 0, 5, 0];
        let e = SadbExt::new_checked(&b[..]).expect("4 bytes");
        assert_eq!((e.len(), e.ext_type()), (3, SADB_EXT_ADDRESS_SRC));
        assert!(SadbExt::new_checked(&b[..3]).is_err());
    }
}
