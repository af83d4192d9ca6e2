//! Where the single-flight cache gets tokens: [`StoreFirst`] looks in the shared store (another
//! process or host may have fetched already) and fetches under the store's lock, through
//! [`Server`], which sends attempts to the token endpoint — each drawn from the budget
//! (`governor`), retried by the policy in `retry`, terminal answers remembered.

mod server;
mod store_first;

pub(crate) use server::windows;
pub(crate) use server::{Server, ServerLocal};
pub(crate) use store_first::StoreFirst;
