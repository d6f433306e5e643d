"""Use cases: one transaction per business action, built on the rules and the models."""
