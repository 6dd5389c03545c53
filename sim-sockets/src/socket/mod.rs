//! The socket layer (`net/socket.c`, `include/linux/net.h`): simulated
//! tasks, the protocol-family registry (`net_families[]`, `struct
//! net_proto_family`), per-family operations (`struct proto_ops`) and the
//! system calls a task makes on a socket.

pub mod sock;
pub mod task;

use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicBool, Ordering};
use sim_core::{Errno, KResult};

pub use sock::{Sock, datagram_poll};
pub use task::Task;

use sim_netns::Net;

/// `AF_UNSPEC`.
pub const AF_UNSPEC: i32 = 0;
/// `AF_KEY` / `PF_KEY`.
pub const AF_KEY: i32 = 15;
/// `AF_NETLINK` / `PF_NETLINK`.
pub const AF_NETLINK: i32 = 16;
/// `NPROTO` (`AF_MAX`).
pub const NPROTO: i32 = 46;

/// `SOCK_STREAM`.
pub const SOCK_STREAM: i32 = 1;
/// `SOCK_DGRAM`.
pub const SOCK_DGRAM: i32 = 2;
/// `SOCK_RAW`.
pub const SOCK_RAW: i32 = 3;
/// `SOCK_RDM`.
pub const SOCK_RDM: i32 = 4;
/// `SOCK_SEQPACKET`.
pub const SOCK_SEQPACKET: i32 = 5;
/// `SOCK_PACKET`.
pub const SOCK_PACKET: i32 = 10;
/// `SOCK_MAX`.
pub const SOCK_MAX: i32 = 11;
/// `SOCK_TYPE_MASK`.
pub const SOCK_TYPE_MASK: i32 = 0xf;
/// `SOCK_NONBLOCK`.
pub const SOCK_NONBLOCK: i32 = 0o4000;
/// `SOCK_CLOEXEC`.
pub const SOCK_CLOEXEC: i32 = 0o2000000;

/// `MSG_OOB`.
pub const MSG_OOB: i32 = 0x1;
/// `MSG_PEEK`.
pub const MSG_PEEK: i32 = 0x2;
/// `MSG_TRUNC`.
pub const MSG_TRUNC: i32 = 0x20;
/// `MSG_DONTWAIT`.
pub const MSG_DONTWAIT: i32 = 0x40;
/// `MSG_ERRQUEUE`.
pub const MSG_ERRQUEUE: i32 = 0x2000;

/// `POLLIN`.
pub const POLLIN: u32 = 0x1;
/// `POLLPRI`.
pub const POLLPRI: u32 = 0x2;
/// `POLLOUT`.
pub const POLLOUT: u32 = 0x4;
/// `POLLERR`.
pub const POLLERR: u32 = 0x8;
/// `POLLHUP`.
pub const POLLHUP: u32 = 0x10;
/// `POLLRDNORM`.
pub const POLLRDNORM: u32 = 0x40;
/// `POLLWRNORM`.
pub const POLLWRNORM: u32 = 0x100;
/// `POLLWRBAND`.
pub const POLLWRBAND: u32 = 0x200;

/// `SOL_SOCKET`.
pub const SOL_SOCKET: i32 = 1;
/// `SO_TYPE`.
pub const SO_TYPE: i32 = 3;
/// `SO_ERROR`.
pub const SO_ERROR: i32 = 4;
/// `SO_SNDBUF`.
pub const SO_SNDBUF: i32 = 7;
/// `SO_RCVBUF`.
pub const SO_RCVBUF: i32 = 8;
/// `SO_PASSCRED`.
pub const SO_PASSCRED: i32 = 16;
/// `SO_SNDBUFFORCE`.
pub const SO_SNDBUFFORCE: i32 = 32;
/// `SO_RCVBUFFORCE`.
pub const SO_RCVBUFFORCE: i32 = 33;
/// `SO_PROTOCOL`.
pub const SO_PROTOCOL: i32 = 38;
/// `SO_DOMAIN`.
pub const SO_DOMAIN: i32 = 39;

/// What `sendmsg` is given (`struct msghdr` with one iovec).
#[derive(Clone, Copy, Debug, Default)]
pub struct MsgHdr<'a> {
    /// `msg_name` (`msg_namelen` = its length); `None` for no address.
    pub name: Option<&'a [u8]>,
    /// The data.
    pub data: &'a [u8],
    /// `flags` argument of the call.
    pub flags: i32,
}

/// What `recvmsg` returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecvMsg {
    /// The return value: bytes copied, or the datagram's true length with
    /// `MSG_TRUNC` in the flags argument.
    pub ret: usize,
    /// The bytes copied (at most the buffer length).
    pub data: Vec<u8>,
    /// `msg_name` as filled in.
    pub name: SockName,
    /// `msg_flags` (`MSG_TRUNC` when the datagram did not fit).
    pub msg_flags: i32,
}

/// A socket address as `recvmsg` fills `msg_name` in: at most
/// `sizeof(struct sockaddr_storage)`'s useful part (a `sockaddr_in6`, 28
/// bytes), kept inline since every received datagram carries one.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct SockName {
    len: u8,
    bytes: [u8; SockName::CAPACITY],
}

impl SockName {
    /// The longest address kept (`struct sockaddr_in6`).
    pub const CAPACITY: usize = 28;

    /// The first [`SockName::CAPACITY`] bytes of `addr`.
    pub fn new(addr: &[u8]) -> Self {
        let n = addr.len().min(Self::CAPACITY);
        let mut bytes = [0; Self::CAPACITY];
        bytes[..n].copy_from_slice(&addr[..n]);
        SockName { len: n as u8, bytes }
    }
}

impl core::ops::Deref for SockName {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl core::fmt::Debug for SockName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// `struct proto_ops`: one protocol family's socket operations. The
/// implementing value is the protocol's per-socket state.
pub trait ProtoOps: Send + Sync {
    /// `sock->sk`: the state every socket shares.
    fn sk(&self) -> &Sock;
    /// `.release`.
    fn release(&self);
    /// `.bind`.
    fn bind(&self, task: &Task, addr: &[u8]) -> KResult<()>;
    /// `.connect`.
    fn connect(&self, _task: &Task, _addr: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }
    /// `.getname`: the local (or peer) address.
    fn getname(&self, peer: bool) -> KResult<Vec<u8>>;
    /// `.poll`.
    fn poll(&self) -> u32 {
        datagram_poll(self.sk())
    }
    /// `.setsockopt` for levels other than `SOL_SOCKET`.
    fn setsockopt(&self, task: &Task, level: i32, optname: i32, optval: &[u8]) -> KResult<()>;
    /// `.getsockopt` for levels other than `SOL_SOCKET`; `optlen` is the
    /// caller's buffer length, the result the bytes written.
    fn getsockopt(&self, task: &Task, level: i32, optname: i32, optlen: i32) -> KResult<Vec<u8>>;
    /// `.sendmsg`.
    fn sendmsg(&self, task: &Task, msg: &MsgHdr<'_>) -> KResult<usize>;
    /// `.recvmsg` into a buffer of `len` bytes.
    fn recvmsg(&self, task: &Task, len: usize, flags: i32) -> KResult<RecvMsg>;
}

/// `struct net_proto_family`: creates sockets of one family.
pub trait NetProtoFamily: Send + Sync {
    /// `.family`.
    fn family(&self) -> i32;
    /// `.create`.
    fn create(
        &self,
        net: &Arc<Net>,
        task: &Task,
        sock_type: i32,
        protocol: i32,
        kern: bool,
    ) -> KResult<Box<dyn ProtoOps>>;
}

/// `struct socket`: an open socket of a task.
pub struct Socket {
    family: i32,
    sock_type: i32,
    nonblock: bool,
    ops: Box<dyn ProtoOps>,
    released: AtomicBool,
}

/// Linux restarts or fails an interrupted call; a task without
/// `SA_RESTART` handlers sees `EINTR`.
fn syscall_ret<T>(r: KResult<T>) -> KResult<T> {
    match r {
        Err(Errno::ERESTARTSYS) | Err(Errno::ERESTARTNOINTR) | Err(Errno::ERESTARTNOHAND) => {
            Err(Errno::EINTR)
        }
        r => r,
    }
}

impl Socket {
    pub(crate) fn new(family: i32, sock_type: i32, nonblock: bool, ops: Box<dyn ProtoOps>) -> Self {
        Socket { family, sock_type, nonblock, ops, released: AtomicBool::new(false) }
    }

    /// The family (`sk->sk_family`).
    pub fn family(&self) -> i32 {
        self.family
    }

    /// The type (`sock->type`).
    pub fn sock_type(&self) -> i32 {
        self.sock_type
    }

    /// The protocol's operations (and per-socket state).
    pub fn ops(&self) -> &dyn ProtoOps {
        &*self.ops
    }

    /// `bind(2)`.
    pub fn bind(&self, task: &Task, addr: &[u8]) -> KResult<()> {
        syscall_ret(self.ops.bind(task, addr))
    }

    /// `connect(2)`.
    pub fn connect(&self, task: &Task, addr: &[u8]) -> KResult<()> {
        syscall_ret(self.ops.connect(task, addr))
    }

    /// `getsockname(2)`.
    pub fn getsockname(&self) -> KResult<Vec<u8>> {
        self.ops.getname(false)
    }

    /// `getpeername(2)`.
    pub fn getpeername(&self) -> KResult<Vec<u8>> {
        self.ops.getname(true)
    }

    /// `setsockopt(2)`: `SOL_SOCKET` is handled by the core
    /// (`sock_setsockopt`), other levels by the family.
    pub fn setsockopt(&self, task: &Task, level: i32, optname: i32, optval: &[u8]) -> KResult<()> {
        if level == SOL_SOCKET {
            sock::sock_setsockopt(self.ops.sk(), task, optname, optval)
        } else {
            syscall_ret(self.ops.setsockopt(task, level, optname, optval))
        }
    }

    /// `setsockopt(2)` with an `int` value.
    pub fn setsockopt_int(&self, task: &Task, level: i32, optname: i32, val: i32) -> KResult<()> {
        self.setsockopt(task, level, optname, &val.to_le_bytes())
    }

    /// `getsockopt(2)` with a buffer of `optlen` bytes; returns the bytes
    /// written (their count is the resulting `*optlen`).
    pub fn getsockopt(
        &self,
        task: &Task,
        level: i32,
        optname: i32,
        optlen: i32,
    ) -> KResult<Vec<u8>> {
        if level == SOL_SOCKET {
            sock::sock_getsockopt(self.ops.sk(), optname, optlen)
        } else {
            self.ops.getsockopt(task, level, optname, optlen)
        }
    }

    /// `getsockopt(2)` of an `int` option.
    pub fn getsockopt_int(&self, task: &Task, level: i32, optname: i32) -> KResult<i32> {
        let v = self.getsockopt(task, level, optname, 4)?;
        match v.get(..4) {
            Some(b) => Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            None => Err(Errno::EINVAL),
        }
    }

    fn flags(&self, flags: i32) -> i32 {
        if self.nonblock { flags | MSG_DONTWAIT } else { flags }
    }

    /// `sendmsg(2)`.
    pub fn sendmsg(&self, task: &Task, msg: &MsgHdr<'_>) -> KResult<usize> {
        let m = MsgHdr { flags: self.flags(msg.flags), ..*msg };
        syscall_ret(self.ops.sendmsg(task, &m))
    }

    /// `sendto(2)`; `dest` `None` is `send(2)`.
    pub fn sendto(
        &self,
        task: &Task,
        data: &[u8],
        flags: i32,
        dest: Option<&[u8]>,
    ) -> KResult<usize> {
        self.sendmsg(task, &MsgHdr { name: dest, data, flags })
    }

    /// `recvmsg(2)` into a buffer of `len` bytes.
    pub fn recvmsg(&self, task: &Task, len: usize, flags: i32) -> KResult<RecvMsg> {
        if flags & MSG_ERRQUEUE != 0 {
            // No error queue is kept: `sock_recv_errqueue` finds it empty.
            return Err(Errno::EAGAIN);
        }
        syscall_ret(self.ops.recvmsg(task, len, self.flags(flags)))
    }

    /// `recvfrom(2)`: the bytes (or the true length with `MSG_TRUNC`) and
    /// the sender's address.
    pub fn recvfrom(&self, task: &Task, len: usize, flags: i32) -> KResult<RecvMsg> {
        self.recvmsg(task, len, flags)
    }

    /// `poll(2)` readiness.
    pub fn poll(&self) -> u32 {
        self.ops.poll()
    }

    /// `close(2)`: the last reference goes, `sock_release` runs.
    pub fn close(self) {
        self.release();
    }

    fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.ops.release();
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // A socket dropped without close() is released as at process exit.
        self.release();
    }
}

/// `net_families[]`: the registered protocol families of one kernel.
pub struct NetFamilies {
    table: sim_core::sync::RwLock<Vec<Option<Box<dyn NetProtoFamily>>>>,
}

impl Default for NetFamilies {
    fn default() -> Self {
        NetFamilies { table: sim_core::sync::RwLock::new((0..NPROTO).map(|_| None).collect()) }
    }
}

impl NetFamilies {
    /// `sock_register()`: `EEXIST` when the family is taken.
    pub fn sock_register(&self, ops: Box<dyn NetProtoFamily>) -> KResult<()> {
        let f = ops.family();
        let mut t = self.table.write();
        let slot =
            t.get_mut(usize::try_from(f).map_err(|_| Errno::ENOBUFS)?).ok_or(Errno::ENOBUFS)?;
        if slot.is_some() {
            return Err(Errno::EEXIST);
        }
        *slot = Some(ops);
        Ok(())
    }

    /// `sock_unregister()`.
    pub fn sock_unregister(&self, family: i32) {
        if let Ok(i) = usize::try_from(family)
            && let Some(s) = self.table.write().get_mut(i)
        {
            *s = None;
        }
    }

    /// Runs `f` with the family's operations (the registry's read side).
    fn with<R>(&self, family: i32, f: impl FnOnce(&dyn NetProtoFamily) -> R) -> Option<R> {
        let i = usize::try_from(family).ok()?;
        let t = self.table.read();
        t.get(i)?.as_deref().map(f)
    }
}

/// `__sock_create()` as reached from `socket(2)`: flag and range checks,
/// family lookup, then the family's `create`.
pub fn sock_create(
    families: &NetFamilies,
    net: &Arc<Net>,
    task: &Task,
    family: i32,
    type_and_flags: i32,
    protocol: i32,
    kern: bool,
) -> KResult<Socket> {
    // __sys_socket_create: only SOCK_CLOEXEC and SOCK_NONBLOCK may ride on
    // the type.
    let sock_type = type_and_flags & SOCK_TYPE_MASK;
    if type_and_flags & !(SOCK_TYPE_MASK | SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    if !(0..NPROTO).contains(&family) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if !(0..SOCK_MAX).contains(&sock_type) {
        return Err(Errno::EINVAL);
    }
    let ops = families
        .with(family, |pf| pf.create(net, task, sock_type, protocol, kern))
        .ok_or(Errno::EAFNOSUPPORT)??;
    Ok(Socket::new(family, sock_type, type_and_flags & SOCK_NONBLOCK != 0, ops))
}
