//! End-to-end tests over the whole workspace live in `tests/tests/`; this library is empty.
#![forbid(unsafe_code)]
