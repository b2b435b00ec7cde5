//! The comparison table. (Implementation pending: owned by the reports helper.)
