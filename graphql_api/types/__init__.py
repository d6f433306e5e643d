"""GraphQL object types, built from the loaders' plain records."""
