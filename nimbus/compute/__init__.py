"""The compute service: Nova's API, and later its conductor, scheduler and agents."""
