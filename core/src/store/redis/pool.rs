//! This process's Redis connections.
//!
//! A call takes an idle connection (or opens one), runs without holding any lock, and gives the
//! connection back: a slow or stuck Redis call ties up its own connection only, never the other
//! threads (each waits at most its own operation timeout). The idle list's lock guards a push or
//! a pop, never I/O.
//!
//! The list is per process ([`PerProcess`]): a child of `fork()` starts with none and opens its
//! own. It never writes to a socket it shares with its parent (two processes reading one socket
//! would take each other's replies), and never waits on a lock some parent thread held at the
//! fork (that thread does not exist in the child).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redis::Connection;

use crate::fork::{Local, PerProcess};

/// At most this many idle connections are kept; threads calling at once open more, closed
/// when given back.
const MAX_IDLE: usize = 4;

pub(super) struct Pool {
    cell: PerProcess<Idle>,
}

struct Idle {
    pid: u32,
    conns: Vec<Connection>,
    /// Set in a child that found this list (its parent's) unlocked at the fork, so complete:
    /// dropped there, its connections close the child's copies of the descriptors only (the
    /// parent's sockets stay open and untouched). A list some parent thread was changing at
    /// the fork is not trusted even to be freed: it is leaked, descriptors and all.
    complete: AtomicBool,
}

impl Idle {
    fn new() -> Idle {
        Idle {
            pid: std::process::id(),
            conns: Vec::new(),
            complete: AtomicBool::new(false),
        }
    }
}

impl Drop for Idle {
    fn drop(&mut self) {
        if self.pid != std::process::id() && !*self.complete.get_mut() {
            // Moves the three words out without reading what they point to.
            std::mem::forget(std::mem::take(&mut self.conns));
        }
    }
}

/// A connection taken from the pool, with the process's list it goes back to.
pub(super) struct Lease {
    home: Arc<Local<Idle>>,
    conn: Option<Connection>,
}

impl Lease {
    /// The idle connection, if the list had one.
    pub(super) fn conn(&mut self) -> Option<&mut Connection> {
        self.conn.as_mut()
    }

    pub(super) fn set(&mut self, conn: Connection) -> &mut Connection {
        self.conn.insert(conn)
    }

    /// The call succeeded: the connection is idle again.
    pub(super) fn give_back(mut self) {
        if let Some(c) = self.conn.take() {
            let surplus = {
                let mut idle = self.home.lock();
                if idle.conns.len() < MAX_IDLE {
                    idle.conns.push(c);
                    None
                } else {
                    Some(c)
                }
            };
            drop(surplus); // closed outside the lock
        }
    }

    /// The call was cut short by its caller's deadline: this connection is closed (a reply may
    /// still be on its way), the idle ones are kept (nothing says the server failed).
    pub(super) fn close(mut self) {
        self.conn = None;
    }

    /// The call failed: this connection is dropped, and so are the idle ones (they most
    /// likely lead to the same failed server; the next call reconnects).
    pub(super) fn discard(mut self) {
        self.conn = None;
        let stale = std::mem::take(&mut self.home.lock().conns);
        drop(stale);
    }
}

impl Pool {
    pub(super) fn new() -> Pool {
        Pool {
            cell: PerProcess::new(Idle::new()),
        }
    }

    /// An idle connection of this process, if there is one (never one opened by a parent).
    pub(super) fn lease(&self) -> Lease {
        let home = self.cell.get(|parent| {
            if let Some(parent) = parent {
                parent.complete.store(true, Ordering::Relaxed);
            }
            Idle::new()
        });
        let conn = home.lock().conns.pop();
        Lease { home, conn }
    }
}
