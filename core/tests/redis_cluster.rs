//! Redis Cluster readiness, against a real one-node cluster (`--cluster-enabled yes`, every
//! slot on this node). There Redis itself refuses a command or script whose keys are in
//! different slots (`CROSSSLOT`), so every store operation succeeding proves that each script
//! is given keys of one slot; `CLUSTER KEYSLOT` shows that every key of one credentials (its
//! configurations' tokens, fetch locks and refusals, its budget and cool-down) is in one slot.
//! (That scripts touch only the keys they are given is checked on their source, in
//! `store::redis::scripts`.) A cluster of several shards is another matter: this store's
//! client does not follow `MOVED` redirects (see README, "Which Redis deployments").
// Unix only: these start the machine's redis-server, which a Windows build under Wine cannot.
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::collections::{BTreeMap, BTreeSet};
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

    // Every key left (budget, cool-down, refusal) is under the credentials' hash tag, in one
    // slot.
    assert_eq!(key.credentials_hash(), credentials);
    let keys = scan(&mut raw);
    let slots: BTreeMap<_, _> = keys.iter().map(|k| (k, keyslot(&mut raw, k))).collect();
    assert_eq!(slots.len(), 3, "budget, cool-down, refusal: {keys:?}");
    for (k, slot) in &slots {
        assert!(
            k.starts_with(&format!("officernd-auth:v2:{{{credentials}}}:")),
            "{k}"
        );
        assert_eq!(*slot, keyslot(&mut raw, &credentials), "{slots:?}");
    }

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

/// Every key in the node's keyspace (`SCAN`, as an operator would list them; `KEYS` blocks).
fn scan(c: &mut redis::Connection) -> Vec<String> {
    let mut keys = vec![];
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query(c)
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

/// The whole life of one credentials' tokens on a cluster node, through `TokenClient`s as a fleet
/// runs them: a fetch (under the fetch lock), a second host adopting the token, an invalidation
/// and the next fetch, a refused secret remembered for the next host, a 429 cool-down shared
/// with the next host. Every key the store wrote on the way — seen by `SCAN` during and after
/// each step — is in one slot (`CLUSTER KEYSLOT`), the slot of the credentials' hash tag.
#[test]
fn one_credentials_lives_in_one_cluster_slot() {
    let redis = RedisServer::start_with(RedisOptions {
        cluster: true,
        ..RedisOptions::default()
    });
    let mut raw = redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let store = Arc::new(RedisStore::new(&redis.url()).unwrap());
    let server = mock();
    let clock = ManualClock::new();
    let host = |b: officernd_auth::TokenClientBuilder| {
        b.share_cache(false)
            .store(store.clone() as Arc<dyn TokenStore>)
            .build()
            .unwrap()
    };
    let mut seen = BTreeSet::new();

    // A fetch, slowed so that its fetch lock can be seen in Redis while it is held.
    server.push_fault(Fault::Delay(Duration::from_millis(1500)));
    let first = {
        let fetching = std::thread::spawn({
            let a = host(builder(&server, &clock));
            move || (a.token().unwrap(), a)
        });
        while !fetching.is_finished() {
            seen.extend(scan(&mut raw));
            std::thread::sleep(Duration::from_millis(5));
        }
        fetching.join().unwrap()
    };
    let (t, a) = first;
    seen.extend(scan(&mut raw));
    assert!(
        seen.iter().any(|k| k.contains(":lock:")),
        "the fetch lock was seen: {seen:?}"
    );

    // Another host adopts it.
    assert_eq!(host(builder(&server, &clock)).token().unwrap(), t);
    assert_eq!(server.token_requests(), 1, "adopted from the cluster node");

    // Invalidated: gone from Redis, and the next host fetches a new one.
    assert!(a.invalidate(&t));
    assert!(
        !scan(&mut raw).iter().any(|k| k.contains(":token:")),
        "the invalidated token left Redis"
    );
    let t2 = host(builder(&server, &clock)).token().unwrap();
    assert_ne!(t2, t);
    assert_eq!(server.token_requests(), 2);
    seen.extend(scan(&mut raw));

    // A refused secret (same credentials, another configuration) is remembered for every host.
    let refused = host(builder(&server, &clock).client_secret("not-the-secret"))
        .token()
        .unwrap_err();
    assert_eq!(refused.oauth_error(), Some("invalid_client"), "{refused}");
    let again = host(builder(&server, &clock).client_secret("not-the-secret"))
        .token()
        .unwrap_err();
    assert_eq!(again, refused);
    assert_eq!(server.token_requests(), 3, "the refusal was remembered");
    seen.extend(scan(&mut raw));

    // A 429 (other scopes, same credentials) cools every host of the credentials down.
    server.push_fault(Fault::TooManyRequests {
        retry_after: Some("30".into()),
    });
    let other_scopes = || builder(&server, &clock).scopes(["officernd.api.read"]);
    let e = host(other_scopes()).token().unwrap_err();
    assert_eq!((e.code(), e.status()), ("rate_limited", Some(429)), "{e}");
    let e = host(other_scopes()).token().unwrap_err();
    assert_eq!(e.code(), "rate_limited", "{e}");
    assert_eq!(server.token_requests(), 4, "cool-down shared: nothing sent");
    seen.extend(scan(&mut raw));

    // Every key written, of every kind, in the slot of the credentials' hash tag.
    let credentials = StoreKey::derive(
        &token_url(&server),
        DEMO_CLIENT_ID,
        &ClientSecret::new(DEMO_CLIENT_SECRET),
        &Scopes::default(),
    )
    .credentials_hash()
    .to_owned();
    let tag_slot = keyslot(&mut raw, &credentials);
    let mut kinds = BTreeSet::new();
    for k in &seen {
        assert!(
            k.starts_with(&format!("officernd-auth:v2:{{{credentials}}}:")),
            "{k}"
        );
        assert_eq!(keyslot(&mut raw, k), tag_slot, "{k}");
        kinds.insert(k.split(':').nth(3).unwrap().to_owned());
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["budget", "cooldown", "lock", "refusal", "token"].map(String::from)),
        "{seen:?}"
    );
    // Two refused hosts, one configuration: one refusal; three configurations' tokens and locks.
    assert_eq!(
        seen.iter().filter(|k| k.contains(":refusal:")).count(),
        1,
        "{seen:?}"
    );
}

fn cluster(c: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let mut cmd = redis::cmd("CLUSTER");
    for a in args {
        cmd.arg(*a);
    }
    cmd.query(c)
}

/// Waits (bounded) for a cluster state that Redis reaches on its own gossip timer.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What README says of a cluster of several shards, shown on two: the store talks to the node
/// in its URL and does not follow `MOVED` (the `redis` crate's plain connection returns it as
/// an error; only its `cluster` client, not used here, follows redirects). Credentials whose
/// slot that node serves work fully; credentials whose slot another shard serves get a store
/// error on every call (the outage policy), never a wrong answer.
#[test]
fn on_two_shards_only_the_slots_of_the_urls_node_work() {
    let a = RedisServer::start_with(RedisOptions {
        cluster: true,
        ..RedisOptions::default()
    });
    let b = RedisServer::start_with(RedisOptions {
        cluster: true,
        ..RedisOptions::default()
    });
    let connect = |r: &RedisServer| {
        redis::Client::open(r.url())
            .unwrap()
            .get_connection()
            .unwrap()
    };
    let (mut ca, mut cb) = (connect(&a), connect(&b));

    let server = mock();
    let clock = ManualClock::new();
    let here = format!("{}/shard-here/oauth/token", server.url());
    let there = format!("{}/shard-there/oauth/token", server.url());
    let key = |url: &str| {
        StoreKey::derive(
            url,
            DEMO_CLIENT_ID,
            &ClientSecret::new(DEMO_CLIENT_SECRET),
            &Scopes::parse("officernd.api.read officernd.api.write").unwrap(),
        )
    };
    let (key_here, key_there) = (key(&here), key(&there));
    let slot_here = keyslot(&mut ca, key_here.credentials_hash());
    let slot_there = keyslot(&mut ca, key_there.credentials_hash());
    assert_ne!(slot_here, slot_there, "two credentials, two slots");

    // Node b gives up its slots and joins a's cluster; a hands it the slot of `there`.
    cluster(&mut cb, &["FLUSHSLOTS"]).unwrap();
    let b_id: String = redis::cmd("CLUSTER").arg("MYID").query(&mut cb).unwrap();
    let b_port = b.url().rsplit(':').next().unwrap().to_owned();
    cluster(&mut ca, &["MEET", "127.0.0.1", &b_port]).unwrap();
    wait_for("b joins", || {
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(&mut ca).unwrap();
        nodes
            .lines()
            .any(|l| l.starts_with(&b_id) && l.contains("connected"))
    });
    let slot = slot_there.to_string();
    cluster(&mut ca, &["DELSLOTS", &slot]).unwrap();
    cluster(&mut cb, &["ADDSLOTS", &slot]).unwrap();
    let probe = format!("{{{}}}", key_there.credentials_hash());
    wait_for("a redirects the slot to b, and the cluster is ok", || {
        let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut ca).unwrap();
        let moved = redis::cmd("GET")
            .arg(&probe)
            .query::<Option<String>>(&mut ca)
            .is_err_and(|e| e.kind() == redis::ServerErrorKind::Moved.into());
        info.contains("cluster_state:ok") && moved
    });

    let store = Arc::new(RedisStore::new(&a.url()).unwrap());
    let host = |url: &str| {
        builder(&server, &clock)
            .token_url(url)
            .share_cache(false)
            .store(store.clone() as Arc<dyn TokenStore>)
            .build()
            .unwrap()
    };

    // The credentials whose slot a serves: shared through it as through any Redis.
    let t = host(&here).token().unwrap();
    assert_eq!(host(&here).token().unwrap(), t);
    assert_eq!(server.token_requests(), 1);

    // The other credentials: every store call is refused with MOVED, a store error, and the
    // client follows the outage policy (nothing cached: rate_limited, nothing sent at first).
    let soon = Instant::now() + Duration::from_secs(5);
    let e = store.get(&key_there, SystemTime::now(), soon).unwrap_err();
    assert!(e.to_string().contains("Moved"), "{e}");
    let e = host(&there).token().unwrap_err();
    assert_eq!(e.code(), "rate_limited", "{e}");
    assert_eq!(server.token_requests(), 1, "nothing sent for `there`");
    assert_eq!(scan(&mut cb), Vec::<String>::new(), "nothing reached b");
}
