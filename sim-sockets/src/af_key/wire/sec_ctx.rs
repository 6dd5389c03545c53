//! `struct sadb_x_sec_ctx` followed by the security context string
//! (X_SEC_CTX).

use sim_core::{Errno, KResult};

use super::consts::SADB_X_EXT_SEC_CTX;
use super::field;
use super::sockaddr::pfkey_align8;

sadb_view! {
    /// A view of `struct sadb_x_sec_ctx` (8 bytes) and the context after it.
    view SadbXSecCtx, size 8;
    /// `sadb_x_sec_len`: header plus padded context, in 8-byte units.
    len, set_len: u16 @ 0;
    /// `sadb_x_sec_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_x_ctx_alg`: the LSM (SELinux = 1).
    ctx_alg, set_ctx_alg: u8 @ 4;
    /// `sadb_x_ctx_doi`.
    ctx_doi, set_ctx_doi: u8 @ 5;
    /// `sadb_x_ctx_len`: context length in bytes.
    ctx_len, set_ctx_len: u16 @ 6;
}

/// `struct sadb_x_sec_ctx` with its context, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SadbXSecCtxRepr {
    /// `sadb_x_ctx_alg`.
    pub ctx_alg: u8,
    /// `sadb_x_ctx_doi`.
    pub ctx_doi: u8,
    /// The context string (`sadb_x_ctx_len` bytes).
    pub ctx: Vec<u8>,
}

impl SadbXSecCtxRepr {
    /// Reads the header and `ctx_len` context bytes (`EINVAL` if they do
    /// not fit or the type is not X_SEC_CTX).
    pub fn parse<T: AsRef<[u8]>>(view: &SadbXSecCtx<T>) -> KResult<Self> {
        if view.exttype() != SADB_X_EXT_SEC_CTX {
            return Err(Errno::EINVAL);
        }
        let ctx = view.payload().get(..usize::from(view.ctx_len())).ok_or(Errno::EINVAL)?.to_vec();
        Ok(SadbXSecCtxRepr { ctx_alg: view.ctx_alg(), ctx_doi: view.ctx_doi(), ctx })
    }

    /// Header plus the context padded to 8 bytes.
    pub fn buffer_len(&self) -> usize {
        8 + pfkey_align8(self.ctx.len())
    }

    /// Writes the extension (padding zero) into at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbXSecCtx<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(SADB_X_EXT_SEC_CTX);
        view.set_ctx_alg(self.ctx_alg);
        view.set_ctx_doi(self.ctx_doi);
        view.set_ctx_len(self.ctx.len() as u16);
        field::put(view.payload_mut(), 0, &self.ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_bytes() {
        let repr = SadbXSecCtxRepr { ctx_alg: 1, ctx_doi: 1, ctx: b"system_u:r".to_vec() };
        let mut out = vec![0xeeu8; repr.buffer_len()];
        repr.emit(&mut SadbXSecCtx::new_unchecked(&mut out[..]));
        let mut want = vec![3u8, 0, 24, 0, 1, 1, 10, 0];
        want.extend_from_slice(b"system_u:r");
        want.extend_from_slice(&[0; 6]);
        assert_eq!(out, want);
        assert_eq!(
            SadbXSecCtxRepr::parse(&SadbXSecCtx::new_checked(&out[..]).expect("8")),
            Ok(repr)
        );
        assert_eq!(
            SadbXSecCtxRepr::parse(&SadbXSecCtx::new_checked(&out[..17]).expect("8")),
            Err(Errno::EINVAL)
        );
    }
}
