"""What every service shares: configuration, databases, API plumbing, policy."""
