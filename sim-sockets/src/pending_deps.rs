//! A minimal private stand-in for `sim-netns`, written against the names
//! it publishes. This module is deleted once it is available.

#![allow(dead_code)]

pub mod netns {
    //! Stand-in for `sim-netns`: `Net`, the registry, user namespaces,
    //! credentials and capabilities.
    use sim_core::sync::atomic::{AtomicU64, Ordering};
    use sim_core::sync::{Arc, Mutex};

    /// `CAP_NET_BROADCAST`.
    pub const CAP_NET_BROADCAST: u32 = 11;
    /// `CAP_NET_ADMIN`.
    pub const CAP_NET_ADMIN: u32 = 12;

    /// `struct user_namespace`.
    pub struct UserNs {
        pub parent: Option<Arc<UserNs>>,
        pub owner: u32,
    }

    impl UserNs {
        pub fn init() -> Arc<UserNs> {
            Arc::new(UserNs { parent: None, owner: 0 })
        }
    }

    /// `struct cred`: ids, effective capabilities and user namespace.
    #[derive(Clone)]
    pub struct Cred {
        pub uid: u32,
        pub gid: u32,
        pub cap_effective: u64,
        pub user_ns: Arc<UserNs>,
    }

    impl Cred {
        /// `cap_capable()` / `ns_capable()`: the capability over `target`.
        pub fn ns_capable(&self, target: &Arc<UserNs>, cap: u32) -> bool {
            let mut ns = Some(target.clone());
            while let Some(n) = ns {
                if Arc::ptr_eq(&n, &self.user_ns) {
                    return self.cap_effective & (1u64 << cap) != 0;
                }
                if let Some(p) = &n.parent
                    && Arc::ptr_eq(p, &self.user_ns)
                    && n.owner == self.uid
                {
                    return true;
                }
                ns = n.parent.clone();
            }
            false
        }
    }

    /// `struct net`.
    pub struct Net {
        id: u64,
        user_ns: Arc<UserNs>,
    }

    impl Net {
        pub fn id(&self) -> u64 {
            self.id
        }
        pub fn user_ns(&self) -> &Arc<UserNs> {
            &self.user_ns
        }
    }

    /// The namespace registry (`net_namespace_list`).
    pub struct NetRegistry {
        next: AtomicU64,
        nets: Mutex<Vec<Arc<Net>>>,
        init: Arc<Net>,
    }

    impl NetRegistry {
        pub fn new(user_ns: Arc<UserNs>) -> Self {
            let init = Arc::new(Net { id: 1, user_ns });
            NetRegistry { next: AtomicU64::new(2), nets: Mutex::new(vec![init.clone()]), init }
        }
        pub fn init_net(&self) -> &Arc<Net> {
            &self.init
        }
        pub fn create(&self, user_ns: Arc<UserNs>) -> Arc<Net> {
            let net = Arc::new(Net { id: self.next.fetch_add(1, Ordering::SeqCst), user_ns });
            self.nets.lock().push(net.clone());
            net
        }
        pub fn remove(&self, net: &Arc<Net>) -> bool {
            let mut v = self.nets.lock();
            let before = v.len();
            v.retain(|n| !Arc::ptr_eq(n, net));
            before != v.len()
        }
        pub fn all(&self) -> Vec<Arc<Net>> {
            self.nets.lock().clone()
        }
    }
}
