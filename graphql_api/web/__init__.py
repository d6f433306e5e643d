"""Pages the server renders for people: GraphiQL, with every asset shipped in the package."""
