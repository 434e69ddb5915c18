"""Label Studio border: server lifecycle, connection, task/result conversion."""
