//! Handler tests: requests through a kernel's NETLINK_XFRM socket, replies
//! and notifications compared byte for byte with messages built from the
//! uapi layouts, an errno test per bad input, and "rejected requests leave
//! the databases unchanged".

use sim_core::Errno;
use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_km::Xfrm;

use super::km::xfrm_compile_policy;
use super::uapi::*;
use super::wire::*;
use super::{XfrmUser, xfrm_user_init};
use crate::netlink::wire::SockaddrNl;
use crate::netlink::{NETLINK_EXT_ACK, NETLINK_XFRM, SOL_NETLINK};
use crate::socket::{AF_NETLINK, MSG_DONTWAIT, SOCK_RAW};
use crate::{Kernel, Socket, Task};

struct Lab {
    kernel: Kernel,
    u: Arc<XfrmUser>,
    task: Arc<Task>,
    req: Socket,
    mon: Socket,
}

const REQ_PID: u32 = 4242;

fn lab(profile: &'static KernelProfile) -> Lab {
    let kernel = Kernel::with_seed(1);
    let xfrm = Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone()).unwrap();
    let u = xfrm_user_init(&kernel, &xfrm, profile).unwrap();
    let task = kernel.root_task();
    let net = kernel.init_net();
    let req = task.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM).unwrap();
    req.bind(&task, &SockaddrNl::new(REQ_PID, 0).to_bytes()).unwrap();
    req.setsockopt(&task, SOL_NETLINK, NETLINK_EXT_ACK, &1u32.to_le_bytes()).unwrap();
    let mon = task.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM).unwrap();
    mon.bind(&task, &SockaddrNl::new(77, 0xff).to_bytes()).unwrap();
    Lab { kernel, u, task, req, mon }
}

impl Lab {
    fn send_as(&self, task: &Task, sock: &Socket, msg: &[u8]) {
        sock.sendto(task, msg, 0, Some(&SockaddrNl::new(0, 0).to_bytes())).unwrap();
    }
    fn send(&self, msg: &[u8]) {
        self.send_as(&self.task, &self.req, msg);
    }
    fn recv(&self, sock: &Socket) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Ok(m) = sock.recvmsg(&self.task, 65536, MSG_DONTWAIT) {
            out.push(m.data);
        }
        out
    }
    fn now(&self) -> u64 {
        self.kernel.clock().real_seconds()
    }
}

fn nlmsg(ty: u16, flags: u16, seq: u32, pid: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + payload.len());
    v.extend_from_slice(&((16 + payload.len()) as u32).to_le_bytes());
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(&pid.to_le_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

fn nla(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + payload.len()) as u16).to_le_bytes());
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

const REQ: u16 = 0x1;
const ACK: u16 = 0x4;

/// The `NLMSG_ERROR` a request gets: `err`, the header, and the whole
/// request for an error; extended-ACK message text if given.
fn nlmsgerr(req: &[u8], err: i32, msg: Option<&str>) -> Vec<u8> {
    let mut p = err.to_le_bytes().to_vec();
    let capped = err == 0;
    if capped {
        p.extend_from_slice(&req[..16]);
    } else {
        p.extend_from_slice(req);
    }
    let mut flags = if capped { 0x100 } else { 0 };
    if let Some(m) = msg {
        flags |= 0x200;
        let mut s = m.as_bytes().to_vec();
        s.push(0);
        p.extend_from_slice(&nla(1, &s));
    }
    let seq = u32::from_le_bytes(req[8..12].try_into().unwrap());
    nlmsg(2, flags, seq, REQ_PID, &p)
}

fn v4(a: [u8; 4]) -> [u8; 16] {
    xfrm_address_v4(a)
}

fn sel(d: [u8; 4], dl: u8, s: [u8; 4], sl: u8) -> XfrmSelector {
    XfrmSelector {
        daddr: v4(d),
        saddr: v4(s),
        family: AF_INET,
        prefixlen_d: dl,
        prefixlen_s: sl,
        ..Default::default()
    }
}

fn inf_lft() -> XfrmLifetimeCfg {
    XfrmLifetimeCfg {
        soft_byte_limit: u64::MAX,
        hard_byte_limit: u64::MAX,
        soft_packet_limit: u64::MAX,
        hard_packet_limit: u64::MAX,
        ..Default::default()
    }
}

fn tmpl() -> XfrmUserTmpl {
    XfrmUserTmpl {
        id: XfrmId { daddr: v4([10, 0, 0, 2]), spi: 0, proto: IPPROTO_ESP },
        family: AF_INET,
        saddr: v4([10, 0, 0, 1]),
        reqid: 5,
        mode: XFRM_MODE_TUNNEL,
        aalgos: u32::MAX,
        ealgos: u32::MAX,
        calgos: u32::MAX,
        ..Default::default()
    }
}

fn policy_info(dir: u8) -> XfrmUserpolicyInfo {
    XfrmUserpolicyInfo {
        sel: sel([10, 0, 1, 0], 24, [10, 0, 0, 0], 24),
        lft: inf_lft(),
        dir,
        ..Default::default()
    }
}

fn newpolicy_req(seq: u32) -> Vec<u8> {
    let mut p = policy_info(XFRM_POLICY_OUT).to_bytes();
    p.extend_from_slice(&nla(XFRMA_TMPL, &tmpl().to_bytes()));
    nlmsg(XFRM_MSG_NEWPOLICY, REQ | ACK, seq, 99, &p)
}

/// The NEWPOLICY message the kernel emits for the policy of
/// [`newpolicy_req`] (index 1: the first OUT policy).
fn policy_msg(l: &Lab, ty: u16, seq: u32, pid: u32) -> Vec<u8> {
    let mut info = policy_info(XFRM_POLICY_OUT);
    info.index = 1;
    info.curlft.add_time = l.now();
    let mut p = info.to_bytes();
    p.extend_from_slice(&nla(XFRMA_TMPL, &tmpl().to_bytes()));
    p.extend_from_slice(&nla(XFRMA_POLICY_TYPE, &[0; 6]));
    nlmsg(ty, 0, seq, pid, &p)
}

#[test]
fn newpolicy_acks_and_notifies_policy_group() {
    let l = lab(&KernelProfile::FULL);
    let req = newpolicy_req(1);
    l.send(&req);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&req, 0, None)]);
    assert_eq!(l.recv(&l.mon), vec![policy_msg(&l, XFRM_MSG_NEWPOLICY, 1, 99)]);
    // Again: EEXIST, no notification, the SPD keeps one policy.
    l.send(&req);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&req, -(Errno::EEXIST.raw()), None)]);
    assert!(l.recv(&l.mon).is_empty());
    assert_eq!(l.kernel.init_net().xfrm.policy.len(), 1);
}

#[test]
fn getpolicy_replies_and_delpolicy_by_index_notifies() {
    let l = lab(&KernelProfile::FULL);
    l.send(&newpolicy_req(1));
    l.recv(&l.req);
    l.recv(&l.mon);
    let id = XfrmUserpolicyId { sel: policy_info(1).sel, index: 0, dir: XFRM_POLICY_OUT };
    l.send(&nlmsg(XFRM_MSG_GETPOLICY, REQ, 2, 0, &id.to_bytes()));
    let mut reply = policy_msg(&l, XFRM_MSG_NEWPOLICY, 2, REQ_PID);
    assert_eq!(l.recv(&l.req), vec![reply.clone()]);
    // By index, delete: DELPOLICY with the index in the id, the policy in
    // XFRMA_POLICY, then the usual attributes.
    let byid = XfrmUserpolicyId { index: 1, dir: XFRM_POLICY_OUT, ..Default::default() };
    let del = nlmsg(XFRM_MSG_DELPOLICY, REQ | ACK, 3, 7, &byid.to_bytes());
    l.send(&del);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&del, 0, None)]);
    let mut p = byid.to_bytes();
    p.extend_from_slice(&nla(XFRMA_POLICY, &reply[16..16 + 168]));
    p.extend_from_slice(&reply[16 + 168..]);
    assert_eq!(l.recv(&l.mon), vec![nlmsg(XFRM_MSG_DELPOLICY, 0, 3, 7, &p)]);
    // Gone now.
    let get = nlmsg(XFRM_MSG_GETPOLICY, REQ, 4, 0, &id.to_bytes());
    l.send(&get);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&get, -(Errno::ENOENT.raw()), None)]);
    reply.clear();
}

#[test]
fn bad_policies_get_linux_errnos_and_change_nothing() {
    let l = lab(&KernelProfile::FULL);
    let cases: Vec<(XfrmUserpolicyInfo, Vec<u8>, Errno, &str)> = vec![
        (policy_info(3), vec![], Errno::EINVAL, "Invalid policy direction"),
        (
            XfrmUserpolicyInfo {
                sel: XfrmSelector { family: 99, ..Default::default() },
                ..policy_info(1)
            },
            vec![],
            Errno::EINVAL,
            "Invalid selector family",
        ),
        (
            XfrmUserpolicyInfo { action: 2, ..policy_info(1) },
            vec![],
            Errno::EINVAL,
            "Invalid policy action",
        ),
        (
            XfrmUserpolicyInfo { index: 10, ..policy_info(1) },
            vec![],
            Errno::EINVAL,
            "Policy index doesn't match direction",
        ),
        (
            policy_info(1),
            nla(
                XFRMA_TMPL,
                &XfrmUserTmpl { id: XfrmId { proto: 6, ..tmpl().id }, ..tmpl() }.to_bytes(),
            ),
            Errno::EINVAL,
            "Invalid XFRM protocol in template",
        ),
        (
            policy_info(1),
            nla(XFRMA_POLICY_TYPE, &[2, 0, 0, 0, 0, 0]),
            Errno::EINVAL,
            "Invalid policy type",
        ),
    ];
    for (i, (info, attrs, errno, text)) in cases.into_iter().enumerate() {
        let mut p = info.to_bytes();
        p.extend_from_slice(&attrs);
        let req = nlmsg(XFRM_MSG_NEWPOLICY, REQ, i as u32, 0, &p);
        l.send(&req);
        assert_eq!(l.recv(&l.req), vec![nlmsgerr(&req, -(errno.raw()), Some(text))], "case {i}");
    }
    assert!(l.kernel.init_net().xfrm.policy.is_empty());
    assert!(l.recv(&l.mon).is_empty());
}

#[test]
fn unprivileged_sender_gets_eperm_for_every_type() {
    let l = lab(&KernelProfile::FULL);
    let user = l.kernel.spawn_task(l.kernel.root_cred_without_net_admin());
    let net = l.kernel.init_net();
    let s = user.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM).unwrap();
    for ty in XFRM_MSG_BASE..=XFRM_MSG_MAX {
        let req = nlmsg(ty, REQ, u32::from(ty), 0, &[0u8; 300]);
        l.send_as(&user, &s, &req);
        let got = {
            let mut v = Vec::new();
            while let Ok(m) = s.recvmsg(&user, 65536, MSG_DONTWAIT) {
                v.push(m.data);
            }
            v
        };
        assert_eq!(got.len(), 1, "type {ty}");
        assert_eq!(
            i32::from_le_bytes(got[0][16..20].try_into().unwrap()),
            -(Errno::EPERM.raw()),
            "type {ty}"
        );
    }
    // Above XFRM_MSG_MAX: EINVAL even for the unprivileged.
    let req = nlmsg(0x30, REQ, 1, 0, &[]);
    l.send_as(&user, &s, &req);
    let m = s.recvmsg(&user, 65536, MSG_DONTWAIT).unwrap();
    assert_eq!(i32::from_le_bytes(m.data[16..20].try_into().unwrap()), -(Errno::EINVAL.raw()));
    assert!(net.xfrm.policy.is_empty() && net.xfrm.state.is_empty());
}

fn usersa(daddr: [u8; 4], spi: u32, proto: u8) -> XfrmUsersaInfo {
    XfrmUsersaInfo {
        id: XfrmId { daddr: v4(daddr), spi, proto },
        saddr: v4([1, 1, 1, 1]),
        lft: inf_lft(),
        family: AF_INET,
        ..Default::default()
    }
}

fn alg(name: &str, key: &[u8]) -> Vec<u8> {
    XfrmAlgo {
        alg_name: alg_name_from(name),
        alg_key_len: key.len() as u32 * 8,
        alg_key: key.to_vec(),
    }
    .to_bytes()
}

#[test]
fn newsa_esp_notifies_and_getsa_answers_with_kernel_attribute_order() {
    let l = lab(&KernelProfile::FULL);
    let mut p = usersa([2, 2, 2, 2], 0x1234, IPPROTO_ESP).to_bytes();
    p.extend_from_slice(&nla(XFRMA_ALG_AUTH, &alg("sha256", &[7; 32])));
    p.extend_from_slice(&nla(XFRMA_ALG_CRYPT, &alg("aes", &[9; 16])));
    let req = nlmsg(XFRM_MSG_NEWSA, REQ | ACK, 5, 31, &p);
    l.send(&req);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&req, 0, None)]);
    // The state as copy_to_user_state_extra writes it: canonical names,
    // AUTH and AUTH_TRUNC (with the table's 96-bit truncation), CRYPT,
    // REPLAY_VAL; the selector family filled in.
    let mut info = usersa([2, 2, 2, 2], 0x1234, IPPROTO_ESP);
    info.sel.family = AF_INET;
    info.curlft.add_time = l.now();
    let mut body = info.to_bytes();
    body.extend_from_slice(&nla(XFRMA_ALG_AUTH, &alg("hmac(sha256)", &[7; 32])));
    let trunc = XfrmAlgoAuth {
        alg_name: alg_name_from("hmac(sha256)"),
        alg_key_len: 256,
        alg_trunc_len: 96,
        alg_key: vec![7; 32],
    };
    body.extend_from_slice(&nla(XFRMA_ALG_AUTH_TRUNC, &trunc.to_bytes()));
    body.extend_from_slice(&nla(XFRMA_ALG_CRYPT, &alg("cbc(aes)", &[9; 16])));
    body.extend_from_slice(&nla(XFRMA_REPLAY_VAL, &[0; 12]));
    assert_eq!(l.recv(&l.mon), vec![nlmsg(XFRM_MSG_NEWSA, 0, 5, 31, &body)]);
    let id =
        XfrmUsersaId { daddr: v4([2, 2, 2, 2]), spi: 0x1234, family: AF_INET, proto: IPPROTO_ESP };
    l.send(&nlmsg(XFRM_MSG_GETSA, REQ, 6, 0, &id.to_bytes()));
    assert_eq!(l.recv(&l.req), vec![nlmsg(XFRM_MSG_NEWSA, 0, 6, REQ_PID, &body)]);
    // DELSA: the id, the state in XFRMA_SA, then its attributes.
    let del = nlmsg(XFRM_MSG_DELSA, REQ, 7, 8, &id.to_bytes());
    l.send(&del);
    assert!(l.recv(&l.req).is_empty());
    let mut d = id.to_bytes();
    d.extend_from_slice(&nla(XFRMA_SA, &body[..224]));
    d.extend_from_slice(&body[224..]);
    assert_eq!(l.recv(&l.mon), vec![nlmsg(XFRM_MSG_DELSA, 0, 7, 8, &d)]);
    l.send(&del);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&del, -(Errno::ESRCH.raw()), None)]);
}

#[test]
fn newsa_rejections_follow_the_profile() {
    let host = lab(&KernelProfile::HOST);
    let mut p = usersa([2, 2, 2, 2], 0x99, IPPROTO_ESP).to_bytes();
    p.extend_from_slice(&nla(XFRMA_ALG_CRYPT, &alg("cbc(aes)", &[9; 16])));
    let req = nlmsg(XFRM_MSG_NEWSA, REQ, 1, 0, &p);
    host.send(&req);
    let e = -(Errno::EPROTONOSUPPORT.raw());
    assert_eq!(host.recv(&host.req), vec![nlmsgerr(&req, e, Some("Requested type not found"))]);
    let deb = lab(&KernelProfile::DEBIAN_6_1);
    let mut p = usersa([2, 2, 2, 2], 0x99, IPPROTO_ESP).to_bytes();
    p.extend_from_slice(&nla(XFRMA_ALG_CRYPT, &alg("cbc(des3_ede)", &[9; 24])));
    let req = nlmsg(XFRM_MSG_NEWSA, REQ, 2, 0, &p);
    deb.send(&req);
    let e = -(Errno::ENOSYS.raw());
    assert_eq!(
        deb.recv(&deb.req),
        vec![nlmsgerr(&req, e, Some("Requested CRYPT algorithm not found"))]
    );
    let req = nlmsg(XFRM_MSG_NEWSA, REQ, 3, 0, &usersa([2, 2, 2, 2], 0x99, IPPROTO_ESP).to_bytes());
    deb.send(&req);
    let text = "Missing required attribute for ESP: at least one of AUTH, AUTH_TRUNC, CRYPT, AEAD";
    assert_eq!(deb.recv(&deb.req), vec![nlmsgerr(&req, -(Errno::EINVAL.raw()), Some(text))]);
    for l in [&host, &deb] {
        assert!(l.kernel.init_net().xfrm.state.is_empty());
        assert!(l.recv(&l.mon).is_empty());
    }
}

#[test]
fn allocspi_answers_with_the_larval_state() {
    let l = lab(&KernelProfile::HOST);
    let mut spi =
        XfrmUserspiInfo { info: usersa([2, 2, 2, 2], 0, IPPROTO_ESP), min: 0x200, max: 0x200 };
    spi.info.reqid = 3;
    let req = nlmsg(XFRM_MSG_ALLOCSPI, REQ, 9, 0, &spi.to_bytes());
    l.send(&req);
    let mut x = usersa([2, 2, 2, 2], 0x200, IPPROTO_ESP);
    x.reqid = 3;
    // __find_acq_core fills addresses and prefixes, not the family.
    x.sel = XfrmSelector { family: 0, ..sel([2, 2, 2, 2], 32, [1, 1, 1, 1], 32) };
    x.lft.hard_add_expires_seconds = 30;
    x.curlft.add_time = l.now();
    let mut body = x.to_bytes();
    body.extend_from_slice(&nla(XFRMA_REPLAY_VAL, &[0; 12]));
    assert_eq!(l.recv(&l.req), vec![nlmsg(XFRM_MSG_NEWSA, 0, 9, REQ_PID, &body)]);
    assert!(l.recv(&l.mon).is_empty(), "ALLOCSPI does not notify");
    // The same SPI again (a new larval state is needed): no SPI left.
    spi.info.id.daddr = v4([2, 2, 2, 3]);
    let req = nlmsg(XFRM_MSG_ALLOCSPI, REQ, 10, 0, &spi.to_bytes());
    l.send(&req);
    let e = -(Errno::ENOENT.raw());
    assert_eq!(
        l.recv(&l.req),
        vec![nlmsgerr(&req, e, Some("No SPI available in the requested range"))]
    );
}

#[test]
fn info_default_and_flush_messages() {
    let l = lab(&KernelProfile::FULL);
    l.send(&nlmsg(XFRM_MSG_GETSADINFO, REQ, 1, 0, &7u32.to_le_bytes()));
    let mut p = 7u32.to_le_bytes().to_vec();
    p.extend_from_slice(&nla(XFRMA_SAD_CNT, &0u32.to_le_bytes()));
    p.extend_from_slice(&nla(
        XFRMA_SAD_HINFO,
        &XfrmuSadhinfo { sadhcnt: 8, sadhmcnt: 1 << 20 }.to_bytes(),
    ));
    assert_eq!(l.recv(&l.req), vec![nlmsg(XFRM_MSG_NEWSADINFO, 0, 1, REQ_PID, &p)]);
    l.send(&nlmsg(XFRM_MSG_GETSPDINFO, REQ, 2, 0, &0u32.to_le_bytes()));
    let mut p = 0u32.to_le_bytes().to_vec();
    p.extend_from_slice(&nla(XFRMA_SPD_INFO, &[0; 24]));
    p.extend_from_slice(&nla(
        XFRMA_SPD_HINFO,
        &XfrmuSpdhinfo { spdhcnt: 7, spdhmcnt: 1 << 20 }.to_bytes(),
    ));
    p.extend_from_slice(&nla(XFRMA_SPD_IPV4_HTHRESH, &[32, 32]));
    p.extend_from_slice(&nla(XFRMA_SPD_IPV6_HTHRESH, &[128, 128]));
    assert_eq!(l.recv(&l.req), vec![nlmsg(XFRM_MSG_NEWSPDINFO, 0, 2, REQ_PID, &p)]);
    // SETDEFAULT: in BLOCK, fwd ACCEPT, out 3 (ignored); GETDEFAULT to POLICY.
    l.send(&nlmsg(XFRM_MSG_SETDEFAULT, REQ, 3, 0, &[1, 2, 3]));
    // nlmsg_end counts the padding: nlmsg_len 20.
    let mut def = nlmsg(XFRM_MSG_GETDEFAULT, 0, 0, 0, &[1, 2, 2]);
    def[0] = 20;
    assert_eq!(l.recv(&l.mon), vec![def]);
    // Empty flushes: success, no notification; non-empty: FLUSHPOLICY + type.
    l.send(&nlmsg(XFRM_MSG_FLUSHPOLICY, REQ, 4, 0, &[]));
    assert!(l.recv(&l.mon).is_empty());
    l.send(&newpolicy_req(5));
    l.recv(&l.req);
    l.recv(&l.mon);
    l.send(&nlmsg(XFRM_MSG_FLUSHPOLICY, REQ, 6, 3, &[]));
    assert_eq!(
        l.recv(&l.mon),
        vec![nlmsg(XFRM_MSG_FLUSHPOLICY, 0, 6, 3, &nla(XFRMA_POLICY_TYPE, &[0; 6]))]
    );
    assert!(l.recv(&l.req).is_empty());
}

#[test]
fn user_acquire_reaches_acquire_listeners() {
    let l = lab(&KernelProfile::FULL);
    let pol = policy_info(XFRM_POLICY_OUT);
    let ua = XfrmUserAcquire {
        id: XfrmId { daddr: v4([3, 3, 3, 3]), spi: 0, proto: IPPROTO_ESP },
        saddr: v4([4, 4, 4, 4]),
        sel: sel([3, 3, 3, 3], 32, [4, 4, 4, 4], 32),
        policy: pol,
        aalgos: 1,
        ealgos: 2,
        calgos: 3,
        seq: 0,
    };
    let mut p = ua.to_bytes();
    p.extend_from_slice(&nla(XFRMA_TMPL, &tmpl().to_bytes()));
    l.send(&nlmsg(XFRM_MSG_ACQUIRE, REQ, 1, 0, &p));
    let got = l.recv(&l.mon);
    assert_eq!(got.len(), 1);
    // The template's SA id, the request's addresses and selector, the
    // policy as OUT, the request's algorithm masks also in the template.
    let mut want = XfrmUserAcquire { id: tmpl().id, seq: 1, ..ua };
    want.policy.curlft.add_time = 0;
    let mut t = tmpl();
    (t.aalgos, t.ealgos, t.calgos) = (1, 2, 3);
    let mut body = want.to_bytes();
    body.extend_from_slice(&nla(XFRMA_TMPL, &t.to_bytes()));
    body.extend_from_slice(&nla(XFRMA_POLICY_TYPE, &[0; 6]));
    assert_eq!(got[0], nlmsg(XFRM_MSG_ACQUIRE, 0, 0, 0, &body));
    assert!(l.kernel.init_net().xfrm.state.is_empty(), "nothing is inserted");
}

#[test]
fn compile_policy_checks() {
    let mut data = policy_info(XFRM_POLICY_OUT).to_bytes();
    data.extend_from_slice(&tmpl().to_bytes());
    let (p, dir) = xfrm_compile_policy(AF_INET, 17, &data).unwrap();
    assert_eq!((dir, p.tmpls.len(), p.ptype), (XFRM_POLICY_OUT, 1, XFRM_POLICY_TYPE_MAIN));
    assert_eq!(xfrm_compile_policy(AF_INET, 35, &data).unwrap_err(), Errno::EOPNOTSUPP);
    assert_eq!(xfrm_compile_policy(AF_INET6, 35, &data[..100]).unwrap_err(), Errno::EINVAL);
    assert_eq!(xfrm_compile_policy(1, 17, &data).unwrap_err(), Errno::EINVAL);
    let fwd = policy_info(XFRM_POLICY_FWD).to_bytes();
    assert_eq!(xfrm_compile_policy(AF_INET, 17, &fwd).unwrap_err(), Errno::EINVAL);
}

#[test]
fn random_requests_never_panic_and_keep_the_tables_consistent() {
    let l = lab(&KernelProfile::FULL);
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for i in 0..3000u32 {
        let ty = XFRM_MSG_BASE + (next() % 26) as u16;
        let len = (next() % 400) as usize;
        let mut p: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Plausible attribute headers now and then.
        if len > 240 && i % 2 == 0 {
            let at = 224;
            let alen = (next() % 120) as u16;
            p[at..at + 2].copy_from_slice(&alen.to_le_bytes());
            p[at + 2..at + 4].copy_from_slice(&((next() % 45) as u16).to_le_bytes());
        }
        let req = nlmsg(ty, REQ, i, 0, &p);
        l.send(&req);
        // Every request is answered (an error, or a reply without ACK).
        let got = l.recv(&l.req);
        assert!(got.len() <= 2, "request {i}");
        l.recv(&l.mon);
    }
    l.kernel.init_net().xfrm.policy.check_consistency().unwrap();
}

#[test]
fn packet_path_acquire_reaches_listeners_and_allocspi_finds_it_by_seq() {
    use sim_core::xfrm::{XfrmAddress, XfrmFlow};
    let l = lab(&KernelProfile::FULL);
    l.send(&newpolicy_req(1));
    l.recv(&l.req);
    l.recv(&l.mon);
    let net = l.kernel.init_net();
    let fl = XfrmFlow::ports(
        XfrmAddress::from_bytes(v4([10, 0, 1, 7])),
        XfrmAddress::from_bytes(v4([10, 0, 0, 7])),
        17,
        53,
        4000,
    );
    // xfrm_larval_drop (default 1): the packet is dropped while the
    // acquire goes out.
    let r = l.u.xfrm.xfrm_lookup(&net, &fl, AF_INET, None, 0, l.task.signal());
    assert!(matches!(r, Ok(sim_km::XfrmDst::Blackhole)), "{r:?}");
    let got = l.recv(&l.mon);
    assert_eq!(got.len(), 1);
    let ua = XfrmUserAcquire::read_at(&got[0], 16);
    assert_eq!(u16::from_le_bytes([got[0][4], got[0][5]]), XFRM_MSG_ACQUIRE);
    assert_eq!(ua.id, tmpl().id);
    assert_eq!((ua.sel.dport, ua.sel.sport, ua.sel.proto), (53, 4000, 17));
    assert_eq!((ua.policy.dir, ua.policy.index), (XFRM_POLICY_OUT, 1));
    let larval = net.xfrm.state.states();
    assert_eq!(larval.len(), 1);
    assert_eq!(larval[0].seq(), ua.seq);
    // The daemon answers: ALLOCSPI for that acquire finds the larval state.
    let mut spi =
        XfrmUserspiInfo { info: usersa([10, 0, 0, 2], 0, IPPROTO_ESP), min: 0x77, max: 0x77 };
    spi.info.seq = ua.seq;
    l.send(&nlmsg(XFRM_MSG_ALLOCSPI, REQ, 2, 0, &spi.to_bytes()));
    let reply = l.recv(&l.req);
    assert_eq!(reply.len(), 1);
    let sa = XfrmUsersaInfo::read_at(&reply[0], 16);
    assert_eq!((sa.id.spi, sa.seq, sa.reqid, sa.mode), (0x77, ua.seq, 5, XFRM_MODE_TUNNEL));
    // The larval state of a real acquire reports its direction.
    assert!(reply[0].windows(8).any(|w| w == [5, 0, 33, 0, 2, 0, 0, 0]));
    assert_eq!(net.xfrm.state.states().len(), 1);
    // The larval state times out: a hard EXPIRE reaches the listeners.
    l.kernel.advance(std::time::Duration::from_secs(31));
    let exp = l.recv(&l.mon);
    assert_eq!(exp.len(), 1);
    assert_eq!(u16::from_le_bytes([exp[0][4], exp[0][5]]), XFRM_MSG_EXPIRE);
    assert_eq!(exp[0][16 + 224], 1, "hard");
    assert!(net.xfrm.state.is_empty());
    use sim_core::lockdep::take_reports_for;
    use sim_core::xfrm::locks::*;
    for class in [&XFRM_CFG_MUTEX, &XFRM_STATE_X_LOCK] {
        let r = take_reports_for(class);
        assert!(r.is_empty(), "{}", r.iter().map(|r| r.text.as_str()).collect::<String>());
    }
}

/// A VALID ESP state 2.2.2.2/0x1234 added through NEWSA (full profile).
fn add_esp(l: &Lab) -> XfrmUsersaId {
    let mut p = usersa([2, 2, 2, 2], 0x1234, IPPROTO_ESP).to_bytes();
    p.extend_from_slice(&nla(XFRMA_ALG_CRYPT, &alg("cbc(aes)", &[9; 16])));
    l.send(&nlmsg(XFRM_MSG_NEWSA, REQ, 1, 0, &p));
    assert!(l.recv(&l.req).is_empty());
    l.recv(&l.mon);
    XfrmUsersaId { daddr: v4([2, 2, 2, 2]), spi: 0x1234, family: AF_INET, proto: IPPROTO_ESP }
}

#[test]
fn aevents_get_and_new() {
    let l = lab(&KernelProfile::FULL);
    let id = add_esp(&l);
    let ae = XfrmAeventId {
        sa_id: id,
        saddr: v4([1, 1, 1, 1]),
        flags: XFRM_AE_RTHR | XFRM_AE_ETHR,
        reqid: 0,
    };
    l.send(&nlmsg(XFRM_MSG_GETAE, REQ, 2, 66, &ae.to_bytes()));
    let cur = XfrmLifetimeCur { add_time: l.now(), ..Default::default() };
    let mut p = ae.to_bytes();
    p.extend_from_slice(&nla(XFRMA_REPLAY_VAL, &[0; 12]));
    p.extend_from_slice(&nla(XFRMA_LTIME_VAL, &cur.to_bytes()));
    p.extend_from_slice(&nla(XFRMA_REPLAY_THRESH, &2u32.to_le_bytes()));
    p.extend_from_slice(&nla(XFRMA_ETIMER_THRESH, &10u32.to_le_bytes()));
    // The reply's header carries the request's nlmsg_pid.
    assert_eq!(l.recv(&l.req), vec![nlmsg(XFRM_MSG_NEWAE, 0, 2, 66, &p)]);
    // NEWAE without NLM_F_REPLACE, then with it: new replay counters and a
    // NEWAE (flags CU) to the AEVENTS group.
    let r = XfrmReplayState { oseq: 5, seq: 6, bitmap: 7 };
    let mut body = XfrmAeventId { flags: 0, ..ae }.to_bytes();
    body.extend_from_slice(&nla(XFRMA_REPLAY_VAL, &r.to_bytes()));
    let bad = nlmsg(XFRM_MSG_NEWAE, REQ, 3, 0, &body);
    l.send(&bad);
    assert_eq!(
        l.recv(&l.req),
        vec![nlmsgerr(&bad, -(Errno::EINVAL.raw()), Some("NLM_F_REPLACE flag is required"))]
    );
    l.send(&nlmsg(XFRM_MSG_NEWAE, REQ | 0x100, 4, 12, &body));
    assert!(l.recv(&l.req).is_empty());
    let mut n = XfrmAeventId { flags: XFRM_AE_CU, ..ae }.to_bytes();
    n.extend_from_slice(&nla(XFRMA_REPLAY_VAL, &r.to_bytes()));
    n.extend_from_slice(&nla(XFRMA_LTIME_VAL, &cur.to_bytes()));
    assert_eq!(l.recv(&l.mon), vec![nlmsg(XFRM_MSG_NEWAE, 0, 4, 12, &n)]);
}

#[test]
fn user_expire_hard_deletes_without_delsa_and_flushsa_notifies() {
    let l = lab(&KernelProfile::FULL);
    add_esp(&l);
    let mut st = usersa([2, 2, 2, 2], 0x1234, IPPROTO_ESP);
    let ue = XfrmUserExpire { state: st, hard: 0 };
    l.send(&nlmsg(XFRM_MSG_EXPIRE, REQ, 2, 44, &ue.to_bytes()));
    // Soft: the state as the SAD holds it, hard 0, pid of the request, seq 0.
    st.sel.family = AF_INET;
    st.curlft.add_time = l.now();
    let want =
        |hard| nlmsg(XFRM_MSG_EXPIRE, 0, 0, 44, &XfrmUserExpire { state: st, hard }.to_bytes());
    assert_eq!(l.recv(&l.mon), vec![want(0)]);
    assert_eq!(l.kernel.init_net().xfrm.state.len(), 1);
    l.send(&nlmsg(XFRM_MSG_EXPIRE, REQ, 3, 44, &XfrmUserExpire { hard: 9, ..ue }.to_bytes()));
    assert_eq!(l.recv(&l.mon), vec![want(1)]);
    assert!(l.kernel.init_net().xfrm.state.is_empty());
    let again = nlmsg(XFRM_MSG_EXPIRE, REQ, 4, 44, &ue.to_bytes());
    l.send(&again);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&again, -(Errno::ENOENT.raw()), None)]);
    add_esp(&l);
    l.send(&nlmsg(XFRM_MSG_FLUSHSA, REQ, 5, 45, &[IPSEC_PROTO_ANY]));
    // nlmsg_end counts the padding of the 1-byte payload (as Linux 6.18 sent).
    let mut flush = nlmsg(XFRM_MSG_FLUSHSA, 0, 5, 45, &[IPSEC_PROTO_ANY]);
    flush[0] = 20;
    assert_eq!(l.recv(&l.mon), vec![flush]);
}

#[test]
fn auth_trunc_and_updsa_rules() {
    let l = lab(&KernelProfile::FULL);
    let trunc = |bits| {
        XfrmAlgoAuth {
            alg_name: alg_name_from("hmac(sha1)"),
            alg_key_len: 160,
            alg_trunc_len: bits,
            alg_key: vec![1; 20],
        }
        .to_bytes()
    };
    let mut p = usersa([2, 2, 2, 2], 0x55, IPPROTO_AH).to_bytes();
    p.extend_from_slice(&nla(XFRMA_ALG_AUTH_TRUNC, &trunc(161)));
    let req = nlmsg(XFRM_MSG_NEWSA, REQ, 1, 0, &p);
    l.send(&req);
    let text = "Invalid length requested for truncated ICV";
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&req, -(Errno::EINVAL.raw()), Some(text))]);
    // UPDSA of a state that does not exist: ESRCH.
    let mut p = usersa([2, 2, 2, 2], 0x55, IPPROTO_AH).to_bytes();
    p.extend_from_slice(&nla(XFRMA_ALG_AUTH_TRUNC, &trunc(160)));
    let upd = nlmsg(XFRM_MSG_UPDSA, REQ, 2, 0, &p);
    l.send(&upd);
    assert_eq!(l.recv(&l.req), vec![nlmsgerr(&upd, -(Errno::ESRCH.raw()), None)]);
    assert!(l.recv(&l.mon).is_empty());
    // NEWSA then UPDSA: UPDSA notification with the request's seq and pid.
    l.send(&nlmsg(XFRM_MSG_NEWSA, REQ, 3, 0, &p));
    l.recv(&l.mon);
    l.send(&nlmsg(XFRM_MSG_UPDSA, REQ, 4, 5, &p));
    let got = l.recv(&l.mon);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (u16::from_le_bytes([got[0][4], got[0][5]]), got[0][8], got[0][12]),
        (XFRM_MSG_UPDSA, 4, 5)
    );
    assert_eq!(l.kernel.init_net().xfrm.state.len(), 1);
}
