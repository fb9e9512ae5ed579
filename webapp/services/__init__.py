"""Domain logic, free of Flask request objects."""
