//! Bodies of account's internal routes and of the messages account receives.
