//! End-to-end tests: the real `cordon` binary, a fresh database per test, a real server on a
//! random port. PostgreSQL runs when `CORDON_TEST_PG` names a server (CI sets it).

mod api;
mod architecture;
mod audit;
mod cases;
mod cli;
mod crash;
mod dashboard;
mod door;
mod duplicates;
mod faults;
mod fieldpages;
mod followup;
mod gates;
mod hostile;
mod isolation;
mod leaks;
mod matrix;
mod needs;
mod offline;
mod outbox;
mod outcomes;
mod privacy;
mod register;
mod resident;
mod retention;
mod rights;
mod sanitation;
mod supplies;
mod support;
mod testing;
mod trace;
mod two_factor;
mod users;
mod workforce;
mod zones;
