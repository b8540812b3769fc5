//! Bodies of inventory's internal routes and of the messages inventory receives.
