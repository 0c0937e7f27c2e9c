"""REST API of users: dispatchers and their load."""
