//! `Stats`: a frozen snapshot of core's metrics, built from core's field list
//! ([`Stats::FIELDS`] / [`Stats::values`]): one read-only property per field, added to the class
//! when the module is loaded, and `to_dict()`. A new core field needs no change here (only its
//! line in `_native.pyi`; tests/test_stubs.py checks the two agree).

use officernd_auth::{StatValue, Stats};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict};

const FIELDS: usize = Stats::FIELDS.len();

/// A snapshot of the client's metrics (shared by every client of the same cache).
#[pyclass(frozen, eq, module = "officernd_auth", name = "Stats")]
#[derive(PartialEq)]
pub(crate) struct PyStats {
    values: [StatValue; FIELDS],
}

impl From<Stats> for PyStats {
    fn from(s: Stats) -> Self {
        PyStats { values: s.values() }
    }
}

/// A field's value as Python spells it: counts as `int`, the duration as `float` seconds.
fn value(py: Python<'_>, v: StatValue) -> PyResult<Bound<'_, PyAny>> {
    match v {
        StatValue::Count(n) => n.into_bound_py_any(py),
        StatValue::Duration(d) => d.map(|d| d.as_secs_f64()).into_bound_py_any(py),
        StatValue::Code(c) => c.into_bound_py_any(py),
    }
}

#[pymethods]
impl PyStats {
    /// The snapshot as a plain `dict`, in core's field order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (field, v) in Stats::FIELDS.iter().zip(self.values) {
            d.set_item(field.name, value(py, v)?)?;
        }
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let parts = Stats::FIELDS
            .iter()
            .zip(self.values)
            .map(|(field, v)| Ok(format!("{}={}", field.name, value(py, v)?.repr()?)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(format!("Stats({})", parts.join(", ")))
    }
}

/// Adds `Stats` to the module with one read-only property per core field (documented with
/// core's text for it).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let ty = py.get_type::<PyStats>();
    let property = py.import("builtins")?.getattr("property")?;
    for (i, field) in Stats::FIELDS.iter().enumerate() {
        let get = PyCFunction::new_closure(py, None, None, move |args, _kwargs| {
            let stats = args.get_item(0)?.cast_into::<PyStats>()?;
            value(args.py(), stats.get().values[i]).map(Bound::unbind)
        })?;
        let unit = match Stats::default().values()[i] {
            StatValue::Duration(_) => ", in seconds",
            StatValue::Count(_) | StatValue::Code(_) => "",
        };
        let doc = format!("{}{unit}.", crate::sentence(field.doc));
        ty.setattr(
            field.name,
            property.call1((get, py.None(), py.None(), doc))?,
        )?;
    }
    m.add_class::<PyStats>()
}
