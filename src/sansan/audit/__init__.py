"""The tamper-evident audit trail: a hash chain over the log, its checkpoints, exports and checks."""
