//! `Ready`: an awaitable that is already done, so `await client.token_async()` on a cached token
//! costs no thread hop.

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;

#[pyclass(frozen, module = "officernd_auth")]
pub(crate) struct Ready {
    pub(crate) value: Py<PyAny>,
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Err(PyStopIteration::new_err((self.value.clone_ref(py),)))
    }
}
