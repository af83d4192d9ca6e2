//! A real `redis-server` on a free loopback port, for store tests: plain, TLS-only (with a test
//! CA and a server certificate for `127.0.0.1` made here), with a password, or as a one-node
//! Redis Cluster. Tests that need Redis fail (never skip) when it is missing: `make test`
//! installs it (Debian package `redis-server`, listed in `scripts/apt-packages.txt`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// How a [`RedisServer`] is started.
#[derive(Clone, Debug, Default)]
pub struct RedisOptions {
    /// TLS only (`--port 0 --tls-port P`), with a certificate for `127.0.0.1` signed by a CA
    /// made for this server ([`RedisServer::ca_pem`]); clients are not asked for certificates.
    pub tls: bool,
    /// `requirepass`: clients must authenticate (the URL then carries `:password@`).
    pub password: Option<String>,
    /// A one-node Redis Cluster that owns all 16384 slots: commands and scripts whose keys
    /// are in different slots fail with `CROSSSLOT`, and `CLUSTER KEYSLOT` answers.
    pub cluster: bool,
}

/// A running `redis-server`, stopped on drop (its certificates and files removed).
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    options: RedisOptions,
    /// Certificates, keys and cluster config; removed on drop.
    dir: PathBuf,
    ca_pem: Option<String>,
}

impl RedisServer {
    /// Starts `redis-server` (from `$REDIS_SERVER` or `PATH`) without persistence and waits for
    /// its "Ready to accept connections" line.
    pub fn start() -> RedisServer {
        Self::start_with(RedisOptions::default())
    }

    /// Starts it with `options` (TLS, a password, cluster mode).
    pub fn start_with(options: RedisOptions) -> RedisServer {
        // Ask the OS for a free port, then hand it to Redis (which cannot pick one itself).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let dir = std::env::temp_dir().join(format!(
            "officernd-redis-{}-{port}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("temporary directory for redis-server");
        let ca_pem = options.tls.then(|| write_certificates(&dir));
        let mut server = RedisServer {
            child: None,
            port,
            options,
            dir,
            ca_pem,
        };
        server.spawn();
        server
    }

    /// Starts it again on the same port, empty (Redis coming back after an outage), with the
    /// same options and certificates.
    pub fn restart(&mut self) {
        self.stop();
        if self.options.cluster {
            // A fresh node, not the old one's identity and slots.
            let _ = std::fs::remove_file(self.dir.join("nodes.conf"));
        }
        self.spawn();
    }

    fn spawn(&mut self) {
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let port = self.port.to_string();
        let mut cmd = Command::new(&bin);
        cmd.args(["--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .arg("--dir")
            .arg(&self.dir);
        if self.options.tls {
            cmd.args(["--port", "0", "--tls-port", &port])
                .arg("--tls-cert-file")
                .arg(self.dir.join("server.pem"))
                .arg("--tls-key-file")
                .arg(self.dir.join("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(self.dir.join("ca.pem"))
                .args(["--tls-auth-clients", "no"]);
        } else {
            cmd.args(["--port", &port]);
        }
        if let Some(pw) = &self.options.password {
            cmd.args(["--requirepass", pw]);
        }
        if self.options.cluster {
            cmd.args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {bin} ({e}): install the Debian package redis-server \
                     (scripts/apt-packages.txt; make test does)"
                )
            });
        let out = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(out).lines();
        let mut log = Vec::new();
        let ready = lines.by_ref().map_while(Result::ok).any(|l| {
            let ready = l.contains("Ready to accept connections");
            log.push(l);
            ready
        });
        assert!(
            ready,
            "redis-server exited before it was ready (does this build support the options \
             {:?}? Debian's redis-server has TLS):\n{}",
            self.options,
            log.join("\n")
        );
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        self.child = Some(child);
        if self.options.cluster {
            self.own_every_slot();
        }
    }

    /// Cluster mode: this node takes all slots, then the test waits (bounded) until the
    /// cluster reports `cluster_state:ok` (Redis holds a restarted master back ~2 s).
    fn own_every_slot(&self) {
        assert!(!self.options.tls, "cluster mode is plain TCP here");
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        if let Some(pw) = &self.options.password {
            expect_ok(&mut conn, &["AUTH", pw]);
        }
        expect_ok(&mut conn, &["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let info = command(&mut conn, &["CLUSTER", "INFO"]);
            if info.contains("cluster_state:ok") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "one-node cluster never became ok: {info}"
            );
            // Waiting for a state Redis changes on its own timer, not for another thread.
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `redis://127.0.0.1:PORT`, or `rediss://…` with TLS, with `:password@` when one is set.
    pub fn url(&self) -> String {
        let scheme = if self.options.tls { "rediss" } else { "redis" };
        let auth = match &self.options.password {
            Some(pw) => format!(":{pw}@"),
            None => String::new(),
        };
        format!("{scheme}://{auth}127.0.0.1:{}", self.port)
    }

    /// The PEM of the CA that signed this TLS server's certificate (`None` without TLS).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Where the CA's PEM is written (a file for `OFFICERND_REDIS_CA_FILE`; `None` without TLS).
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.ca_pem.as_ref().map(|_| self.dir.join("ca.pem"))
    }

    /// The port it listens on (TLS only when started with TLS).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server now (simulates an outage).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The PEM of a CA that signed nothing any [`RedisServer`] uses: a client trusting only it must
/// refuse every TLS server here.
pub fn unrelated_ca_pem() -> String {
    let key = KeyPair::generate().expect("key");
    CertifiedIssuer::self_signed(ca_params("officernd-auth unrelated test CA"), key)
        .expect("CA certificate")
        .pem()
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(DnType::CommonName, name);
    params
}

/// Writes `ca.pem`, `server.pem` (for `127.0.0.1` and `localhost`, signed by the CA) and
/// `server.key` into `dir`; returns the CA's PEM.
fn write_certificates(dir: &std::path::Path) -> String {
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = CertifiedIssuer::self_signed(ca_params("officernd-auth test CA"), ca_key)
        .expect("CA certificate");
    let server_key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("server parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, "officernd-auth test redis");
    let server = params
        .signed_by(&server_key, &ca)
        .expect("server certificate");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("writing {name}: {e}"))
    };
    write("ca.pem", &ca.pem());
    write("server.pem", &server.pem());
    write("server.key", &server_key.serialize_pem());
    ca.pem()
}

/// Sends one command (RESP array of bulk strings) and returns its reply as text.
fn command(conn: &mut TcpStream, args: &[&str]) -> String {
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    conn.write_all(req.as_bytes()).expect("write to redis");
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read from redis");
    match line.as_bytes().first() {
        Some(b'$') => {
            let n: usize = line[1..].trim().parse().expect("bulk length");
            let mut body = vec![0; n + 2];
            reader.read_exact(&mut body).expect("bulk body");
            String::from_utf8_lossy(&body[..n]).into_owned()
        }
        _ => line.trim_end().to_owned(),
    }
}

fn expect_ok(conn: &mut TcpStream, args: &[&str]) {
    let reply = command(conn, args);
    assert_eq!(reply, "+OK", "{:?}", args.first());
}
