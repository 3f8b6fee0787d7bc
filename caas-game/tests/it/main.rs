//! caas-game's tests: the outcome tables, rule-set validation, weapon
//! names, the match state machine and the computer's uniform choice.

#![expect(clippy::unwrap_used, reason = "tests")]

mod history;
mod live;
mod matches;
mod rules;
mod service;
