//! `stats()`: an object with one property per field of core's [`Stats::FIELDS`], named in
//! camelCase, valued from [`Stats::values`] — counts as numbers, `expiresIn` in seconds (like
//! `Token.expiresIn`), `lastErrorCode` as the JS error code; absent values are left out. A new
//! core field appears here without a change to this file.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use officernd_auth::{ErrorCode, StatValue, Stats};

use crate::error::js_code;
use crate::options::camel;

/// The JS object of `s`.
pub(crate) fn to_js<'e>(env: &'e Env, s: &Stats) -> Result<Object<'e>> {
    let mut obj = Object::new(env)?;
    for (field, value) in Stats::FIELDS.iter().zip(s.values()) {
        let key = camel(field.name);
        match value {
            StatValue::Count(n) => obj.set_named_property(&key, n as f64)?,
            StatValue::Duration(Some(d)) => obj.set_named_property(&key, d.as_secs_f64())?,
            StatValue::Code(Some(c)) => {
                if let Some(code) = ErrorCode::parse(c) {
                    obj.set_named_property(&key, js_code(code))?;
                }
            }
            StatValue::Duration(None) | StatValue::Code(None) => {}
        }
    }
    Ok(obj)
}

/// One stats field as JS sees it.
#[napi(object)]
pub struct StatFieldInfo {
    /// Property name (`cacheHits`).
    pub name: String,
    /// Core's name (`cache_hits`).
    pub core: String,
    /// What it counts.
    pub doc: String,
}

/// Every property of `stats()`, in core's order.
#[napi]
pub fn stats_fields() -> Vec<StatFieldInfo> {
    Stats::FIELDS
        .iter()
        .map(|f| StatFieldInfo {
            name: camel(f.name),
            core: f.name.to_owned(),
            doc: f.doc.to_owned(),
        })
        .collect()
}
