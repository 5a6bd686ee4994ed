//! Planner golden tests (filled in below).
