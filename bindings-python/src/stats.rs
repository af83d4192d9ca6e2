//! `Stats`: a frozen snapshot of core's metrics, with `to_dict()`.

use officernd_auth::Stats;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A snapshot of the client's metrics (shared by every client of the same cache).
#[pyclass(frozen, eq, get_all, module = "officernd_auth", name = "Stats")]
#[derive(PartialEq)]
pub(crate) struct PyStats {
    requests_ok: u64,
    requests_oauth_error: u64,
    requests_rate_limited: u64,
    requests_http_error: u64,
    requests_transport_error: u64,
    requests_timeout: u64,
    requests_invalid_response: u64,
    cache_hits: u64,
    stale_served: u64,
    refused_locally: u64,
    budget_remaining: u32,
    budget_capacity: u32,
    expires_in: Option<f64>,
    last_error_code: Option<&'static str>,
    requests_sent: u64,
}

impl From<Stats> for PyStats {
    fn from(s: Stats) -> Self {
        PyStats {
            requests_sent: s.requests_sent(),
            requests_ok: s.requests_ok,
            requests_oauth_error: s.requests_oauth_error,
            requests_rate_limited: s.requests_rate_limited,
            requests_http_error: s.requests_http_error,
            requests_transport_error: s.requests_transport_error,
            requests_timeout: s.requests_timeout,
            requests_invalid_response: s.requests_invalid_response,
            cache_hits: s.cache_hits,
            stale_served: s.stale_served,
            refused_locally: s.refused_locally,
            budget_remaining: s.budget_remaining,
            budget_capacity: s.budget_capacity,
            expires_in: s.expires_in.map(|d| d.as_secs_f64()),
            last_error_code: s.last_error_code,
        }
    }
}

#[pymethods]
impl PyStats {
    /// The snapshot as a plain `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("requests_sent", self.requests_sent)?;
        d.set_item("requests_ok", self.requests_ok)?;
        d.set_item("requests_oauth_error", self.requests_oauth_error)?;
        d.set_item("requests_rate_limited", self.requests_rate_limited)?;
        d.set_item("requests_http_error", self.requests_http_error)?;
        d.set_item("requests_transport_error", self.requests_transport_error)?;
        d.set_item("requests_timeout", self.requests_timeout)?;
        d.set_item("requests_invalid_response", self.requests_invalid_response)?;
        d.set_item("cache_hits", self.cache_hits)?;
        d.set_item("stale_served", self.stale_served)?;
        d.set_item("refused_locally", self.refused_locally)?;
        d.set_item("budget_remaining", self.budget_remaining)?;
        d.set_item("budget_capacity", self.budget_capacity)?;
        d.set_item("expires_in", self.expires_in)?;
        d.set_item("last_error_code", self.last_error_code)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.to_dict(py)?;
        let parts: Vec<String> = d
            .iter()
            .map(|(k, v)| Ok(format!("{k}={}", v.repr()?)))
            .collect::<PyResult<_>>()?;
        Ok(format!("Stats({})", parts.join(", ")))
    }
}
