//! The resumable dumps of SADB_DUMP and SADB_X_SPDDUMP: `pfkey_dump`,
//! `pfkey_spddump`, `pfkey_do_dump`, `pfkey_can_dump`, `dump_sa`,
//! `dump_sp` and `pfkey_terminate_dump`.

use sim_core::sync::Arc;
use sim_core::sync::atomic::Ordering;
use sim_core::xfrm::policy::XFRM_POLICY_TYPE_MAIN;
use sim_core::xfrm::spd::XfrmPolicyWalk;
use sim_core::xfrm::{XfrmAddress, XfrmAddressFilter, XfrmStateWalk};
use sim_core::{Errno, KResult};

use super::broadcast::{BROADCAST_ONE, PfkeySkb, pfkey_broadcast};
use super::convert::{pfkey_xfrm_policy2msg, pfkey_xfrm_state2msg, policy_alloc_extra};
use super::parse::{pfkey_proto2satype, pfkey_satype2proto};
use super::sock::PfkeySock;
use super::spd::policy_refcnt;
use super::wire::consts::*;
use super::{PfKeyInner, PfkeyRequest};

/// What is being walked.
pub(crate) enum DumpWalk {
    /// `pfk->dump.u.state`.
    Sa(XfrmStateWalk),
    /// `pfk->dump.u.policy`.
    Sp(XfrmPolicyWalk),
}

/// `pfk->dump`: the running dump of one socket.
pub struct PfkeyDump {
    msg_version: u8,
    msg_portid: u32,
    walk: DumpWalk,
    /// `dump.skb`: the record built last, sent when the next one is built
    /// (or, with seq 0, at the end).
    skb: Option<(Vec<u8>, usize)>,
}

/// `pfkey_can_dump()`: the queue is at most two-thirds of the receive
/// buffer.
fn pfkey_can_dump(sk: &PfkeySock) -> bool {
    3 * sk.sk.rmem_alloc() <= 2 * sk.sk.rcvbuf()
}

fn send_record(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, rec: (Vec<u8>, usize)) {
    let skb = PfkeySkb::new(pfk, rec.0, rec.1);
    let _ = pfkey_broadcast(pfk, &skb, BROADCAST_ONE, Some(sk), sk.net());
}

/// One step of the walk: `pfk->dump.dump(pfk)` with `dump_sa`/`dump_sp`.
fn run_walk(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, d: &mut PfkeyDump) -> KResult<()> {
    let net = sk.net().clone();
    let (version, portid) = (d.msg_version, d.msg_portid);
    let pending = &mut d.skb;
    match &mut d.walk {
        DumpWalk::Sa(walk) => net.xfrm.state.xfrm_state_walk(walk, |x, count| {
            if !pfkey_can_dump(sk) {
                return Err(Errno::ENOBUFS);
            }
            let mut msg = pfkey_xfrm_state2msg(pfk, x, true, 3)?;
            msg.header.version = version;
            msg.header.msg_type = SADB_DUMP;
            msg.header.satype = pfkey_proto2satype(x.proto);
            msg.header.seq = count + 1;
            msg.header.pid = portid;
            let bytes = msg.to_bytes();
            let n = bytes.len() + 16;
            if let Some(prev) = pending.replace((bytes, n)) {
                send_record(pfk, sk, prev);
            }
            Ok(())
        }),
        DumpWalk::Sp(walk) => net.xfrm.policy.xfrm_policy_walk(walk, |xp, dir, count| {
            if !pfkey_can_dump(sk) {
                return Err(Errno::ENOBUFS);
            }
            let mut msg = pfkey_xfrm_policy2msg(xp, dir, policy_refcnt(pfk, xp, 1))?;
            msg.header.version = version;
            msg.header.msg_type = SADB_X_SPDDUMP;
            msg.header.satype = SADB_SATYPE_UNSPEC;
            msg.header.seq = count + 1;
            msg.header.pid = portid;
            let bytes = msg.to_bytes();
            let n = bytes.len() + 16 + policy_alloc_extra(xp.info(), xp.family());
            if let Some(prev) = pending.replace((bytes, n)) {
                send_record(pfk, sk, prev);
            }
            Ok(())
        }),
    }
}

/// `pfkey_do_dump()`: one step under `dump_lock`. A walk stopped for
/// buffer space leaves the dump running; at the end the pending record
/// goes out with seq 0 and errno = the walk's result (if the buffer test
/// passes — else the dump stays running with it pending), and the dump
/// ends. A walk that found nothing ends the dump with its `ENOENT`.
pub(crate) fn pfkey_do_dump(sk: &Arc<PfkeySock>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_do_dump").entered();
    let pfk = sk.pfk.clone();
    let mut g = sk.dump.lock();
    let Some(d) = g.as_mut() else {
        return Ok(());
    };
    let rc = run_walk(&pfk, sk, d);
    if rc == Err(Errno::ENOBUFS) {
        return Ok(());
    }
    if d.skb.is_some() {
        if !pfkey_can_dump(sk) {
            return Ok(());
        }
        if let Some((mut bytes, n)) = d.skb.take() {
            let errno = match rc {
                Ok(()) => 0u8,
                Err(e) => (-e.raw()) as u8,
            };
            if let Some(b) = bytes.get_mut(8..12) {
                b.copy_from_slice(&0u32.to_le_bytes());
            }
            if let Some(b) = bytes.get_mut(2) {
                *b = errno;
            }
            send_record(&pfk, sk, (bytes, n));
        }
    }
    terminate_locked(sk, &mut g);
    rc
}

/// `pfkey_terminate_dump()` with `dump_lock` held: drop the pending record
/// and end the walk.
fn terminate_locked(sk: &PfkeySock, g: &mut Option<PfkeyDump>) {
    if let Some(d) = g.take() {
        drop(d);
        sk.dump_running.store(false, Ordering::Release);
    }
}

/// `pfkey_terminate_dump()`.
pub(crate) fn pfkey_terminate_dump(sk: &PfkeySock) {
    let mut g = sk.dump.lock();
    terminate_locked(sk, &mut g);
}

fn start(
    sk: &Arc<PfkeySock>,
    req: &PfkeyRequest<'_>,
    walk: impl FnOnce() -> KResult<DumpWalk>,
) -> KResult<()> {
    {
        let mut g = sk.dump.lock();
        if g.is_some() {
            return Err(Errno::EBUSY);
        }
        let walk = walk()?;
        *g = Some(PfkeyDump {
            msg_version: req.hdr.version,
            msg_portid: req.hdr.pid,
            walk,
            skb: None,
        });
        sk.dump_running.store(true, Ordering::Release);
    }
    pfkey_do_dump(sk)
}

/// `pfkey_dump()`: `EBUSY` while a dump runs, `EINVAL` for a satype
/// without a protocol or a filter prefix of 128 or more; then the first
/// step. Records are full SAs, newest first.
pub fn pfkey_dump(_pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_dump").entered();
    start(sk, req, || {
        let proto = pfkey_satype2proto(req.hdr.satype);
        if proto == 0 {
            return Err(Errno::EINVAL);
        }
        let filter = match req.ext.filter() {
            Some(f) => {
                if f.splen() >= 128 || f.dplen() >= 128 {
                    return Err(Errno::EINVAL);
                }
                Some(XfrmAddressFilter {
                    saddr: XfrmAddress(f.saddr()),
                    daddr: XfrmAddress(f.daddr()),
                    family: f.family(),
                    splen: f.splen(),
                    dplen: f.dplen(),
                })
            }
            None => None,
        };
        Ok(DumpWalk::Sa(XfrmStateWalk::new(proto, filter)))
    })
}

/// `pfkey_spddump()`: `EBUSY` while a dump runs; MAIN policies (socket
/// policies included), newest first.
pub fn pfkey_spddump(
    _pfk: &PfKeyInner,
    sk: &Arc<PfkeySock>,
    req: &PfkeyRequest<'_>,
) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_spddump").entered();
    start(sk, req, || Ok(DumpWalk::Sp(XfrmPolicyWalk::new(XFRM_POLICY_TYPE_MAIN))))
}
