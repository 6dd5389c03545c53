//! The top-level handle: one simulated kernel with its namespaces, clock,
//! random generator, protocol families, netlink tables and tasks. Tests,
//! labs and the command line start here.

use std::collections::HashMap;
use std::time::Duration;

use sim_core::sync::atomic::{AtomicI32, Ordering};
use sim_core::sync::{Arc, Mutex};
use sim_core::{KResult, KernelRng};

use crate::netlink::af_netlink::{
    NetlinkCore, NetlinkFamily, NetlinkKernelCfg, NetlinkSock, netlink_kernel_create,
    netlink_kernel_release,
};
use crate::socket::{NetFamilies, NetProtoFamily, Task};
use sim_core::time::Clock;
use sim_netns::{CAP_NET_ADMIN, Capability, Cred, KernelCap, Net, NetRegistry, UserNs};

/// Which clock a kernel runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClockChoice {
    /// Time moves only when the user advances it (tests, labs, replay).
    #[default]
    Virtual,
    /// Wall-clock time (interactive use).
    Real,
}

/// How to build a [`Kernel`].
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelConfig {
    /// Seed of the kernel's random generator (port ids, SPIs, hash seeds).
    pub seed: u64,
    /// The clock.
    pub clock: ClockChoice,
}

/// Builds a protocol's kernel-socket configuration for one namespace
/// (what a protocol's pernet `init` passes to `netlink_kernel_create`).
pub type NetlinkPernetInit = Arc<PernetInit>;

type PernetInitBox = Box<dyn Fn(&Kernel, &Arc<Net>) -> NetlinkKernelCfg + Send + Sync>;

/// A protocol's pernet `init` (boxed so it can live behind the facade's
/// `Arc`).
pub struct PernetInit(PernetInitBox);

struct NetlinkPernet {
    unit: i32,
    init: NetlinkPernetInit,
}

struct KernelInner {
    rng: KernelRng,
    clock: Clock,
    nets: NetRegistry,
    families: Arc<NetFamilies>,
    netlink: Arc<NetlinkCore>,
    /// `pernet_list` for netlink protocols, in registration order.
    pernet: Mutex<Vec<NetlinkPernet>>,
    /// Kernel sockets created by pernet init, by (namespace, unit).
    ksocks: Mutex<HashMap<(u64, i32), Arc<NetlinkSock>>>,
    next_pid: AtomicI32,
    next_net: AtomicI32,
    /// Every task spawned (the task list).
    tasks: Mutex<Vec<Arc<Task>>>,
}

impl Drop for KernelInner {
    /// Shutting the kernel down releases the kernel sockets (they are bound
    /// in the netlink tables, which they point back to).
    fn drop(&mut self) {
        let socks: Vec<Arc<NetlinkSock>> = self.ksocks.lock().drain().map(|(_, s)| s).collect();
        for ksk in socks {
            netlink_kernel_release(&ksk);
        }
    }
}

/// One simulated kernel (`start_kernel()` onwards): the namespace
/// registry, the clock, the seeded generator, `net_families[]`,
/// `nl_table[]` and the tasks. Cheap to clone (a shared handle).
#[derive(Clone)]
pub struct Kernel {
    inner: Arc<KernelInner>,
}

impl Kernel {
    /// Boots a kernel: the initial namespaces and `PF_NETLINK`.
    pub fn new(cfg: KernelConfig) -> Kernel {
        let rng = KernelRng::from_seed(cfg.seed);
        let netlink = NetlinkCore::new(rng.clone());
        let families = Arc::new(NetFamilies::default());
        let _ = families.sock_register(Box::new(NetlinkFamily::new(netlink.clone())));
        let clock = match cfg.clock {
            ClockChoice::Virtual => Clock::new_virtual(),
            ClockChoice::Real => Clock::new_real(),
        };
        Kernel {
            inner: Arc::new(KernelInner {
                rng,
                clock,
                nets: NetRegistry::new(),
                families,
                netlink,
                pernet: Mutex::new(Vec::new()),
                ksocks: Mutex::new(HashMap::new()),
                next_pid: AtomicI32::new(1000),
                next_net: AtomicI32::new(1),
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A kernel on the virtual clock with `seed`.
    pub fn with_seed(seed: u64) -> Kernel {
        Kernel::new(KernelConfig { seed, clock: ClockChoice::Virtual })
    }

    /// The kernel's random generator.
    pub fn rng(&self) -> &KernelRng {
        &self.inner.rng
    }

    /// The kernel's clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Advances the virtual clock.
    pub fn advance(&self, d: Duration) {
        self.inner.clock.advance(d);
    }

    /// `init_user_ns`.
    pub fn init_user_ns(&self) -> &Arc<UserNs> {
        self.inner.nets.init_user_ns()
    }

    /// The namespace registry.
    pub fn nets(&self) -> &NetRegistry {
        &self.inner.nets
    }

    /// `init_net`.
    pub fn init_net(&self) -> Arc<Net> {
        self.inner.nets.init_net().clone()
    }

    /// `net_families[]`: where `PF_KEY` registers.
    pub fn families(&self) -> &Arc<NetFamilies> {
        &self.inner.families
    }

    /// `sock_register()`.
    pub fn sock_register(&self, family: Box<dyn NetProtoFamily>) -> KResult<()> {
        self.inner.families.sock_register(family)
    }

    /// The netlink tables.
    pub fn netlink(&self) -> &Arc<NetlinkCore> {
        &self.inner.netlink
    }

    /// `copy_net_ns()`: a new namespace owned by the initial user
    /// namespace; pernet init runs for every registered protocol.
    pub fn create_net(&self) -> KResult<Arc<Net>> {
        let name = format!("net{}", self.inner.next_net.fetch_add(1, Ordering::Relaxed));
        self.create_net_in(&name, self.init_user_ns().clone())
    }

    /// A new namespace called `name` owned by `user_ns` (`EEXIST` for a
    /// name in use). The registry's pernet operations run first, then the
    /// netlink protocols' (`xfrm_user_net_init` comes after
    /// `xfrm_net_init` in Linux too).
    pub fn create_net_in(&self, name: &str, user_ns: Arc<UserNs>) -> KResult<Arc<Net>> {
        let net = self.inner.nets.create(name, user_ns)?;
        let inits: Vec<(i32, NetlinkPernetInit)> =
            self.inner.pernet.lock().iter().map(|p| (p.unit, p.init.clone())).collect();
        for (unit, init) in inits {
            self.pernet_init_one(&net, unit, &init)?;
        }
        Ok(net)
    }

    /// `cleanup_net()`: pernet exit in reverse order releases the
    /// namespace's kernel sockets; the namespace leaves the registry.
    pub fn destroy_net(&self, net: &Arc<Net>) -> KResult<()> {
        let units: Vec<i32> = self.inner.pernet.lock().iter().rev().map(|p| p.unit).collect();
        for unit in units {
            let k = self.inner.ksocks.lock().remove(&(net.id(), unit));
            if let Some(ksk) = k {
                netlink_kernel_release(&ksk);
            }
        }
        self.inner.nets.destroy(net)
    }

    /// `create_user_ns()` by a task with `cred`.
    pub fn create_user_ns(&self, cred: &Cred) -> KResult<Arc<UserNs>> {
        self.inner.nets.create_user_ns(cred)
    }

    fn pernet_init_one(&self, net: &Arc<Net>, unit: i32, init: &NetlinkPernetInit) -> KResult<()> {
        let cfg = (init.0)(self, net);
        let ksk = netlink_kernel_create(&self.inner.netlink, net, unit, cfg)?;
        self.inner.ksocks.lock().insert((net.id(), unit), ksk);
        Ok(())
    }

    /// `register_pernet_subsys()` for a netlink protocol: `init` builds the
    /// kernel socket's configuration (its input function is the hook where
    /// the protocol's handlers plug in); a kernel socket is created in every
    /// existing namespace now and in every later one.
    pub fn register_netlink_protocol(
        &self,
        unit: i32,
        init: impl Fn(&Kernel, &Arc<Net>) -> NetlinkKernelCfg + Send + Sync + 'static,
    ) -> KResult<()> {
        let init: NetlinkPernetInit = Arc::new(PernetInit(Box::new(init)));
        for net in self.inner.nets.nets() {
            self.pernet_init_one(&net, unit, &init)?;
        }
        self.inner.pernet.lock().push(NetlinkPernet { unit, init });
        Ok(())
    }

    /// The kernel socket of `unit` in `net`.
    pub fn netlink_kernel_sock(&self, net: &Net, unit: i32) -> Option<Arc<NetlinkSock>> {
        self.inner.ksocks.lock().get(&(net.id(), unit)).cloned()
    }

    /// Root's credentials: every capability over the initial user namespace.
    pub fn root_cred(&self) -> Arc<Cred> {
        Arc::new(Cred::root(self.init_user_ns().clone()))
    }

    /// Credentials of a user without capabilities.
    pub fn user_cred(&self, uid: u32) -> Arc<Cred> {
        Arc::new(Cred::user(uid, self.init_user_ns().clone()))
    }

    /// Root without `CAP_NET_ADMIN` (as `setpriv --bounding-set=-net_admin`).
    pub fn root_cred_without_net_admin(&self) -> Arc<Cred> {
        let caps = KernelCap::FULL.without(CAP_NET_ADMIN);
        Arc::new(Cred::new(0, caps, self.init_user_ns().clone()))
    }

    /// A cred with only `caps`, in the initial user namespace.
    pub fn cred_with_caps(&self, uid: u32, caps: &[Capability]) -> Arc<Cred> {
        Arc::new(Cred::new(uid, KernelCap::of(caps), self.init_user_ns().clone()))
    }

    /// A new process with `cred` and the next free pid.
    pub fn spawn_task(&self, cred: Arc<Cred>) -> Arc<Task> {
        let pid = self.inner.next_pid.fetch_add(1, Ordering::Relaxed);
        let task = Arc::new(Task::new(pid, cred, self.inner.families.clone()));
        self.inner.tasks.lock().push(task.clone());
        task
    }

    /// `find_task_by_vpid()`.
    pub fn find_task(&self, pid: i32) -> Option<Arc<Task>> {
        self.inner.tasks.lock().iter().find(|t| t.tgid() == pid).cloned()
    }

    /// Every task spawned so far.
    pub fn tasks(&self) -> Vec<Arc<Task>> {
        self.inner.tasks.lock().clone()
    }

    /// A new root process.
    pub fn root_task(&self) -> Arc<Task> {
        self.spawn_task(self.root_cred())
    }
}
