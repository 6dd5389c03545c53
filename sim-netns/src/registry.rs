//! The namespace registry (net/core/net_namespace.c): `init_net`,
//! `net_namespace_list`, the `pernet_list` of operations, `copy_net_ns`
//! (`setup_net`), `cleanup_net`, `register_pernet_subsys`/`_device` and the
//! `net_generic` id allocator.

use sim_core::lockdep::Mutex;
use sim_core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use sim_core::sync::{Arc, ConcurrentMap};
use sim_core::{Errno, KResult};

use crate::cred::{CAP_SYS_ADMIN, Cred, UserNs, cap_capable};
use crate::net::{Net, NetGenericId};
use crate::pernet::{GenericOps, PernetGeneric, PernetHandle, PernetOperations};
use crate::xfrm::XfrmNetOps;

/// `pernet_ops_rwsem`: held for writing while operations are registered
/// and for reading while a namespace is set up or cleaned up. Its class is
/// of mutex kind, so set-ups and clean-ups exclude each other too (see
/// docs/differences.md).
pub use sim_core::xfrm::locks::PERNET_OPS_RWSEM;

/// Name of the initial namespace.
pub const INIT_NET_NAME: &str = "init_net";

struct Registered {
    handle: PernetHandle,
    ops: Arc<dyn PernetOperations>,
    /// `ops->id` when the operations own a `net_generic` slot.
    generic: Option<u32>,
}

/// State under `pernet_ops_rwsem`.
struct Pernet {
    /// `pernet_list`, in order: subsystems first, then devices.
    list: Vec<Registered>,
    /// `first_device`: the number of subsystem entries at the front.
    first_device: usize,
    /// `net_namespace_list`, in creation order.
    nets: Vec<Arc<Net>>,
    /// `net_generic_ids` (ida): ids in use.
    generic_ids: Vec<u32>,
    next_handle: u64,
}

impl Pernet {
    /// `ida_alloc_min(&net_generic_ids, 1)`.
    fn alloc_generic_id(&mut self) -> u32 {
        let mut id = 1;
        while self.generic_ids.contains(&id) {
            id += 1;
        }
        self.generic_ids.push(id);
        id
    }
}

/// Runs the teardown of `ops` for `net`: `pre_exit`, `exit`, then frees its
/// generic data (`ops_free`).
fn ops_pre_exit(r: &Registered, net: &Net) {
    r.ops.pre_exit(net);
}

fn ops_exit(r: &Registered, net: &Net) {
    r.ops.exit(net);
}

fn ops_free(r: &Registered, net: &Net) {
    if let Some(id) = r.generic {
        net.assign_generic(id, None);
    }
}

/// Undoes `ops[..n]` for `net` in reverse order (`ops_undo_list`).
fn undo(ops: &[Registered], net: &Net) {
    ops.iter().rev().for_each(|r| ops_pre_exit(r, net));
    ops.iter().rev().for_each(|r| ops_exit(r, net));
    ops.iter().rev().for_each(|r| ops_free(r, net));
}

/// `setup_net()`: every operation's init in order; on a failure the ones
/// that succeeded are undone in reverse and the error returned.
fn setup_net(ops: &[Registered], net: &Net) -> KResult<()> {
    for (i, r) in ops.iter().enumerate() {
        if let Err(e) = r.ops.init(net) {
            undo(ops.get(..i).unwrap_or_default(), net);
            return Err(e);
        }
    }
    Ok(())
}

/// The set of network namespaces of one simulated kernel.
pub struct NetRegistry {
    init_user_ns: Arc<UserNs>,
    init_net: Arc<Net>,
    pernet: Mutex<Pernet>,
    by_id: ConcurrentMap<u64, Arc<Net>>,
    by_name: ConcurrentMap<String, Arc<Net>>,
    next_net_id: AtomicU64,
    next_user_ns_id: AtomicU32,
}

impl Default for NetRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl NetRegistry {
    /// Boot: `net_ns_init()` sets up `init_net` (owned by `init_user_ns`),
    /// then `xfrm_init()` registers `xfrm_net_ops`.
    pub fn new() -> Self {
        let init_user_ns = UserNs::init();
        let init_net = Arc::new(Net::alloc(1, INIT_NET_NAME.to_owned(), init_user_ns.clone()));
        let reg = NetRegistry {
            init_user_ns,
            init_net: init_net.clone(),
            pernet: Mutex::new(
                &PERNET_OPS_RWSEM,
                Pernet {
                    list: Vec::new(),
                    first_device: 0,
                    nets: vec![init_net.clone()],
                    generic_ids: Vec::new(),
                    next_handle: 1,
                },
            ),
            by_id: ConcurrentMap::new(),
            by_name: ConcurrentMap::new(),
            next_net_id: AtomicU64::new(2),
            next_user_ns_id: AtomicU32::new(1),
        };
        reg.by_id.insert(init_net.id(), init_net.clone());
        reg.by_name.insert(INIT_NET_NAME.to_owned(), init_net);
        // xfrm_net_ops cannot fail at boot: nothing in its init can.
        let _ = reg.register_pernet_subsys(sim_core::arc_dyn!(XfrmNetOps => dyn PernetOperations));
        reg
    }

    /// `init_net`.
    pub fn init_net(&self) -> &Arc<Net> {
        &self.init_net
    }

    /// `init_user_ns`.
    pub fn init_user_ns(&self) -> &Arc<UserNs> {
        &self.init_user_ns
    }

    /// `create_user_ns(cred)`: a child of the credential's user namespace,
    /// owned by its euid.
    pub fn create_user_ns(&self, cred: &Cred) -> KResult<Arc<UserNs>> {
        UserNs::create(cred, self.next_user_ns_id.fetch_add(1, Ordering::Relaxed))
    }

    /// `copy_net_ns(CLONE_NEWNET, user_ns, ..)`: a new namespace owned by
    /// `user_ns`, set up by every registered operation in order, then made
    /// visible. `EINVAL` for an empty name, `EEXIST` for a name in use (as
    /// `ip netns add` finds its mount point taken); an init failure is
    /// returned after the already-run inits were undone.
    pub fn create(&self, name: &str, user_ns: Arc<UserNs>) -> KResult<Arc<Net>> {
        if name.is_empty() {
            return Err(Errno::EINVAL);
        }
        let mut p = self.pernet.lock();
        if self.by_name.contains_key(&name.to_owned()) {
            return Err(Errno::EEXIST);
        }
        let id = self.next_net_id.fetch_add(1, Ordering::Relaxed);
        let net = Arc::new(Net::alloc(id, name.to_owned(), user_ns));
        setup_net(&p.list, &net)?;
        p.nets.push(net.clone());
        self.by_id.insert(id, net.clone());
        self.by_name.insert(name.to_owned(), net.clone());
        Ok(net)
    }

    /// `unshare(CLONE_NEWNET)` by a task with `cred`: needs `CAP_SYS_ADMIN`
    /// over its own user namespace (`EPERM`); the new namespace is owned by
    /// that user namespace.
    pub fn unshare_net(&self, cred: &Cred, name: &str) -> KResult<Arc<Net>> {
        cap_capable(cred, &cred.user_ns, CAP_SYS_ADMIN)?;
        self.create(name, cred.user_ns.clone())
    }

    /// `netns_install()` (setns): `CAP_SYS_ADMIN` over the target's owner
    /// and over the caller's own user namespace, else `EPERM`.
    pub fn setns_check(&self, cred: &Cred, net: &Net) -> KResult<()> {
        cap_capable(cred, net.user_ns(), CAP_SYS_ADMIN)?;
        cap_capable(cred, &cred.user_ns, CAP_SYS_ADMIN)
    }

    /// `cleanup_net()` for one namespace: unlink it so nobody finds it, then
    /// every operation's `pre_exit`, `exit` and free, each pass in reverse
    /// registration order. `ENOENT` if it is not (or no longer) registered;
    /// `EINVAL` for `init_net`, which is never destroyed.
    pub fn destroy(&self, net: &Arc<Net>) -> KResult<()> {
        if Arc::ptr_eq(net, &self.init_net) {
            return Err(Errno::EINVAL);
        }
        let mut p = self.pernet.lock();
        let pos = p.nets.iter().position(|n| Arc::ptr_eq(n, net)).ok_or(Errno::ENOENT)?;
        p.nets.remove(pos);
        self.by_id.remove(&net.id());
        self.by_name.remove(&net.name().to_owned());
        net.mark_dead();
        undo(&p.list, net);
        Ok(())
    }

    /// [`NetRegistry::destroy`] by name (`ip netns del NAME`).
    pub fn destroy_by_name(&self, name: &str) -> KResult<()> {
        let net = self.by_name(name).ok_or(Errno::ENOENT)?;
        self.destroy(&net)
    }

    /// The namespace with this id (`get_net_ns_by_id`'s role).
    pub fn get_by_id(&self, id: u64) -> Option<Arc<Net>> {
        self.by_id.get_cloned(&id)
    }

    /// The namespace with this name.
    pub fn by_name(&self, name: &str) -> Option<Arc<Net>> {
        self.by_name.get_cloned(&name.to_owned())
    }

    /// `for_each_net`: every live namespace in creation order.
    pub fn nets(&self) -> Vec<Arc<Net>> {
        self.pernet.lock().nets.clone()
    }

    /// Names of the registered operations in `pernet_list` order.
    pub fn pernet_ops_names(&self) -> Vec<&'static str> {
        self.pernet.lock().list.iter().map(|r| r.ops.name()).collect()
    }

    /// `__register_pernet_operations`: insert at `at`, init every existing
    /// namespace; on a failure undo the namespaces done so far, remove the
    /// operations and return the error.
    fn register_at(
        &self,
        p: &mut Pernet,
        at: usize,
        ops: Arc<dyn PernetOperations>,
        generic: Option<u32>,
    ) -> KResult<PernetHandle> {
        let handle = PernetHandle(p.next_handle);
        p.next_handle += 1;
        let reg = Registered { handle, ops, generic };
        for (i, net) in p.nets.iter().enumerate() {
            if let Err(e) = reg.ops.init(net) {
                let done = p.nets.get(..i).unwrap_or_default();
                done.iter().for_each(|n| ops_pre_exit(&reg, n));
                done.iter().for_each(|n| ops_exit(&reg, n));
                done.iter().for_each(|n| ops_free(&reg, n));
                return Err(e);
            }
        }
        let at = at.min(p.list.len());
        p.list.insert(at, reg);
        Ok(handle)
    }

    /// `register_pernet_subsys(ops)`: placed after the other subsystems and
    /// before every device, so its init runs before the devices' and its
    /// exit after theirs.
    pub fn register_pernet_subsys(&self, ops: Arc<dyn PernetOperations>) -> KResult<PernetHandle> {
        let mut p = self.pernet.lock();
        let at = p.first_device;
        let h = self.register_at(&mut p, at, ops, None)?;
        p.first_device += 1;
        Ok(h)
    }

    /// `register_pernet_device(ops)`: appended at the end of the list.
    pub fn register_pernet_device(&self, ops: Arc<dyn PernetOperations>) -> KResult<PernetHandle> {
        let mut p = self.pernet.lock();
        let at = p.list.len();
        self.register_at(&mut p, at, ops, None)
    }

    /// `register_pernet_subsys` of operations with `.id`/`.size`: allocates
    /// the `net_generic` id, then registers as a subsystem. The id is freed
    /// again if registration fails.
    pub fn register_pernet_generic<P: PernetGeneric>(
        &self,
        ops: P,
    ) -> KResult<(PernetHandle, NetGenericId<P::Data>)> {
        let mut p = self.pernet.lock();
        let id = p.alloc_generic_id();
        let gid = NetGenericId::new(id);
        let at = p.first_device;
        match self.register_at(
            &mut p,
            at,
            sim_core::arc_dyn!(GenericOps { ops, id: gid } => dyn PernetOperations),
            Some(id),
        ) {
            Ok(h) => {
                p.first_device += 1;
                Ok((h, gid))
            }
            Err(e) => {
                p.generic_ids.retain(|&x| x != id);
                Err(e)
            }
        }
    }

    /// `unregister_pernet_subsys`/`_device`: removes the operations and runs
    /// their `pre_exit`, `exit` and free for every namespace; the generic id
    /// is released. `ENOENT` for an unknown handle.
    pub fn unregister_pernet(&self, handle: PernetHandle) -> KResult<()> {
        let mut p = self.pernet.lock();
        let pos = p.list.iter().position(|r| r.handle == handle).ok_or(Errno::ENOENT)?;
        let r = p.list.remove(pos);
        if pos < p.first_device {
            p.first_device -= 1;
        }
        p.nets.iter().for_each(|n| ops_pre_exit(&r, n));
        p.nets.iter().for_each(|n| ops_exit(&r, n));
        p.nets.iter().for_each(|n| ops_free(&r, n));
        if let Some(id) = r.generic {
            p.generic_ids.retain(|&x| x != id);
        }
        Ok(())
    }
}
