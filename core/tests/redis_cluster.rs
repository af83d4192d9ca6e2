//! Redis Cluster readiness, against a real one-node cluster (`--cluster-enabled yes`, every
//! slot on this node). There Redis itself refuses a command or script whose keys are in
//! different slots (`CROSSSLOT`), so every store operation succeeding proves that each script
//! is given keys of one slot; `CLUSTER KEYSLOT` shows the budget's two keys share one. (That
//! scripts touch only the keys they are given is checked on their source, in
//! `store::redis::scripts`.) A cluster of several shards is another matter: this store's
//! client does not follow `MOVED` redirects (see README, "Which Redis deployments").
// Unix only: these start the machine's redis-server, which a Windows build under Wine cannot.
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use officernd_auth::{
    ClientSecret, ManualClock, RedisStore, RememberedRefusal, Scopes, SharedBudget, SlotGrant,
    StoreKey, StoredToken, TokenStore,
};
use officernd_auth_testkit::{RedisOptions, RedisServer};

fn keyslot(c: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query(c)
        .unwrap()
}

#[test]
fn every_store_operation_runs_on_a_redis_cluster_node() {
    let redis = RedisServer::start_with(RedisOptions {
        cluster: true,
        ..RedisOptions::default()
    });
    let mut raw = redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap();
    // The control: this node does refuse keys of two slots in one script.
    let refused = redis::cmd("EVAL")
        .arg("return 1")
        .arg(2)
        .arg("{a}x")
        .arg("{b}x")
        .query::<i64>(&mut raw)
        .unwrap_err();
    assert!(
        refused.to_string().to_lowercase().contains("crossslot"),
        "{refused}"
    );

    let store = RedisStore::new(&redis.url()).unwrap();
    let key = StoreKey::derive(
        "https://t/oauth/token",
        "id",
        &ClientSecret::new("s"),
        &Scopes::parse("a").unwrap(),
    );
    let now = SystemTime::now();
    let soon = Instant::now() + Duration::from_secs(5);
    let token = StoredToken {
        access_token: "cluster-token".into(),
        token_type: "Bearer".into(),
        scopes: vec!["a".into()],
        expires_at: now + HOUR,
        lifetime: HOUR,
    };
    assert!(
        store
            .put_if_newer(
                &key,
                &token,
                now,
                std::time::Instant::now() + std::time::Duration::from_secs(5)
            )
            .unwrap()
    );
    assert_eq!(
        store.get(&key, now, soon).unwrap().unwrap().access_token,
        "cluster-token"
    );
    let lock = store
        .lock(&key, MINUTE, Instant::now() + Duration::from_secs(1), soon)
        .unwrap()
        .expect("free lock");
    lock.release().unwrap();
    assert!(
        store
            .compare_delete(
                &key,
                "cluster-token",
                std::time::Instant::now() + std::time::Duration::from_secs(5)
            )
            .unwrap()
    );

    let credentials = StoreKey::credentials("https://t/oauth/token", "id");
    let SlotGrant::Granted(slot) = store
        .take_request_slot(
            &credentials,
            5,
            MINUTE,
            now,
            std::time::Instant::now() + std::time::Duration::from_secs(5),
        )
        .unwrap()
    else {
        panic!("first slot refused")
    };
    store
        .finish_request_slot(
            &credentials,
            slot,
            MINUTE,
            now,
            std::time::Instant::now() + std::time::Duration::from_secs(5),
        )
        .unwrap();
    store
        .start_cooldown(
            &credentials,
            Duration::from_secs(5),
            now,
            std::time::Instant::now() + std::time::Duration::from_secs(5),
        )
        .unwrap();
    assert!(matches!(
        store
            .take_request_slot(
                &credentials,
                5,
                MINUTE,
                now,
                std::time::Instant::now() + std::time::Duration::from_secs(5)
            )
            .unwrap(),
        SlotGrant::Wait { cooldown: true, .. }
    ));
    let refusal = RememberedRefusal {
        status: 401,
        error: "invalid_client".into(),
        error_description: None,
        error_uri: None,
    };
    store
        .remember_refusal(&key, &refusal, MINUTE, now, soon)
        .unwrap();
    assert_eq!(
        store
            .remembered_refusal(&key, now, soon)
            .unwrap()
            .unwrap()
            .0,
        refusal
    );

    // The budget's two keys (one script) share a slot; every key sits under the prefix.
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut raw).unwrap();
    let mut budget_slots = BTreeMap::new();
    for k in &keys {
        assert!(k.starts_with("officernd-auth:v2:"), "{k}");
        if k.contains(&format!("{{{credentials}}}")) {
            budget_slots.insert(k.clone(), keyslot(&mut raw, k));
        }
    }
    assert_eq!(budget_slots.len(), 2, "budget and cool-down: {keys:?}");
    let slots: Vec<_> = budget_slots.values().collect();
    assert_eq!(slots[0], slots[1], "{budget_slots:?}");

    // And a client shares its token through the cluster node like through any Redis.
    let server = mock();
    let clock = ManualClock::new();
    let store = Arc::new(store);
    let client = || {
        builder(&server, &clock)
            .share_cache(false)
            .store(store.clone() as Arc<dyn TokenStore>)
            .build()
            .unwrap()
    };
    let t = client().token().unwrap();
    assert_eq!(client().token().unwrap(), t);
    assert_eq!(server.token_requests(), 1);
}
