"""The ops app: request log, daily usage, quotas, retention and the user admin."""
