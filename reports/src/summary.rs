//! Statistics over seeds: each metric of each strategy as mean with min and max.
//! (Implementation pending: owned by the reports helper.)
