//! A simulated process (`struct task_struct`): thread-group id,
//! credentials and a pending-signal flag. Tasks make the socket calls.

use sim_core::KResult;
use sim_core::sync::Arc;

use super::{NetFamilies, Socket, sock_create};
use sim_core::task::SignalState;
use sim_netns::{Capability, Cred, Net, UserNs, ns_capable};

/// `struct task_struct` as far as sockets care.
pub struct Task {
    tgid: i32,
    cred: Arc<Cred>,
    signal: SignalState,
    families: Arc<NetFamilies>,
}

impl Task {
    pub(crate) fn new(tgid: i32, cred: Arc<Cred>, families: Arc<NetFamilies>) -> Self {
        Task { tgid, cred, signal: SignalState::new(), families }
    }

    /// `task_tgid_vnr(current)`: the process id.
    pub fn tgid(&self) -> i32 {
        self.tgid
    }

    /// `current_cred()`.
    pub fn cred(&self) -> &Arc<Cred> {
        &self.cred
    }

    /// The pending-signal flag.
    pub fn signal(&self) -> &SignalState {
        &self.signal
    }

    /// Makes a signal pending: a blocked call returns `EINTR`.
    pub fn send_signal(&self) {
        self.signal.raise();
    }

    /// Takes the pending signal (the handler ran).
    pub fn clear_signal(&self) {
        self.signal.clear();
    }

    /// `ns_capable(user_ns, cap)` for this task.
    pub fn ns_capable(&self, user_ns: &Arc<UserNs>, cap: Capability) -> bool {
        ns_capable(&self.cred, user_ns, cap)
    }

    /// `capable(cap)`: the capability over the initial user namespace.
    pub fn capable(&self, cap: Capability) -> bool {
        self.cred.capable(cap)
    }

    /// `socket(2)` in `net`.
    pub fn socket(
        &self,
        net: &Arc<Net>,
        family: i32,
        sock_type: i32,
        protocol: i32,
    ) -> KResult<Socket> {
        sock_create(&self.families, net, self, family, sock_type, protocol, false)
    }
}
