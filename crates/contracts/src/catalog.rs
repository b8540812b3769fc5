//! Bodies of catalog's internal routes and of the messages catalog receives.
