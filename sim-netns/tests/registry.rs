//! Namespace registry: pernet operation order, failure undo, net_generic
//! slots, credentials, sysctls.

use sim_core::lockdep;
use sim_core::sync::{Arc, Mutex};
use sim_core::{Errno, KResult};
use sim_netns::cred::CAP_NET_ADMIN;
use sim_netns::{Cred, Net, NetRegistry, PernetGeneric, PernetOperations};

type Log = Arc<Mutex<Vec<String>>>;

struct Recorder {
    name: &'static str,
    log: Log,
    /// Fail `init` for the namespace with this name.
    fail_for: Option<&'static str>,
}

impl PernetOperations for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }
    fn init(&self, net: &Net) -> KResult<()> {
        if self.fail_for == Some(net.name()) {
            self.log.lock().push(format!("init-fail {} {}", self.name, net.name()));
            return Err(Errno::ENOMEM);
        }
        self.log.lock().push(format!("init {} {}", self.name, net.name()));
        Ok(())
    }
    fn pre_exit(&self, net: &Net) {
        self.log.lock().push(format!("pre_exit {} {}", self.name, net.name()));
    }
    fn exit(&self, net: &Net) {
        self.log.lock().push(format!("exit {} {}", self.name, net.name()));
    }
}

fn rec(name: &'static str, log: &Log) -> Arc<Recorder> {
    Arc::new(Recorder { name, log: log.clone(), fail_for: None })
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock())
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn init_net_exists_with_xfrm_defaults() {
    let reg = NetRegistry::new();
    let net = reg.init_net();
    assert_eq!(net.id(), 1);
    assert_eq!(net.name(), "init_net");
    assert!(net.user_ns().is_init());
    assert!(net.is_alive());
    assert_eq!(net.xfrm.aevent_etime(), 10);
    assert_eq!(net.xfrm.aevent_rseqth(), 2);
    assert_eq!(net.xfrm.larval_drop(), 1);
    assert_eq!(net.xfrm.acq_expires(), 30);
    assert_eq!(net.sysctl_read("net/core/xfrm_aevent_etime").as_deref(), Ok("10\n"));
    assert_eq!(net.sysctl_read("net.core.xfrm_aevent_rseqth").as_deref(), Ok("2\n"));
    assert_eq!(net.sysctl_read("net.core.xfrm_larval_drop").as_deref(), Ok("1\n"));
    assert_eq!(net.sysctl_read("net.core.xfrm_acq_expires").as_deref(), Ok("30\n"));
    assert_eq!(net.sysctl_read("net.core.nope"), Err(Errno::ENOENT));
    for d in 0..3 {
        assert_eq!(net.xfrm.policy_default(d), Some(sim_netns::xfrm::XFRM_USERPOLICY_ACCEPT));
    }
    assert_eq!(net.xfrm.policy_default(3), None);
    assert_eq!(reg.pernet_ops_names(), vec!["xfrm_net_ops"]);
    assert_eq!(reg.by_name("init_net").map(|n| n.id()), Some(1));
    assert_eq!(reg.get_by_id(1).map(|n| n.name().to_owned()).as_deref(), Some("init_net"));
}

#[test]
fn pernet_ops_run_in_registration_order_and_exit_in_reverse() {
    let reg = NetRegistry::new();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    reg.register_pernet_subsys(rec("a", &log)).unwrap();
    // init runs for every existing namespace at registration.
    assert_eq!(take(&log), s(&["init a init_net"]));
    reg.register_pernet_device(rec("dev", &log)).unwrap();
    reg.register_pernet_subsys(rec("b", &log)).unwrap();
    take(&log);
    // Subsystems stay in front of devices.
    assert_eq!(reg.pernet_ops_names(), vec!["xfrm_net_ops", "a", "b", "dev"]);

    let n1 = reg.create("n1", reg.init_user_ns().clone()).unwrap();
    assert_eq!(take(&log), s(&["init a n1", "init b n1", "init dev n1"]));
    reg.destroy(&n1).unwrap();
    assert!(!n1.is_alive());
    assert_eq!(
        take(&log),
        s(&[
            "pre_exit dev n1",
            "pre_exit b n1",
            "pre_exit a n1",
            "exit dev n1",
            "exit b n1",
            "exit a n1"
        ])
    );
    assert!(reg.by_name("n1").is_none());
    assert!(reg.get_by_id(n1.id()).is_none());
    assert_eq!(reg.destroy(&n1), Err(Errno::ENOENT));
}

#[test]
fn failed_init_undoes_the_namespace() {
    let reg = NetRegistry::new();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    reg.register_pernet_subsys(rec("a", &log)).unwrap();
    reg.register_pernet_subsys(Arc::new(Recorder {
        name: "b",
        log: log.clone(),
        fail_for: Some("bad"),
    }))
    .unwrap();
    reg.register_pernet_subsys(rec("c", &log)).unwrap();
    take(&log);
    assert_eq!(reg.create("bad", reg.init_user_ns().clone()).err(), Some(Errno::ENOMEM));
    assert_eq!(take(&log), s(&["init a bad", "init-fail b bad", "pre_exit a bad", "exit a bad"]));
    assert!(reg.by_name("bad").is_none());
    assert_eq!(reg.nets().len(), 1);
}

#[test]
fn failed_registration_undoes_the_namespaces_done() {
    let reg = NetRegistry::new();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    reg.create("ok", reg.init_user_ns().clone()).unwrap();
    reg.create("bad", reg.init_user_ns().clone()).unwrap();
    let r = reg.register_pernet_subsys(Arc::new(Recorder {
        name: "x",
        log: log.clone(),
        fail_for: Some("bad"),
    }));
    assert_eq!(r.err(), Some(Errno::ENOMEM));
    assert_eq!(
        take(&log),
        s(&[
            "init x init_net",
            "init x ok",
            "init-fail x bad",
            "pre_exit x init_net",
            "pre_exit x ok",
            "exit x init_net",
            "exit x ok"
        ])
    );
    assert_eq!(reg.pernet_ops_names(), vec!["xfrm_net_ops"]);
    // Later namespaces do not see the failed operations.
    reg.create("later", reg.init_user_ns().clone()).unwrap();
    assert!(take(&log).is_empty());
}

#[test]
fn unregister_runs_exit_everywhere() {
    let reg = NetRegistry::new();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    reg.create("n1", reg.init_user_ns().clone()).unwrap();
    let h = reg.register_pernet_device(rec("d", &log)).unwrap();
    take(&log);
    reg.unregister_pernet(h).unwrap();
    assert_eq!(
        take(&log),
        s(&["pre_exit d init_net", "pre_exit d n1", "exit d init_net", "exit d n1"])
    );
    assert_eq!(reg.unregister_pernet(h), Err(Errno::ENOENT));
    reg.create("n2", reg.init_user_ns().clone()).unwrap();
    assert!(take(&log).is_empty());
}

#[test]
fn create_and_destroy_errors() {
    let reg = NetRegistry::new();
    let ns = reg.init_user_ns().clone();
    assert_eq!(reg.create("", ns.clone()).err(), Some(Errno::EINVAL));
    reg.create("a", ns.clone()).unwrap();
    assert_eq!(reg.create("a", ns.clone()).err(), Some(Errno::EEXIST));
    assert_eq!(reg.create("init_net", ns.clone()).err(), Some(Errno::EEXIST));
    assert_eq!(reg.destroy(&reg.init_net().clone()), Err(Errno::EINVAL));
    assert_eq!(reg.destroy_by_name("zz"), Err(Errno::ENOENT));
    reg.destroy_by_name("a").unwrap();
    // The name is free again; the id is not reused.
    let a2 = reg.create("a", ns).unwrap();
    assert_eq!(a2.id(), 3);
    let names: Vec<String> = reg.nets().iter().map(|n| n.name().to_owned()).collect();
    assert_eq!(names, vec!["init_net", "a"]);
}

struct Counter {
    log: Log,
}

struct PerNetData {
    owner: String,
}

impl PernetGeneric for Counter {
    type Data = PerNetData;
    fn name(&self) -> &'static str {
        "counter"
    }
    fn init(&self, net: &Net) -> KResult<PerNetData> {
        Ok(PerNetData { owner: net.name().to_owned() })
    }
    fn exit(&self, net: &Net, data: &PerNetData) {
        self.log.lock().push(format!("exit {} data {}", net.name(), data.owner));
    }
}

#[test]
fn net_generic_slots_are_per_namespace() {
    let reg = NetRegistry::new();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let (h, id) = reg.register_pernet_generic(Counter { log: log.clone() }).unwrap();
    assert_eq!(id.id(), 1);
    let n1 = reg.create("n1", reg.init_user_ns().clone()).unwrap();
    let d0 = reg.init_net().generic(id).unwrap();
    let d1 = n1.generic(id).unwrap();
    assert_eq!(d0.owner, "init_net");
    assert_eq!(d1.owner, "n1");
    assert!(!Arc::ptr_eq(&d0, &d1));
    // The data is reachable in exit and freed afterwards.
    reg.destroy(&n1).unwrap();
    assert_eq!(take(&log), s(&["exit n1 data n1"]));
    assert!(n1.generic(id).is_none());
    // A second generic subsystem takes the next id; after unregistering the
    // first, its id is reused.
    let (_h2, id2) = reg.register_pernet_generic(Counter { log: log.clone() }).unwrap();
    assert_eq!(id2.id(), 2);
    reg.unregister_pernet(h).unwrap();
    assert!(reg.init_net().generic(id).is_none());
    assert!(reg.init_net().generic(id2).is_some());
    let (_h3, id3) = reg.register_pernet_generic(Counter { log }).unwrap();
    assert_eq!(id3.id(), 1);
}

#[test]
fn unshare_needs_cap_sys_admin_and_sets_the_owner() {
    let reg = NetRegistry::new();
    let user = Cred::user(1000, reg.init_user_ns().clone());
    assert_eq!(reg.unshare_net(&user, "x").err(), Some(Errno::EPERM));
    // unshare(CLONE_NEWUSER | CLONE_NEWNET): the user is root of its new
    // user namespace, which owns the new network namespace.
    let userns = reg.create_user_ns(&user).unwrap();
    let inside = user.in_user_ns(userns.clone());
    let net = reg.unshare_net(&inside, "x").unwrap();
    assert!(Arc::ptr_eq(net.user_ns(), &userns));
    assert_eq!(net.ns_capable(&inside, CAP_NET_ADMIN), Ok(()));
    assert_eq!(reg.init_net().ns_capable(&inside, CAP_NET_ADMIN), Err(Errno::EPERM));
    assert_eq!(reg.setns_check(&inside, reg.init_net()), Err(Errno::EPERM));
    assert_eq!(reg.setns_check(&inside, &net), Ok(()));
    // The creator, outside, owns the user namespace.
    assert_eq!(net.ns_capable(&user, CAP_NET_ADMIN), Ok(()));
    // The XFRM sysctls are not visible there, but the values exist.
    assert_eq!(net.sysctl_read("net/core/xfrm_acq_expires"), Err(Errno::ENOENT));
    assert_eq!(net.sysctl_write(&inside, "net/core/xfrm_acq_expires", "5"), Err(Errno::ENOENT));
    assert!(net.sysctls().list().is_empty());
    assert_eq!(net.xfrm.acq_expires(), 30);
}

#[test]
fn sysctl_writes_need_privilege_and_stay_in_their_namespace() {
    let reg = NetRegistry::new();
    let root = Cred::root(reg.init_user_ns().clone());
    let user = Cred::user(1000, reg.init_user_ns().clone());
    let n1 = reg.create("n1", reg.init_user_ns().clone()).unwrap();
    assert_eq!(
        n1.sysctls().list(),
        vec![
            "net/core/xfrm_aevent_etime",
            "net/core/xfrm_aevent_rseqth",
            "net/core/xfrm_larval_drop",
            "net/core/xfrm_acq_expires"
        ]
    );
    assert_eq!(n1.sysctl_write(&user, "net/core/xfrm_larval_drop", "0\n"), Err(Errno::EACCES));
    assert_eq!(n1.sysctl_write(&root, "net/core/xfrm_larval_drop", "x"), Err(Errno::EINVAL));
    assert_eq!(
        n1.sysctl_write(&root, "net/core/xfrm_larval_drop", "99999999999"),
        Err(Errno::EINVAL)
    );
    assert_eq!(n1.sysctl_write(&root, "net/core/xfrm_larval_drop", "0\n"), Ok(2));
    assert_eq!(n1.xfrm.larval_drop(), 0);
    assert_eq!(reg.init_net().xfrm.larval_drop(), 1);
    // proc_dointvec stores the int; the u32 readers see it reinterpreted.
    n1.sysctl_write(&root, "net.core.xfrm_acq_expires", "-1").unwrap();
    assert_eq!(n1.xfrm.acq_expires(), u32::MAX);
    assert_eq!(n1.sysctl_read("net.core.xfrm_acq_expires").as_deref(), Ok("-1\n"));
    // A capability-only credential (not uid 0) may write too.
    let admin =
        Cred::new(1000, sim_netns::KernelCap::of(&[CAP_NET_ADMIN]), reg.init_user_ns().clone());
    assert_eq!(n1.sysctl_write(&admin, "net/core/xfrm_aevent_etime", "20"), Ok(2));
    assert_eq!(n1.xfrm.aevent_etime(), 20);
    // Teardown unregisters the table.
    reg.destroy(&n1).unwrap();
    assert_eq!(n1.sysctl_read("net/core/xfrm_aevent_etime"), Err(Errno::ENOENT));
}

#[test]
fn lockdep_reports_nothing() {
    let reg = NetRegistry::new();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    reg.register_pernet_subsys(rec("a", &log)).unwrap();
    for i in 0..4 {
        let n = reg.create(&format!("n{i}"), reg.init_user_ns().clone()).unwrap();
        let _cfg = n.xfrm.xfrm_cfg_mutex.lock();
        drop(_cfg);
        reg.destroy(&n).unwrap();
    }
    lockdep::assert_no_reports();
}
