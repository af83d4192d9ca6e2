//! The options object of `new TokenClient({...})` / `TokenClient.fromEnv({...})`, mapped onto
//! core's settings table ([`officernd_auth::settings::SETTINGS`]) and passed to
//! [`TokenClientBuilder::set`] by name. Nothing here lists the settings: a new core setting is
//! accepted under its camelCase name (`…Ms` in milliseconds for durations) without a change to
//! this file; only the TypeScript types and the README name it.
//!
//! Node spellings: a setting `quota_window` of kind duration is `quotaWindowMs`; core's aliases
//! are accepted the same way (`scope`, `windowMs`, `cacheDir`…), and so is the shipped grouping
//! `budget: { maxRequests, windowMs }`. Type mistakes throw `TypeError`, out-of-range numbers
//! `RangeError`, unknown keys `TypeError` (a misspelt `clientID` must not be silently ignored),
//! one setting given twice (`scope` and `scopes`) `TypeError`. Every other rule (required
//! settings, URL policy, window limits) is core's, reported as `OFFICERND_CONFIG`.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{JsValue, ValueType};
use napi_derive::napi;
use officernd_auth::TokenClientBuilder;
use officernd_auth::settings::{Key, Kind, SETTINGS, Setting, Value};

use crate::error::{range_error, throwable, type_error};

/// The grouping `budget: { maxRequests, windowMs }` (the spelling that shipped first).
const BUDGET: &str = "budget";

/// Largest duration accepted before core's own range checks (about 31 years).
const MAX_MS: f64 = 1e12;

/// `quota_window` → `quotaWindow`.
pub(crate) fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// How Node spells a core setting name (or alias) of `kind`: camelCase, `Ms` after durations.
pub(crate) fn node_name(name: &str, kind: Kind) -> String {
    let mut n = camel(name);
    if kind == Kind::Duration {
        n.push_str("Ms");
    }
    n
}

/// The setting a Node option name stands for (its name or one of core's aliases).
fn lookup(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| {
        node_name(s.name, s.kind) == key || s.aliases.iter().any(|a| node_name(a, s.kind) == key)
    })
}

/// The canonical Node names of every setting, for messages.
fn known() -> String {
    let mut names: Vec<String> = SETTINGS.iter().map(|s| node_name(s.name, s.kind)).collect();
    names.push(BUDGET.to_owned());
    names.join(", ")
}

/// One setting as `settings()` describes it to JS (docs, tests, the TypeScript drift check).
#[napi(object)]
pub struct SettingInfo {
    /// The option name (`timeoutMs`).
    pub name: String,
    /// Core's name (`timeout`).
    pub core: String,
    /// Other accepted option names (core's aliases, spelled for Node).
    pub aliases: Vec<String>,
    /// `text`, `secret`, `scopes`, `duration` (milliseconds), `count`, `flag` or `path`.
    pub kind: String,
    /// The environment variable `fromEnv` reads it from, if any.
    pub env: Option<String>,
    /// The default, as core documents it.
    pub default: String,
    /// What it does.
    pub doc: String,
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Secret => "secret",
        Kind::Scopes => "scopes",
        Kind::Duration => "duration",
        Kind::Count => "count",
        Kind::Flag => "flag",
        Kind::Path => "path",
    }
}

/// Every option `new TokenClient()` takes, from core's settings table.
#[napi]
pub fn settings() -> Vec<SettingInfo> {
    SETTINGS
        .iter()
        .map(|s| SettingInfo {
            name: node_name(s.name, s.kind),
            core: s.name.to_owned(),
            aliases: s.aliases.iter().map(|a| node_name(a, s.kind)).collect(),
            kind: kind_name(s.kind).to_owned(),
            env: s.env.map(str::to_owned),
            default: s.default.to_owned(),
            doc: s.doc.to_owned(),
        })
        .collect()
}

/// The settings an options object gives, converted, in the order given.
pub(crate) struct Given(pub Vec<(&'static Setting, Value)>);

impl Given {
    /// Whether a store (`store` / `storePath`) is among them.
    pub(crate) fn has_store(&self) -> bool {
        self.0
            .iter()
            .any(|(s, _)| matches!(s.key, Key::Store | Key::StorePath))
    }

    /// Passes them to `b` (`set(name, value)`), except those `keep` refuses.
    pub(crate) fn apply(
        &self,
        env: &Env,
        mut b: TokenClientBuilder,
        keep: impl Fn(&Setting) -> bool,
    ) -> Result<TokenClientBuilder> {
        for (s, v) in &self.0 {
            if keep(s) {
                b = b.set(s.name, v.clone()).map_err(|e| throwable(env, &e))?;
            }
        }
        Ok(b)
    }
}

/// Reads `options` (a JS object, or `undefined` / `null` when `optional`).
pub(crate) fn read(env: &Env, options: Option<Unknown>, optional: bool) -> Result<Given> {
    let obj = match options {
        None if optional => return Ok(Given(Vec::new())),
        Some(v) => match v.get_type()? {
            ValueType::Undefined | ValueType::Null if optional => return Ok(Given(Vec::new())),
            ValueType::Object if !v.is_array()? => v.coerce_to_object()?,
            _ => return Err(type_error(env, "options must be an object")),
        },
        None => return Err(type_error(env, "options must be an object")),
    };
    let r = Reader {
        env,
        obj: &obj,
        path: "options",
    };
    let mut given: Vec<(&'static Setting, Value, String)> = Vec::new();
    for key in Object::keys(&obj)? {
        if key == BUDGET {
            given.extend(r.budget(&key)?);
            continue;
        }
        let setting = lookup(&key).ok_or_else(|| {
            let hint = match officernd_auth::settings::find(&key) {
                Some(s) if s.kind == Kind::Duration => {
                    format!(
                        "; durations are in milliseconds: {}",
                        node_name(s.name, s.kind)
                    )
                }
                _ => String::new(),
            };
            type_error(
                env,
                format!("unknown option {key:?}{hint} (known: {})", known()),
            )
        })?;
        if let Some(v) = r.value(&key, setting)? {
            given.push((setting, v, format!("options.{key}")));
        }
    }
    for (i, (s, _, name)) in given.iter().enumerate() {
        if let Some((_, _, first)) = given[..i].iter().find(|(t, _, _)| t.key == s.key) {
            return Err(type_error(
                env,
                format!("{first} and {name} both set {}: give one", s.name),
            ));
        }
    }
    Ok(Given(given.into_iter().map(|(s, v, _)| (s, v)).collect()))
}

struct Reader<'a, 'e> {
    env: &'a Env,
    obj: &'a Object<'e>,
    /// How messages name the object: `options`, `options.budget`.
    path: &'a str,
}

impl<'e> Reader<'_, 'e> {
    /// The property, or `None` when it is `undefined` or `null`.
    fn get(&self, key: &str) -> Result<Option<(Unknown<'e>, ValueType)>> {
        let v: Unknown<'e> = self.obj.get_named_property(key)?;
        match v.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            t => Ok(Some((v, t))),
        }
    }

    /// The value of `key` converted for `setting`'s kind.
    fn value(&self, key: &str, setting: &Setting) -> Result<Option<Value>> {
        let Some((v, t)) = self.get(key)? else {
            return Ok(None);
        };
        let path = format!("{}.{key}", self.path);
        let wrong = |what: &str| type_error(self.env, format!("{path} must be {what}"));
        let value = match setting.kind {
            Kind::Text | Kind::Secret | Kind::Path => match t {
                ValueType::String => Value::Text(unsafe { v.cast::<String>() }?),
                _ => return Err(wrong("a string")),
            },
            Kind::Scopes => match t {
                ValueType::String => Value::Text(unsafe { v.cast::<String>() }?),
                ValueType::Object if v.is_array()? => {
                    let arr = unsafe { v.cast::<Array>() }?;
                    let mut out = Vec::with_capacity(arr.len() as usize);
                    for i in 0..arr.len() {
                        let item: Unknown = arr
                            .get(i)?
                            .ok_or_else(|| wrong("a string or an array of strings"))?;
                        if item.get_type()? != ValueType::String {
                            return Err(wrong("a string or an array of strings"));
                        }
                        out.push(unsafe { item.cast::<String>() }?);
                    }
                    Value::List(out)
                }
                _ => return Err(wrong("a string or an array of strings")),
            },
            Kind::Duration => {
                let ms = self.number(v, t, &path)?;
                if !(ms.is_finite() && (0.0..=MAX_MS).contains(&ms)) {
                    return Err(range_error(
                        self.env,
                        format!(
                            "{path} must be a number of milliseconds from 0 to {MAX_MS}, got {ms}"
                        ),
                    ));
                }
                Value::Duration(Duration::from_secs_f64(ms / 1000.0))
            }
            Kind::Count => {
                let n = self.number(v, t, &path)?;
                if !(n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&n)) {
                    return Err(range_error(
                        self.env,
                        format!("{path} must be a non-negative integer, got {n}"),
                    ));
                }
                Value::Count(n as u64)
            }
            Kind::Flag => match t {
                ValueType::Boolean => Value::Flag(unsafe { v.cast::<bool>() }?),
                _ => return Err(wrong("a boolean")),
            },
        };
        Ok(Some(value))
    }

    fn number(&self, v: Unknown<'e>, t: ValueType, path: &str) -> Result<f64> {
        match t {
            ValueType::Number => unsafe { v.cast::<f64>() },
            _ => Err(type_error(self.env, format!("{path} must be a number"))),
        }
    }

    /// `budget: { maxRequests, windowMs }`: the budget settings, spelled as at top level.
    fn budget(&self, key: &str) -> Result<Vec<(&'static Setting, Value, String)>> {
        let in_budget = |s: &Setting| matches!(s.key, Key::MaxRequests | Key::QuotaWindow);
        let names: Vec<String> = SETTINGS
            .iter()
            .filter(|s| in_budget(s))
            .map(|s| node_name(s.name, s.kind))
            .collect();
        let bad = || {
            type_error(
                self.env,
                format!(
                    "{}.{key} must be an object {{ maxRequests?, windowMs? }} (or use {})",
                    self.path,
                    names.join(", ")
                ),
            )
        };
        let v = match self.get(key)? {
            None => return Ok(Vec::new()),
            Some((v, ValueType::Object)) if !v.is_array()? => v,
            Some(_) => return Err(bad()),
        };
        let obj = v.coerce_to_object()?;
        let path = format!("{}.{key}", self.path);
        let inner = Reader {
            env: self.env,
            obj: &obj,
            path: &path,
        };
        let mut out = Vec::new();
        for k in Object::keys(&obj)? {
            let setting = lookup(&k).filter(|s| in_budget(s)).ok_or_else(bad)?;
            if let Some(v) = inner.value(&k, setting)? {
                out.push((setting, v, format!("{path}.{k}")));
            }
        }
        Ok(out)
    }
}
