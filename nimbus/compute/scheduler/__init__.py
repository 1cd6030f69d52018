"""The scheduler: placement candidates, then filters, weighers and a claim."""
